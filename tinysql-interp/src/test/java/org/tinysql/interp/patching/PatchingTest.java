package org.tinysql.interp.patching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.TinyModels;
import org.tinysql.model.Transformer;
import org.tinysql.util.Progress;

class PatchingTest {

    @Test
    void residualPatchingAtTheCorruptedPositionRestoresEverything() {
        Transformer m = TinyModels.random(TinyModels.gpt(40, 32, 2, 2), 2, 2);
        PatchBatch one = TinyModels.batch(1, 8, 40, 3, 0);
        int corrupted = -1;
        for (int t = 0; t < 8; t++) {
            if (one.clean()[0][t] != one.corrupt()[0][t]) {
                corrupted = t;
            }
        }
        ActivationPatching ap = new ActivationPatching(m, one, Metric.Kind.LOGIT_DIFF);
        PatchingResult r = ap.residualStream(Progress.NONE);
        for (int t = 0; t < 8; t++) {
            assertEquals(t == corrupted ? 1.0 : 0.0, r.get(0, t), 1e-4, "layer 0 position " + t);
        }
    }

    @Test
    void headPatchingFindsThePlantedHeadAndAttributionAgrees() {
        Transformer m = TinyModels.plantedCopyHead();
        PatchBatch b = TinyModels.firstTokenPairs(6, 4);
        PatchingResult heads = new ActivationPatching(m, b, Metric.Kind.LOGIT_DIFF).headOutputs(Progress.NONE);
        assertTrue(heads.get(0, 0) > 0.95, heads.format());
        assertEquals(0.0, heads.get(0, 1), 1e-6);
        AttributionPatching at = new AttributionPatching(m, b, Metric.Kind.LOGIT_DIFF);
        assertEquals(0.0, at.headOutputs().get(0, 1), 1e-6);
        assertTrue(at.headOutputs().get(0, 0) > 0.5, at.headOutputs().format());
    }

    @Test
    void attributionApproximatesActivationPatching() {
        Transformer m = TinyModels.random(TinyModels.gpt(40, 32, 2, 4), 6, 0.5);
        PatchBatch b = TinyModels.batch(4, 8, 40, 9, 0);
        ActivationPatching exact = new ActivationPatching(m, b, Metric.Kind.LOGIT_DIFF);
        AttributionPatching approx = new AttributionPatching(m, b, Metric.Kind.LOGIT_DIFF);
        assertEquals(exact.cleanMetric(), approx.cleanMetric(), 1e-5);
        assertEquals(exact.corruptMetric(), approx.corruptMetric(), 1e-5);
        double[] pairs = {
            corr(exact.residualStream(Progress.NONE).flat(), approx.residualStream().flat()),
            corr(exact.mlpOutputs(Progress.NONE).flat(), approx.mlpOutputs().flat()),
            corr(exact.headOutputs(Progress.NONE).flat(), approx.headOutputs().flat())};
        // The residual sweep includes swapping a whole token embedding at layer 0 (through LayerNorm): the least
        // linear patch, so its first-order estimate is the loosest.
        assertTrue(pairs[0] > 0.85, java.util.Arrays.toString(pairs));
        assertTrue(pairs[1] > 0.95, java.util.Arrays.toString(pairs));
        assertTrue(pairs[2] > 0.95, java.util.Arrays.toString(pairs));
    }

    static double corr(double[] a, double[] b) {
        return TinyModels.correlation(a, b);
    }
}
