package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * CPU kernels: matrix products through {@code Nd4j.gemm} into preallocated outputs (OpenBLAS), everything else as
 * fused loops over the arrays' direct buffers (one pass, no temporaries, no per-op dispatch overhead).
 */
public final class CpuKernels implements Kernels {
    private static final float NEG = -Float.MAX_VALUE;
    private static final double GELU_C = Math.sqrt(2.0 / Math.PI);

    @Override
    public void linear(INDArray x, INDArray w, INDArray b, INDArray y) {
        Nd4j.gemm(x, w, y, false, true, 1.0, 0.0);
        if (b != null) {
            float[] yv = get(y);
            float[] bv = get(b);
            int m = bv.length;
            for (int o = 0; o < yv.length; o += m) {
                for (int j = 0; j < m; j++) {
                    yv[o + j] += bv[j];
                }
            }
            put(y, yv);
        }
    }

    @Override
    public void linearBackward(INDArray dy, INDArray x, INDArray w, INDArray dx, INDArray dw, INDArray db) {
        if (dx != null) {
            Nd4j.gemm(dy, w, dx, false, false, 1.0, 1.0);
        }
        if (dw != null) {
            Nd4j.gemm(dy, x, dw, true, false, 1.0, 1.0);
        }
        if (db != null) {
            float[] d = get(dy);
            float[] g = get(db);
            int m = g.length;
            for (int o = 0; o < d.length; o += m) {
                for (int j = 0; j < m; j++) {
                    g[j] += d[o + j];
                }
            }
            put(db, g);
        }
    }

    /** The array's floats as a Java array (one bulk copy). */
    static float[] get(INDArray a) {
        float[] f = new float[(int) a.length()];
        fb(a).get(0, f);
        return f;
    }

    /** Writes a Java array back into the ND4J array (one bulk copy). */
    static void put(INDArray a, float[] f) {
        fb(a).put(0, f);
    }

    /** tanh through exp (Math.tanh is the slow StrictMath version); exact to float precision. */
    static float tanh(float u) {
        if (u > 20f) {
            return 1f;
        }
        if (u < -20f) {
            return -1f;
        }
        float e = (float) Math.exp(2.0 * u);
        return (e - 1f) / (e + 1f);
    }

    @Override
    public void layerNorm(INDArray x, INDArray w, INDArray b, INDArray y, float[] mean, float[] rstd, double eps) {
        float[] xv = get(x), wv = get(w), bv = get(b);
        float[] yv = new float[xv.length];
        int c = wv.length;
        for (int r = 0, o = 0; o < xv.length; r++, o += c) {
            double s = 0;
            for (int i = 0; i < c; i++) {
                s += xv[o + i];
            }
            double mu = s / c;
            double v = 0;
            for (int i = 0; i < c; i++) {
                double d = xv[o + i] - mu;
                v += d * d;
            }
            double rs = 1.0 / Math.sqrt(v / c + eps);
            mean[r] = (float) mu;
            rstd[r] = (float) rs;
            for (int i = 0; i < c; i++) {
                yv[o + i] = (float) ((xv[o + i] - mu) * rs * wv[i] + bv[i]);
            }
        }
        put(y, yv);
    }

    @Override
    public void layerNormBackward(INDArray dy, INDArray x, INDArray w, float[] mean, float[] rstd, INDArray dx, INDArray dw, INDArray db) {
        float[] dyv = get(dy), xv = get(x), wv = get(w), dxv = get(dx), dwv = get(dw), dbv = get(db);
        int c = wv.length;
        for (int r = 0, o = 0; o < xv.length; r++, o += c) {
            float mu = mean[r];
            float rs = rstd[r];
            double sumG = 0;
            double sumGx = 0;
            for (int i = 0; i < c; i++) {
                float xhat = (xv[o + i] - mu) * rs;
                float g = dyv[o + i] * wv[i];
                sumG += g;
                sumGx += g * xhat;
                dwv[i] += dyv[o + i] * xhat;
                dbv[i] += dyv[o + i];
            }
            float mg = (float) (sumG / c);
            float mgx = (float) (sumGx / c);
            for (int i = 0; i < c; i++) {
                float xhat = (xv[o + i] - mu) * rs;
                float g = dyv[o + i] * wv[i];
                dxv[o + i] += rs * (g - mg - xhat * mgx);
            }
        }
        put(dx, dxv);
        put(dw, dwv);
        put(db, dbv);
    }

    @Override
    public void rmsNorm(INDArray x, INDArray w, INDArray y, float[] rstd, double eps) {
        float[] xv = get(x), wv = get(w);
        float[] yv = new float[xv.length];
        int c = wv.length;
        for (int r = 0, o = 0; o < xv.length; r++, o += c) {
            double ss = 0;
            for (int i = 0; i < c; i++) {
                double v = xv[o + i];
                ss += v * v;
            }
            float rs = (float) (1.0 / Math.sqrt(ss / c + eps));
            rstd[r] = rs;
            for (int i = 0; i < c; i++) {
                yv[o + i] = wv[i] * (xv[o + i] * rs);
            }
        }
        put(y, yv);
    }

