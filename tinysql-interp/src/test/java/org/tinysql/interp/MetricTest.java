package org.tinysql.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MetricTest {

    /** Every metric's gradient equals central finite differences of its value. */
    @Test
    void gradientsMatchFiniteDifferences() {
        Random r = new Random(3);
        int b = 3;
        int v = 7;
        float[][] clean = new float[b][v];
        float[][] cur = new float[b][v];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < v; j++) {
                clean[i][j] = (float) r.nextGaussian();
                cur[i][j] = (float) r.nextGaussian();
            }
        }
        PatchBatch batch = PatchBatch.padded(java.util.List.of(new int[] {1}, new int[] {2}, new int[] {3}),
                java.util.List.of(new int[] {1}, new int[] {2}, new int[] {3}), new int[] {0, 4, 6}, new int[] {2, 1, 5}, 1, 0);
        for (Metric.Kind k : Metric.Kind.values()) {
            Metric m = Metric.of(k, clean);
            float[][] g = m.gradient(cur, batch);
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < v; j++) {
                    float keep = cur[i][j];
                    float h = 1e-2f;
                    cur[i][j] = keep + h;
                    double up = m.value(cur, batch);
                    cur[i][j] = keep - h;
                    double down = m.value(cur, batch);
                    cur[i][j] = keep;
                    assertEquals((up - down) / (2 * h), g[i][j], 2e-3, k + " [" + i + "][" + j + "]");
                }
            }
        }
        assertEquals(0.0, Metric.of(Metric.Kind.KL, clean).value(clean, batch), 1e-6);
    }

    /** The logit difference is the mean over rows of logit[clean answer] - logit[corrupt answer]. */
    @Test
    void logitDiffIsTheMeanOfCleanMinusCorruptAnswerLogits() {
        float[] row = {0.5f, 3.0f, -1.0f, 2.0f};
        PatchBatch batch = PatchBatch.padded(java.util.List.of(new int[] {1}, new int[] {2}),
                java.util.List.of(new int[] {1}, new int[] {2}), new int[] {1, 2}, new int[] {3, 1}, 1, 0);
        Metric m = Metric.of(Metric.Kind.LOGIT_DIFF, null);
        assertEquals(1.0, m.value(new float[][] {row}, batch.slice(0, 1)), 1e-9);
        assertEquals(-4.0, m.value(new float[][] {row}, batch.slice(1, 2)), 1e-9);
        assertEquals(-1.5, m.value(new float[][] {row, row}, batch), 1e-9);
    }

    /** An answer token the logits do not cover (a tokenizer that does not match the model) is named in the error. */
    @Test
    void answerTokensOutsideTheVocabularyAreRejectedWithAReason() {
        PatchBatch batch = PatchBatch.padded(java.util.List.of(new int[] {1}, new int[] {2}),
                java.util.List.of(new int[] {1}, new int[] {2}), new int[] {0, 5}, new int[] {1, 2}, 1, 0);
        float[][] logits = new float[2][3];
        for (Metric.Kind k : new Metric.Kind[] {Metric.Kind.LOGIT_DIFF, Metric.Kind.PROB_DIFF}) {
            Metric m = Metric.of(k, null);
            IllegalArgumentException v = assertThrows(IllegalArgumentException.class, () -> m.value(logits, batch), k.name());
            assertEquals("row 1: clean answer token 5 is outside the vocabulary [0, 3)", v.getMessage());
            IllegalArgumentException g = assertThrows(IllegalArgumentException.class, () -> m.gradient(logits, batch), k.name());
            assertEquals(v.getMessage(), g.getMessage());
        }
        PatchBatch negative = PatchBatch.padded(java.util.List.of(new int[] {1}), java.util.List.of(new int[] {1}),
                new int[] {0}, new int[] {-1}, 1, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Metric.of(Metric.Kind.LOGIT_DIFF, null).value(new float[1][3], negative));
        assertEquals("row 0: corrupt answer token -1 is outside the vocabulary [0, 3)", e.getMessage());
    }

    @Test
    void parsesNamesAndRejectsUnknownOnes() {
        assertEquals(Metric.Kind.LOGIT_DIFF, Metric.Kind.parse("logit-diff"));
        assertEquals(Metric.Kind.PROB_DIFF, Metric.Kind.parse("prob_diff"));
        assertEquals(Metric.Kind.KL, Metric.Kind.parse("KL"));
        assertThrows(IllegalArgumentException.class, () -> Metric.Kind.parse("accuracy"));
        assertThrows(IllegalArgumentException.class, () -> Metric.of(Metric.Kind.KL, null));
    }
}
