package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every backward kernel against central finite differences of its forward kernel. The scalar probed is
 * L = sum(g * f(x)) with a fixed random g, accumulated in double; analytic dL/dx comes from the backward kernel.
 */
class KernelGradientTest {
    private final Kernels k = new CpuKernels();
    private final SplittableRandom r = new SplittableRandom(42);

    private INDArray rand(double scale, long... shape) {
        INDArray a = Buffers.zeros(shape);
        FloatBuffer b = Buffers.fb(a);
        for (int i = 0; i < a.length(); i++) {
            b.put(i, (float) ((r.nextDouble() * 2 - 1) * scale));
        }
        return a;
    }

    private static double dot(INDArray g, INDArray y) {
        FloatBuffer a = Buffers.fb(g), b = Buffers.fb(y);
        double s = 0;
        for (int i = 0; i < g.length(); i++) {
            s += (double) a.get(i) * b.get(i);
        }
        return s;
    }

    /**
     * Checks analytic gradient {@code grad} of input {@code x} against finite differences of {@code loss}, on up to 40
     * random coordinates. Relative error is measured against the largest analytic gradient entry.
     */
    private void check(String what, INDArray x, INDArray grad, Supplier<Double> loss) {
        FloatBuffer xb = Buffers.fb(x), gb = Buffers.fb(grad);
        double maxG = 1e-12;
        for (int i = 0; i < grad.length(); i++) {
            maxG = Math.max(maxG, Math.abs(gb.get(i)));
        }
        double eps = 1e-2;
        int n = (int) x.length();
        for (int t = 0; t < Math.min(40, n); t++) {
            int i = n <= 40 ? t : r.nextInt(n);
            float orig = xb.get(i);
            xb.put(i, (float) (orig + eps));
            double lp = loss.get();
            xb.put(i, (float) (orig - eps));
            double lm = loss.get();
            xb.put(i, orig);
            double fd = (lp - lm) / (2 * eps);
            double err = Math.abs(fd - gb.get(i)) / maxG;
            assertTrue(err < 2e-2, what + "[" + i + "]: finite difference " + fd + " vs backward " + gb.get(i) + " (rel " + err + ")");
        }
    }

    @Test
    void linear() {
        INDArray x = rand(1, 6, 5), w = rand(1, 4, 5), b = rand(1, 4), y = Buffers.zeros(6, 4), g = rand(1, 6, 4);
        Supplier<Double> loss = () -> {
            k.linear(x, w, b, y);
            return dot(g, y);
        };
        INDArray dx = Buffers.zeros(6, 5), dw = Buffers.zeros(4, 5), db = Buffers.zeros(4);
        k.linearBackward(g, x, w, dx, dw, db);
        check("linear dx", x, dx, loss);
        check("linear dW", w, dw, loss);
        check("linear db", b, db, loss);
    }

    @Test
    void layerNormAndRmsNorm() {
        int n = 5, c = 8;
        INDArray x = rand(2, n, c), w = rand(1, c), b = rand(1, c), y = Buffers.zeros(n, c), g = rand(1, n, c);
        INDArray mean = Buffers.zeros(n), rstd = Buffers.zeros(n);
        Supplier<Double> ln = () -> {
            k.layerNorm(x, w, b, y, mean, rstd, 1e-5);
            return dot(g, y);
        };
        ln.get();
        INDArray dx = Buffers.zeros(n, c), dw = Buffers.zeros(c), db = Buffers.zeros(c);
        k.layerNormBackward(g, x, w, mean, rstd, dx, dw, db);
        check("layernorm dx", x, dx, ln);
        check("layernorm dw", w, dw, ln);
        check("layernorm db", b, db, ln);

        Supplier<Double> rms = () -> {
            k.rmsNorm(x, w, y, rstd, 1e-6);
            return dot(g, y);
        };
        rms.get();
        INDArray dx2 = Buffers.zeros(n, c), dw2 = Buffers.zeros(c);
        k.rmsNormBackward(g, x, w, rstd, dx2, dw2);
        check("rmsnorm dx", x, dx2, rms);
        check("rmsnorm dw", w, dw2, rms);
    }

    @Test
    void geluAndSwiglu() {
        INDArray x = rand(3, 4, 7), y = Buffers.zeros(4, 7), g = rand(1, 4, 7);
        Supplier<Double> gelu = () -> {
            k.gelu(x, y);
            return dot(g, y);
        };
        INDArray dx = Buffers.zeros(4, 7);
        k.geluBackward(g, x, dx);
        check("gelu", x, dx, gelu);

        INDArray gate = rand(3, 4, 7), up = rand(2, 4, 7);
        Supplier<Double> sw = () -> {
            k.swiglu(gate, up, y);
            return dot(g, y);
        };
        INDArray dg = Buffers.zeros(4, 7), du = Buffers.zeros(4, 7);
        k.swigluBackward(g, gate, up, dg, du);
        check("swiglu gate", gate, dg, sw);
        check("swiglu up", up, du, sw);
    }

    @Test
    void rope() {
        int b = 2, t = 5, nh = 3, d = 4;
        int[][] pos = {{0, 1, 2, 3, 4}, {3, 4, 5, 6, 7}};
        double[] inv = {1.0, 0.01};
        INDArray x = rand(1, b, t, nh, d), y = Buffers.zeros(b, t, nh, d), g = rand(1, b, t, nh, d);
        Supplier<Double> loss = () -> {
            k.rope(x, nh, pos, inv, y);
            return dot(g, y);
        };
        INDArray dx = Buffers.zeros(b, t, nh, d);
        k.ropeBackward(g, nh, pos, inv, dx);
        check("rope", x, dx, loss);
    }

