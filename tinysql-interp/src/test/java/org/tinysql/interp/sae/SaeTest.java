package org.tinysql.interp.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;
import org.tinysql.util.Progress;

class SaeTest {

    /** Rows that are sparse non-negative sums of {@code nDirs} random unit directions in dimension c. */
    static final class Synthetic {
        final float[][] dirs;
        final int c;
        final Random r;
        final int active;

        Synthetic(int nDirs, int c, int active, long seed) {
            this.c = c;
            this.active = active;
            r = new Random(seed);
            dirs = new float[nDirs][c];
            for (float[] d : dirs) {
                double n = 0;
                for (int i = 0; i < c; i++) {
                    d[i] = (float) r.nextGaussian();
                    n += d[i] * d[i];
                }
                for (int i = 0; i < c; i++) {
                    d[i] /= (float) Math.sqrt(n);
                }
            }
        }

        float[] batch(int n) {
            float[] x = new float[n * c];
            for (int row = 0; row < n; row++) {
                for (int a = 0; a < active; a++) {
                    float[] d = dirs[r.nextInt(dirs.length)];
                    float m = 1f + 2f * r.nextFloat();
                    for (int i = 0; i < c; i++) {
                        x[row * c + i] += m * d[i];
                    }
                }
            }
            return x;
        }
    }

    static double bestCosine(Sae sae, float[] d) {
        double best = -1;
        for (int j = 0; j < sae.S; j++) {
            float[] w = sae.decoderRow(j);
            double dot = 0;
            double n = 0;
            for (int i = 0; i < d.length; i++) {
                dot += w[i] * d[i];
                n += w[i] * w[i];
            }
            best = Math.max(best, dot / Math.sqrt(n));
        }
        return best;
    }

    @Test
    void topKRecoversPlantedDirections() {
        Synthetic data = new Synthetic(24, 32, 3, 1);
        Sae sae = Sae.init(SaeConfig.topK(32, 64, 3), 2);
        SaeTrainer tr = new SaeTrainer(sae, SaeTrainerConfig.defaults().withLr(3e-3).withDeadWindow(5_000).withWarmup(20));
        SaeTrainer.StepStats st = tr.train(s -> data.batch(256), 1500, Progress.NONE);
        int recovered = 0;
        double worst = 1;
        for (float[] d : data.dirs) {
            double c = bestCosine(sae, d);
            worst = Math.min(worst, c);
            recovered += c > 0.9 ? 1 : 0;
        }
        assertEquals(data.dirs.length, recovered, "directions with cosine > 0.9 (worst " + worst + "), " + st.describe());
        assertTrue(st.fvu() < 0.1, st.describe());
    }

    @Test
    void everyArchitectureLearnsASparseReconstruction() {
        Synthetic data = new Synthetic(24, 32, 3, 3);
        for (SaeConfig.Architecture a : SaeConfig.Architecture.values()) {
            double l1 = a == SaeConfig.Architecture.RELU ? 0.3 : a == SaeConfig.Architecture.JUMPRELU ? 0.05 : 0;
            SaeConfig cfg = a == SaeConfig.Architecture.JUMPRELU ? new SaeConfig(a, 32, 64, 3, l1, 0.1, 0.5, null, 1)
                    : SaeConfig.of(a, 32, 64, 3, l1);
            Sae sae = Sae.init(cfg, 4);
            SaeTrainer tr = new SaeTrainer(sae, SaeTrainerConfig.defaults().withLr(3e-3).withWarmup(20));
            float[] eval = data.batch(512);
            double before = SaeMetrics.reconstruction(sae, eval, 512).fvu();
            tr.train(s -> data.batch(256), 800, Progress.NONE);
            SaeMetrics.Reconstruction r = SaeMetrics.reconstruction(sae, eval, 512);
            assertTrue(r.fvu() < 0.25 && r.fvu() < before, a + ": FVU " + before + " -> " + r.fvu());
            switch (a) {
                // TopK keeps exactly k latents per row (k positive pre-activations are always there after training).
                case TOPK -> assertEquals(3.0, r.l0(), 0.0, a + ": L0");
                // BatchTopK keeps k per row on average in training; at inference its threshold (a running estimate) gives about k.
                case BATCH_TOPK -> assertEquals(3.0, r.l0(), 0.5, a + ": L0");
                // The sparsity penalties: the data has 3 active directions a row (measured: ReLU 7.4, JumpReLU 5.3).
                default -> assertTrue(r.l0() > 2 && r.l0() < 9, a + ": L0 " + r.l0());
            }
        }
    }

