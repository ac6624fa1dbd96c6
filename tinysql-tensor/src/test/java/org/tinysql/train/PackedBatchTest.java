package org.tinysql.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.SqlVocabTokenizer;

/** Packed rows (segment-masked attention, positions restarting per example) compute what one example per row does. */
class PackedBatchTest {

    private static List<EncodedExample> examples(SqlVocabTokenizer[] tokOut) {
        List<TinySqlExample> data = new DatasetGenerator(CommandSet.CS2, Variant.LITERAL, 5).generate(12);
        List<String> texts = new ArrayList<>();
        data.forEach(e -> texts.add(e.fullText()));
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(texts, 1, 4000);
        tokOut[0] = tok;
        return data.stream().map(e -> EncodedExample.of(e, tok, 512)).toList();
    }

    @Test
    void packingFillsRowsWithSegmentsAndRestartsPositions() {
        SqlVocabTokenizer[] tok = new SqlVocabTokenizer[1];
        List<EncodedExample> ex = examples(tok);
        Batch packed = Batch.packed(ex, 0, 8, 512);
        Batch plain = Batch.of(ex, 0, 8, 512);
        assertEquals(plain.tokens(), packed.tokens());
        assertTrue(packed.ids().length < ex.size(), packed.ids().length + " rows for " + ex.size() + " examples");
        assertEquals(plain.ids()[0].length, packed.ids()[0].length, "rows as long as the longest example");
        int segments = 0;
        for (int r = 0; r < packed.ids().length; r++) {
            int[] m = packed.mask()[r];
            for (int t = 0; t < m.length; t++) {
                if (m[t] != 0 && (t == 0 || m[t - 1] != m[t])) {
                    segments++;
                    assertEquals(0, packed.positions()[r][t], "each example starts at position 0");
                } else if (m[t] != 0) {
                    assertEquals(packed.positions()[r][t - 1] + 1, packed.positions()[r][t]);
                }
            }
        }
        assertEquals(ex.size(), segments);
    }

    @Test
    void packedLossAndGradientsEqualOneExamplePerRow() {
        SqlVocabTokenizer[] tok = new SqlVocabTokenizer[1];
        List<EncodedExample> ex = examples(tok);
        int v = tok[0].vocabSize();
        ModelConfig[] configs = {ModelConfig.gpt2(v, 32, 2, 4, 512), ModelConfig.llama(v, 32, 2, 4, 512)};
        for (ModelConfig cfg : configs) {
            Transformer model = new Transformer(Parameters.init(cfg, 11));
            Batch plain = Batch.of(ex, 0, 8, 512);
            model.forward(plain.ids(), plain.mask());
            double lossPlain = model.loss(plain.labels(), true);
            model.zeroGrad();
            model.backward();
            Map<String, float[]> gradPlain = new java.util.HashMap<>();
            model.gradients().asMap().forEach((k, g) -> gradPlain.put(k, g.dup().data().asFloat()));

            Batch packed = Batch.packed(ex, 0, 8, 512);
            model.forward(packed.ids(), packed.mask(), packed.positions());
            double lossPacked = model.loss(packed.labels(), true);
            model.zeroGrad();
            model.backward();
            assertEquals(lossPlain, lossPacked, 1e-5 * Math.abs(lossPlain), cfg.modelType());
            for (Map.Entry<String, INDArray> e : model.gradients().asMap().entrySet()) {
                float[] a = gradPlain.get(e.getKey());
                float[] b = e.getValue().data().asFloat();
                double num = 0;
                double den = 0;
                for (int i = 0; i < a.length; i++) {
                    num += (a[i] - b[i]) * (double) (a[i] - b[i]);
                    den += a[i] * (double) a[i];
                }
                assertTrue(Math.sqrt(num) <= 1e-4 * Math.sqrt(den) + 1e-9,
                        cfg.modelType() + " " + e.getKey() + ": relative difference " + Math.sqrt(num / Math.max(den, 1e-30)));
            }
        }
    }
}