    /**
     * Forward values against the formulas in double: RoPE at positions past its first cached table (64) and with a
     * second set of frequencies (the table is rebuilt), in place as generation uses it; SwiGLU over a wide range.
     */
    @Test
    void ropeAndSwigluValues() {
        int nh = 2, d = 6, t = 3;
        for (double[] inv : new double[][] {{1.0, 0.1, 0.01}, {0.5, 0.05, 0.005}}) {
            int[][] pos = {{0, 63, 64}, {200, 511, 7}};
            INDArray x = rand(1, 2, t, nh, d);
            FloatBuffer xb = Buffers.fb(x);
            float[] before = new float[(int) x.length()];
            xb.get(0, before);
            k.rope(x, nh, pos, inv, x);
            for (int bi = 0; bi < 2; bi++) {
                for (int ti = 0; ti < t; ti++) {
                    for (int h = 0; h < nh; h++) {
                        int o = ((bi * t + ti) * nh + h) * d;
                        for (int i = 0; i < d / 2; i++) {
                            double a = pos[bi][ti] * inv[i];
                            double x1 = before[o + i], x2 = before[o + i + d / 2];
                            assertTrue(Math.abs(xb.get(o + i) - (x1 * Math.cos(a) - x2 * Math.sin(a))) < 1e-6, "rope x1");
                            assertTrue(Math.abs(xb.get(o + i + d / 2) - (x2 * Math.cos(a) + x1 * Math.sin(a))) < 1e-6, "rope x2");
                        }
                    }
                }
            }
        }
        int n = 40_000; // several parallel blocks
        INDArray gate = Buffers.zeros(n), up = Buffers.zeros(n), out = Buffers.zeros(n);
        FloatBuffer gb = Buffers.fb(gate), ub = Buffers.fb(up), ob = Buffers.fb(out);
        for (int i = 0; i < n; i++) {
            gb.put(i, -30f + 60f * i / n);
            ub.put(i, 1f + (i % 7));
        }
        k.swiglu(gate, up, out);
        for (int i = 0; i < n; i++) {
            double g = gb.get(i);
            double want = g / (1 + Math.exp(-g)) * ub.get(i);
            assertTrue(Math.abs(ob.get(i) - want) <= 1e-6 * Math.max(1, Math.abs(want)), "swiglu at gate " + g + ": " + ob.get(i) + " vs " + want);
        }
    }

    @Test
    void attentionWithGqaWindowAndPadding() {
        int b = 2, t = 6, h = 4, kv = 2, d = 3;
        int[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}};
        INDArray q = rand(1, b, t, h, d), kk = rand(1, b, t, kv, d), v = rand(1, b, t, kv, d);
        INDArray scores = Buffers.zeros(b, h, t, t), pat = Buffers.zeros(b, h, t, t), z = Buffers.zeros(b, t, h, d);
        INDArray g = rand(1, b, t, h, d);
        for (int window : new int[] {0, 3}) {
            Supplier<Double> loss = () -> {
                k.attentionScores(q, kk, h, kv, mask, window, 0.5f, 0, scores);
                k.softmax(scores, pat);
                k.attentionApply(pat, v, h, kv, z);
                return dot(g, z);
            };
            loss.get();
            INDArray dpat = Buffers.zeros(b, h, t, t), dscores = Buffers.zeros(b, h, t, t);
            INDArray dq = Buffers.zeros(b, t, h, d), dk = Buffers.zeros(b, t, kv, d), dv = Buffers.zeros(b, t, kv, d);
            k.attentionApplyBackward(g, pat, v, h, kv, dpat, dv);
            k.softmaxBackward(dpat, pat, dscores);
            k.attentionScoresBackward(dscores, q, kk, h, kv, 0.5f, dq, dk);
            check("attention dq w=" + window, q, dq, loss);
            check("attention dk w=" + window, kk, dk, loss);
            check("attention dv w=" + window, v, dv, loss);
        }
    }

    @Test
    void embeddingAndCrossEntropy() {
        int[] ids = {3, 1, 3, 0};
        INDArray table = rand(1, 5, 4), out = Buffers.zeros(4, 4), g = rand(1, 4, 4);
        Supplier<Double> emb = () -> {
            k.embedding(ids, table, out);
            return dot(g, out);
        };
        INDArray dt = Buffers.zeros(5, 4);
        k.embeddingBackward(g, ids, dt);
        check("embedding", table, dt, emb);

        INDArray logits = rand(3, 4, 6);
        int[] targets = {2, -100, 5, 0};
        Supplier<Double> ce = () -> {
            double[] r2 = k.crossEntropy(logits, targets, null, 1f);
            return r2[0] / r2[1];
        };
        INDArray dl = Buffers.zeros(4, 6);
        k.crossEntropy(logits, targets, dl, 1f);
        check("cross-entropy", logits, dl, ce);
    }

    @Test
    void linearBackwardAccumulates() {
        INDArray x = rand(1, 3, 2), w = rand(1, 2, 2), g = rand(1, 3, 2);
        INDArray dw = Buffers.zeros(2, 2);
        k.linearBackward(g, x, w, null, dw, null);
        INDArray once = dw.dup();
        k.linearBackward(g, x, w, null, dw, null);
        assertTrue(dw.equalsWithEps(once.mul(2), 1e-6));
    }
}