    /** Analytic gradients of the weights equal central finite differences of the loss (selection held fixed). */
    @Test
    void gradientsMatchFiniteDifferences() {
        Synthetic data = new Synthetic(10, 8, 2, 5);
        for (SaeConfig.Architecture a : SaeConfig.Architecture.values()) {
            double l1 = a == SaeConfig.Architecture.RELU ? 0.1 : a == SaeConfig.Architecture.JUMPRELU ? 0.01 : 0;
            Sae sae = Sae.init(SaeConfig.of(a, 8, 16, 3, l1), 6);
            // Move off the initialisation so biases and thresholds matter.
            new SaeTrainer(sae, SaeTrainerConfig.defaults().withLr(1e-2).withWarmup(1)).train(s -> data.batch(32), 20, Progress.NONE);
            SaeTrainer tr = new SaeTrainer(sae, SaeTrainerConfig.defaults().withDeadWindow(Long.MAX_VALUE));
            INDArray x = Buffers.of(data.batch(16), 16, 8);
            tr.gradients(x);
            Codes base = tr.lastCodes().toCodes();
            float[][] g = new float[4][];
            for (int t = 0; t < g.length; t++) {
                g[t] = Buffers.toFloats(tr.gradientArrays()[t]);
            }
            int checked = 0;
            INDArray[] p = {sae.wEnc, sae.bEnc, sae.wDec, sae.bDec};
            String[] names = {"W_enc", "b_enc", "W_dec", "b_dec"};
            Random r = new Random(7);
            for (int t = 0; t < p.length; t++) {
                float[] analytic = g[t];
                FloatBuffer pb = Buffers.fb(p[t]);
                for (int trial = 0; trial < 12; trial++) {
                    int i = r.nextInt((int) p[t].length());
                    float keep = pb.get(i);
                    float h = 1e-3f;
                    pb.put(i, keep + h);
                    double up = tr.gradients(x).loss();
                    Codes cu = tr.lastCodes().toCodes();
                    pb.put(i, keep - h);
                    double down = tr.gradients(x).loss();
                    Codes cd = tr.lastCodes().toCodes();
                    pb.put(i, keep);
                    if (!sameSelection(base, cu) || !sameSelection(base, cd)) {
                        continue; // the perturbation crossed a selection boundary: no derivative there
                    }
                    checked++;
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, analytic[i], 2e-2 * Math.max(1, Math.abs(fd)), a + " " + names[t] + "[" + i + "]");
                }
            }
            assertTrue(checked >= 30, a + ": only " + checked + " entries checked");
        }
    }

    static boolean sameSelection(Codes a, Codes b) {
        return java.util.Arrays.equals(a.idx, b.idx) && java.util.Arrays.equals(a.start, b.start);
    }

    @Test
    void metricsEqualHandComputedValues() {
        // x rows (1,0), (3,2); x_hat rows (1,1), (2,2); C = 2.
        float[] x = {1, 0, 3, 2};
        float[] xhat = {1, 1, 2, 2};
        Codes z = Codes.of(new int[][] {{0, 2}, {2}}, new float[][] {{1f, 2f}, {3f}});
        SaeMetrics.Reconstruction r = SaeMetrics.reconstruction(x, xhat, 2, 2, z, 4);
        // Squared errors: 0 + 1 + 1 + 0 = 2; MSE = 2 / 4. Mean (2, 1): variance sum 1 + 1 + 1 + 1 = 4; FVU = 0.5.
        assertEquals(0.5, r.mse(), 1e-12);
        assertEquals(0.5, r.fvu(), 1e-12);
        assertEquals(0.5, r.explainedVariance(), 1e-12);
        double cos1 = 1 / Math.sqrt(2);
        double cos2 = (6 + 4) / Math.sqrt(13 * 8);
        assertEquals((cos1 + cos2) / 2, r.cosine(), 1e-9);
        assertEquals(1.5, r.l0(), 1e-12);
        assertEquals(0.5, r.deadFraction(), 1e-12);   // latents 1 and 3 never fire
        assertEquals(0.5, r.denseFraction(), 1e-12);  // latents 0 and 2 fire on > 10% of rows
    }

    @Test
    void savesAndLoadsEveryArchitecture(@TempDir Path dir) throws Exception {
        Synthetic data = new Synthetic(10, 8, 2, 8);
        for (SaeConfig.Architecture a : SaeConfig.Architecture.values()) {
            Sae sae = Sae.init(SaeConfig.of(a, 8, 16, 2, 0.01).withHook("blocks.0.hook_resid_post").withNormScale(1.7), 3);
            new SaeTrainer(sae, SaeTrainerConfig.defaults().withLr(1e-2)).train(s -> data.batch(32), 30, Progress.NONE);
            Path d = dir.resolve(a.key);
            sae.save(d);
            Sae back = Sae.load(d);
            assertEquals(sae.config(), back.config());
            float[] x = data.batch(10);
            assertArrayEquals(sae.reconstruct(x, 10), back.reconstruct(x, 10), 1e-6f, a.toString());
        }
        assertThrows(java.io.IOException.class, () -> Sae.load(dir.resolve("missing")));
    }

    @Test
    void rejectsBadShapes() {
        Sae sae = Sae.init(SaeConfig.topK(8, 16, 2), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sae.encode(new float[7], 1));
        assertTrue(e.getMessage().contains("[1, 8]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SaeConfig.topK(8, 16, 0));
        assertThrows(IllegalArgumentException.class, () -> SaeConfig.Architecture.parse("gated"));
    }
}
