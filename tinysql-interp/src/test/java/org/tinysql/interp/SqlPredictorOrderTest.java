package org.tinysql.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.SqlPredictor;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.SqlVocabTokenizer;

/** Batches decoded in prompt-length order still answer each example in its own place. */
class SqlPredictorOrderTest {

    @Test
    void lengthOrderIsAStableSortByLength() {
        int[][] p = {new int[5], new int[2], new int[5], new int[1], new int[2]};
        assertArrayEquals(new int[] {3, 1, 4, 0, 2}, SqlPredictor.lengthOrder(p));
    }

    @Test
    void answersStayInExampleOrderWhateverTheBatching() {
        DatasetGenerator gen = new DatasetGenerator(CommandSet.CS2, Variant.LITERAL, 5);
        List<TinySqlExample> ex = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            ex.add(gen.example(i, 0).row());
        }
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(ex.stream().map(TinySqlExample::fullText).toList(), 1, 5000);
        Transformer m = TinyModels.random(ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 512), 3, 3);
        SqlPredictor p = new SqlPredictor(m, tok, 12);
        List<String> one = p.predict(ex, 1);
        List<String> batched = p.predict(ex, 4);
        assertTrue(new HashSet<>(one).size() >= 5, "the answers differ, so a misplaced one would show: " + one);
        assertEquals(one, batched);
    }
}