    @Override
    public void rmsNormBackward(INDArray dy, INDArray x, INDArray w, float[] rstd, INDArray dx, INDArray dw) {
        float[] dyv = get(dy), xv = get(x), wv = get(w), dxv = get(dx), dwv = get(dw);
        int c = wv.length;
        for (int r = 0, o = 0; o < xv.length; r++, o += c) {
            float rs = rstd[r];
            double dot = 0;
            for (int i = 0; i < c; i++) {
                float xhat = xv[o + i] * rs;
                float g = dyv[o + i] * wv[i];
                dot += g * xhat;
                dwv[i] += dyv[o + i] * xhat;
            }
            float m = (float) (dot / c);
            for (int i = 0; i < c; i++) {
                float xhat = xv[o + i] * rs;
                float g = dyv[o + i] * wv[i];
                dxv[o + i] += rs * (g - xhat * m);
            }
        }
        put(dx, dxv);
        put(dw, dwv);
    }

    @Override
    public void gelu(INDArray x, INDArray y) {
        float[] xv = get(x);
        float[] yv = new float[xv.length];
        float c = (float) GELU_C;
        for (int i = 0; i < xv.length; i++) {
            float v = xv[i];
            yv[i] = 0.5f * v * (1f + tanh(c * (v + 0.044715f * v * v * v)));
        }
        put(y, yv);
    }

    @Override
    public void geluBackward(INDArray dy, INDArray x, INDArray dx) {
        float[] dyv = get(dy), xv = get(x), dxv = get(dx);
        float c = (float) GELU_C;
        for (int i = 0; i < xv.length; i++) {
            float v = xv[i];
            float t = tanh(c * (v + 0.044715f * v * v * v));
            float du = c * (1 + 3 * 0.044715f * v * v);
            dxv[i] += dyv[i] * (0.5f * (1 + t) + 0.5f * v * (1 - t * t) * du);
        }
        put(dx, dxv);
    }

    @Override
    public void swiglu(INDArray gate, INDArray up, INDArray out) {
        float[] gv = get(gate), uv = get(up);
        float[] ov = new float[gv.length];
        for (int i = 0; i < gv.length; i++) {
            float g = gv[i];
            ov[i] = g / (1f + (float) Math.exp(-g)) * uv[i];
        }
        put(out, ov);
    }

    @Override
    public void swigluBackward(INDArray dout, INDArray gate, INDArray up, INDArray dgate, INDArray dup) {
        float[] dv = get(dout), gv = get(gate), uv = get(up), dgv = get(dgate), duv = get(dup);
        for (int i = 0; i < gv.length; i++) {
            float g = gv[i];
            float s = 1f / (1f + (float) Math.exp(-g));
            duv[i] += dv[i] * g * s;
            dgv[i] += dv[i] * uv[i] * s * (1 + g * (1 - s));
        }
        put(dgate, dgv);
        put(dup, duv);
    }

    /** cos/sin tables computed in double, as the reference does, then rounded to float. */
    private static void ropeAngles(int p, int half, int d, double theta, float[] cos, float[] sin) {
        for (int i = 0; i < half; i++) {
            double inv = 1.0 / Math.pow(theta, (2.0 * i) / d);
            double a = p * inv;
            cos[i] = (float) Math.cos(a);
            sin[i] = (float) Math.sin(a);
        }
    }

    @Override
    public void rope(INDArray x, int nh, int[][] pos, double theta, INDArray out) {
        rotate(x, nh, pos, theta, out, 1f, false);
    }

    @Override
    public void ropeBackward(INDArray dout, int nh, int[][] pos, double theta, INDArray dx) {
        rotate(dout, nh, pos, theta, dx, -1f, true);
    }

    private static void rotate(INDArray x, int nh, int[][] pos, double theta, INDArray out, float sign, boolean accumulate) {
        FloatBuffer xb = fb(x), ob = fb(out);
        int b = pos.length;
        int t = pos[0].length;
        int d = (int) (x.length() / ((long) b * t * nh));
        int half = d / 2;
        float[] cos = new float[half];
        float[] sin = new float[half];
        for (int bi = 0; bi < b; bi++) {
            for (int ti = 0; ti < t; ti++) {
                ropeAngles(pos[bi][ti], half, d, theta, cos, sin);
                for (int h = 0; h < nh; h++) {
                    int o = ((bi * t + ti) * nh + h) * d;
                    for (int i = 0; i < half; i++) {
                        float x1 = xb.get(o + i);
                        float x2 = xb.get(o + i + half);
                        float s = sign * sin[i];
                        float r1 = x1 * cos[i] - x2 * s;
                        float r2 = x2 * cos[i] + x1 * s;
                        if (accumulate) {
                            ob.put(o + i, ob.get(o + i) + r1);
                            ob.put(o + i + half, ob.get(o + i + half) + r2);
                        } else {
                            ob.put(o + i, r1);
                            ob.put(o + i + half, r2);
                        }
                    }
                }
            }
        }
    }

