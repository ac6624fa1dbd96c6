package org.tinysql.interp.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.interp.TinyModels;
import org.tinysql.interp.TokenRole;
import org.tinysql.interp.TokenTagger;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.util.Progress;

class CacheAnalysisTest {

    @Test
    void componentsSumToTheResidualAndDlaToTheLogitDifference() {
        for (ModelConfig cfg : List.of(TinyModels.gpt(30, 32, 2, 4), TinyModels.llama(30, 32, 2, 4, 2))) {
            Transformer m = TinyModels.random(cfg, 4, 3);
            int[][] ids = {{3, 5, 7, 9, 11, 4}, {8, 6, 4, 2, 10, 12}};
            CacheAnalysis ca = CacheAnalysis.run(m, ids, null);
            INDArray logits = ca.cache().get("logits");
            for (int b = 0; b < 2; b++) {
                int t = 4;
                float[][] acc = ca.accumulatedResid(b, t);
                float[] fin = acc[acc.length - 1];
                float[] sum = new float[32];
                for (CacheAnalysis.Component c : ca.decompose(b, t)) {
                    for (int i = 0; i < 32; i++) {
                        sum[i] += c.vector()[i];
                    }
                }
                for (int i = 0; i < 32; i++) {
                    assertEquals(fin[i], sum[i], 1e-4 * (1 + Math.abs(fin[i])), cfg + " dim " + i);
                }
                float[] dir = ca.logitDiffDirection(7, 2);
                double dla = 0;
                for (double d : ca.directLogitAttribution(b, t, dir)) {
                    dla += d;
                }
                double diff = logits.getDouble(b, t, 7) - logits.getDouble(b, t, 2);
                assertEquals(diff, dla, 1e-4 * (1 + Math.abs(diff)), cfg.toString());
                // The lens on the final residual is the model's own output.
                float[] lens = ca.lens(fin);
                assertEquals(logits.getDouble(b, t, 3), lens[3], 1e-4);
                assertEquals(ca.dlaLabels(b, t).size(), ca.directLogitAttribution(b, t, dir).length);
            }
        }
    }

    @Test
    void logitLensGroupsResponseTokensByRole() {
        DatasetGenerator gen = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 3);
        List<TinySqlExample> ex = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ex.add(gen.example(i, 0).row());
        }
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(ex.stream().map(TinySqlExample::fullText).toList(), 1, 5000);
        Transformer m = TinyModels.random(ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 256), 1, 1);
        LogitLens.Table t = LogitLens.run(m, new TokenTagger(tok), ex, Progress.NONE);
        assertEquals(3, t.layers().size());
        assertTrue(t.count()[TokenRole.Sql.KEYWORD.ordinal()] >= 12, "SELECT and FROM per example");
        assertTrue(t.count()[TokenRole.Sql.TABLE.ordinal()] >= 6);
        assertTrue(t.count()[TokenRole.Sql.FIELD.ordinal()] >= 6);
        for (double[] row : t.meanProb()) {
            for (double p : row) {
                assertTrue(p >= 0 && p <= 1);
            }
        }
        assertTrue(t.format().contains("final_post"));
    }
}
