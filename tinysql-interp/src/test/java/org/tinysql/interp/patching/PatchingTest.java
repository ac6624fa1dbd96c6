package org.tinysql.interp.patching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.TinyModels;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.HookName;
import org.tinysql.model.RunSpec;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;
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

    /**
     * Attribution patching's estimate is exactly the first-order effect: for every cell of every sweep, the slope of
     * the corrupt run's metric when that activation moves a little towards its clean value (central difference,
     * computed here through plain RunSpec edits), divided by (clean - corrupt). A constant-factor or sign error, a
     * wrong position or head, would break it.
     */
    @Test
    void attributionIsTheExactSlopeOfEveryPatch() {
        Object[][] cases = {{TinyModels.random(TinyModels.gpt(40, 32, 2, 4), 6, 0.5), TinyModels.batch(4, 8, 40, 9, 0)},
            {TinyModels.random(TinyModels.llama(40, 32, 2, 4, 2), 3, 1.0), TinyModels.batch(3, 7, 40, 4, 0)},
            {TinyModels.plantedCopyHead(), TinyModels.firstTokenPairs(6, 4)}};
        for (Object[] cs : cases) {
            Transformer m = (Transformer) cs[0];
            PatchBatch b = (PatchBatch) cs[1];
            AttributionPatching at = new AttributionPatching(m, b, Metric.Kind.LOGIT_DIFF);
            double clean = TinyModels.logitDiff(m.forward(b.clean(), b.mask()), b);
            double corrupt = TinyModels.logitDiff(m.forward(b.corrupt(), b.mask()), b);
            assertEquals(clean, at.cleanMetric(), 1e-5);
            assertEquals(corrupt, at.corruptMetric(), 1e-5);
            int L = m.config().nLayers();
            int T = b.length();
            int C = m.config().dModel();
            int H = m.config().nHeads();
            int D = m.config().headDim();
            List<String> hooks = new ArrayList<>();
            for (int l = 0; l < L; l++) {
                hooks.addAll(List.of(HookName.residPre(l), HookName.mlpOut(l), HookName.z(l)));
            }
            Map<String, float[]> cleanActs = new HashMap<>();
            m.runWithCache(b.clean(), b.mask(), hooks::contains).forEach((k, v) -> {
                if (hooks.contains(k)) {
                    cleanActs.put(k, Buffers.toFloats(v));
                }
            });
            double worst = 0;
            double scale = 0;
            int cells = 0;
            for (int l = 0; l < L; l++) {
                for (int t = 0; t < T; t++) {
                    int tt = t;
                    IntPredicate atT = i -> (i / C) % T == tt;
                    double[] pr = {slope(m, b, HookName.residPre(l), cleanActs, atT) / (clean - corrupt), at.residualStream().get(l, t)};
                    double[] pm = {slope(m, b, HookName.mlpOut(l), cleanActs, atT) / (clean - corrupt), at.mlpOutputs().get(l, t)};
                    for (double[] pair : new double[][] {pr, pm}) {
                        worst = Math.max(worst, Math.abs(pair[0] - pair[1]));
                        scale = Math.max(scale, Math.abs(pair[0]));
                        cells++;
                    }
                }
                for (int h = 0; h < H; h++) {
                    int hh = h;
                    double exact = slope(m, b, HookName.z(l), cleanActs, i -> (i / D) % H == hh) / (clean - corrupt);
                    worst = Math.max(worst, Math.abs(exact - at.headOutputs().get(l, h)));
                    scale = Math.max(scale, Math.abs(exact));
                    cells++;
                }
            }
            assertTrue(scale > 1e-3, "the sweeps are not all zero");
            assertTrue(worst < 2e-3 * scale + 1e-5, m.config() + ": worst slope error " + worst + " of max " + scale + " over " + cells + " cells");
        }
    }

    /** d(metric)/d(eps) at eps = 0 of the corrupt run with the selected elements of {@code hook} at corrupt + eps (clean - corrupt). */
    private static double slope(Transformer m, PatchBatch b, String hook, Map<String, float[]> clean, IntPredicate selected) {
        double eps = 1e-2;
        return (moved(m, b, hook, clean.get(hook), selected, eps) - moved(m, b, hook, clean.get(hook), selected, -eps)) / (2 * eps);
    }

    private static double moved(Transformer m, PatchBatch b, String hook, float[] clean, IntPredicate selected, double eps) {
        RunSpec spec = RunSpec.of(b.corrupt(), b.mask()).edit(hook, (act, name) -> {
            float[] x = Buffers.toFloats(act);
            for (int i = 0; i < x.length; i++) {
                if (selected.test(i)) {
                    x[i] += (float) (eps * (clean[i] - x[i]));
                }
            }
            Buffers.fb(act).put(0, x);
            return null;
        });
        try (ActivationCache run = m.run(spec)) {
            return TinyModels.logitDiff(run.logits(), b);
        }
    }
}