    /** [B, T, heads*D] (any row-major view of it) as a contiguous [B, heads, T, D] copy. */
    private static INDArray headsFirst(INDArray x, int b, int t, int heads, int d) {
        return x.reshape('c', b, t, heads, d).permute(0, 2, 1, 3).dup('c');
    }

    private static INDArray slice(INDArray a, int i, int j) {
        return a.get(NDArrayIndex.point(i), NDArrayIndex.point(j), NDArrayIndex.all(), NDArrayIndex.all());
    }

    /** dst[B, T, heads, D] += src[B, heads, T, D] (or = when not accumulating). */
    private static void addHeadsBack(INDArray src, INDArray dst, int b, int t, int heads, int d, boolean accumulate) {
        INDArray back = src.permute(0, 2, 1, 3);
        INDArray view = dst.reshape('c', b, t, heads, d);
        if (accumulate) {
            view.addi(back);
        } else {
            view.assign(back);
        }
    }

    @Override
    public void attentionScores(INDArray q, INDArray k, int nHeads, int nKv, int[][] keyMask, int window, float scale,
                                int offset, INDArray scores) {
        int b = (int) scores.size(0);
        int tq = (int) scores.size(2);
        int tk = (int) scores.size(3);
        int d = (int) (q.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        try (Arena arena = new Arena()) {
            INDArray qh = arena.own(headsFirst(q, b, tq, nHeads, d));
            INDArray kh = arena.own(headsFirst(k, b, tk, nKv, d));
            for (int bi = 0; bi < b; bi++) {
                for (int h = 0; h < nHeads; h++) {
                    Nd4j.gemm(slice(qh, bi, h), slice(kh, bi, h / group), slice(scores, bi, h), false, true, scale, 0.0);
                }
            }
        }
        FloatBuffer sb = fb(scores);
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < tq; i++) {
                int qi = i + offset;
                for (int j = 0; j < tk; j++) {
                    boolean visible = j <= qi && keyMask[bi][j] != 0 && (window == 0 || qi - j < window);
                    if (!visible) {
                        for (int h = 0; h < nHeads; h++) {
                            sb.put(((bi * nHeads + h) * tq + i) * tk + j, NEG);
                        }
                    }
                }
            }
        }
    }

    @Override
    public void softmax(INDArray scores, INDArray pattern) {
        float[] sv = get(scores);
        int n = (int) scores.size(scores.rank() - 1);
        for (int o = 0; o < sv.length; o += n) {
            float max = NEG;
            for (int j = 0; j < n; j++) {
                max = Math.max(max, sv[o + j]);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                float e = (float) Math.exp(sv[o + j] - max);
                sv[o + j] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int j = 0; j < n; j++) {
                sv[o + j] *= inv;
            }
        }
        put(pattern, sv);
    }

    @Override
    public void attentionApply(INDArray pattern, INDArray v, int nHeads, int nKv, INDArray z) {
        int b = (int) pattern.size(0);
        int tq = (int) pattern.size(2);
        int tk = (int) pattern.size(3);
        int d = (int) (z.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        try (Arena arena = new Arena()) {
            INDArray vh = arena.own(headsFirst(v, b, tk, nKv, d));
            INDArray zh = arena.zeros(b, nHeads, tq, d);
            for (int bi = 0; bi < b; bi++) {
                for (int h = 0; h < nHeads; h++) {
                    Nd4j.gemm(slice(pattern, bi, h), slice(vh, bi, h / group), slice(zh, bi, h), false, false, 1.0, 0.0);
                }
            }
            addHeadsBack(zh, z, b, tq, nHeads, d, false);
        }
    }

    @Override
    public void attentionApplyBackward(INDArray dz, INDArray pattern, INDArray v, int nHeads, int nKv, INDArray dpattern, INDArray dv) {
        int b = (int) pattern.size(0);
        int tq = (int) pattern.size(2);
        int tk = (int) pattern.size(3);
        int d = (int) (dz.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        try (Arena arena = new Arena()) {
            INDArray dzh = arena.own(headsFirst(dz, b, tq, nHeads, d));
            INDArray vh = arena.own(headsFirst(v, b, tk, nKv, d));
            INDArray dvh = arena.zeros(b, nKv, tk, d);
            for (int bi = 0; bi < b; bi++) {
                for (int h = 0; h < nHeads; h++) {
                    INDArray dzs = slice(dzh, bi, h);
                    Nd4j.gemm(dzs, slice(vh, bi, h / group), slice(dpattern, bi, h), false, true, 1.0, 0.0);
                    Nd4j.gemm(slice(pattern, bi, h), dzs, slice(dvh, bi, h / group), true, false, 1.0, 1.0);
                }
            }
            addHeadsBack(dvh, dv, b, tk, nKv, d, true);
        }
    }

    @Override
    public void softmaxBackward(INDArray dpattern, INDArray pattern, INDArray dscores) {
        float[] dv = get(dpattern), pv = get(pattern);
        int n = (int) pattern.size(pattern.rank() - 1);
        for (int o = 0; o < pv.length; o += n) {
            double dot = 0;
            for (int j = 0; j < n; j++) {
                dot += dv[o + j] * pv[o + j];
            }
            float m = (float) dot;
            for (int j = 0; j < n; j++) {
                dv[o + j] = pv[o + j] * (dv[o + j] - m);
            }
        }
        put(dscores, dv);
    }

    @Override
    public void attentionScoresBackward(INDArray dscores, INDArray q, INDArray k, int nHeads, int nKv, float scale, INDArray dq, INDArray dk) {
        int b = (int) dscores.size(0);
        int tq = (int) dscores.size(2);
        int tk = (int) dscores.size(3);
        int d = (int) (q.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        try (Arena arena = new Arena()) {
            INDArray qh = arena.own(headsFirst(q, b, tq, nHeads, d));
            INDArray kh = arena.own(headsFirst(k, b, tk, nKv, d));
            INDArray dqh = arena.zeros(b, nHeads, tq, d);
            INDArray dkh = arena.zeros(b, nKv, tk, d);
            for (int bi = 0; bi < b; bi++) {
                for (int h = 0; h < nHeads; h++) {
                    INDArray ds = slice(dscores, bi, h);
                    Nd4j.gemm(ds, slice(kh, bi, h / group), slice(dqh, bi, h), false, false, scale, 0.0);
                    Nd4j.gemm(ds, slice(qh, bi, h), slice(dkh, bi, h / group), true, false, scale, 1.0);
                }
            }
            addHeadsBack(dqh, dq, b, tq, nHeads, d, true);
            addHeadsBack(dkh, dk, b, tk, nKv, d, true);
        }
    }

    @Override
    public void embedding(int[] ids, INDArray table, INDArray out) {
        FloatBuffer tb = fb(table), ob = fb(out);
        int c = (int) table.size(1);
        int v = (int) table.size(0);
        for (int n = 0; n < ids.length; n++) {
            int id = ids[n];
            if (id < 0 || id >= v) {
                throw new IllegalArgumentException("token id " + id + " at position " + n + " is outside the vocabulary [0, " + v + ")");
            }
            for (int i = 0; i < c; i++) {
                ob.put(n * c + i, tb.get(id * c + i));
            }
        }
    }

    @Override
    public void embeddingBackward(INDArray dout, int[] ids, INDArray dtable) {
        FloatBuffer db = fb(dout), tb = fb(dtable);
        int c = (int) dtable.size(1);
        for (int n = 0; n < ids.length; n++) {
            int o = ids[n] * c;
            for (int i = 0; i < c; i++) {
                tb.put(o + i, tb.get(o + i) + db.get(n * c + i));
            }
        }
    }

    @Override
    public double[] crossEntropy(INDArray logits, int[] targets, INDArray dlogits, float gradScale) {
        int v = (int) logits.size(1);
        int count = 0;
        for (int t : targets) {
            if (t != -100) {
                if (t < 0 || t >= v) {
                    throw new IllegalArgumentException("target " + t + " is outside the vocabulary [0, " + v + ")");
                }
                count++;
            }
        }
        FloatBuffer lb = fb(logits);
        FloatBuffer db = dlogits == null ? null : fb(dlogits);
        float[] row = new float[v];
        float[] zero = db == null ? null : new float[v];
        double total = 0;
        float inv = count == 0 ? 0f : gradScale / count;
        for (int r = 0; r < targets.length; r++) {
            int o = r * v;
            if (targets[r] == -100) {
                if (db != null) {
                    db.put(o, zero);
                }
                continue;
            }
            lb.get(o, row);
            float max = NEG;
            for (int j = 0; j < v; j++) {
                max = Math.max(max, row[j]);
            }
            double sum = 0;
            for (int j = 0; j < v; j++) {
                sum += Math.exp(row[j] - max);
            }
            double logZ = max + Math.log(sum);
            total += logZ - row[targets[r]];
            if (db != null) {
                for (int j = 0; j < v; j++) {
                    row[j] = (float) Math.exp(row[j] - logZ) * inv;
                }
                row[targets[r]] -= inv;
                db.put(o, row);
            }
        }
        return new double[] {total, count};
    }
}
