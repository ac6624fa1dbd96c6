package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CPU kernels: matrix products through {@code Nd4j.gemm} into preallocated outputs (OpenBLAS); everything else as
 * fused Java loops over heap copies of the arrays (one bulk copy in and out, no per-element buffer calls, no per-op
 * dispatch overhead). Attention runs per (batch, head) in parallel, with keys/values transposed so the inner loops
 * are vectorisable axpys; causal rows stop at their last non-zero entry.
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

    /** Head {@code kvh} of batch row {@code bi} of x[B, T, nKv, D], transposed to [D][T]. */
    private static float[] headTransposed(float[] x, int bi, int kvh, int t, int nKv, int d) {
        float[] out = new float[d * t];
        for (int j = 0; j < t; j++) {
            int o = ((bi * t + j) * nKv + kvh) * d;
            for (int e = 0; e < d; e++) {
                out[e * t + j] = x[o + e];
            }
        }
        return out;
    }

    /** One past the last non-zero entry of row [o, o + n): causal rows end early, and the loops can stop there. */
    private static int rowEnd(float[] a, int o, int n) {
        int j = n;
        while (j > 0 && a[o + j - 1] == 0f) {
            j--;
        }
        return j;
    }

    /** A loop body over [from, to). */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** Runs {@code body} over [0, n) in parallel chunks (elementwise kernels: each index written by one chunk). */
    static void chunks(int n, Range body) {
        int parts = n < 1 << 15 ? 1 : Math.min(64, n >> 14);
        if (parts == 1) {
            body.run(0, n);
            return;
        }
        int size = (n + parts - 1) / parts;
        IntStream.range(0, parts).parallel().forEach(p -> body.run(p * size, Math.min(n, (p + 1) * size)));
    }

    /** The array's floats as a Java array (one bulk copy). */
    static float[] get(INDArray a) {
        float[] f = new float[(int) a.length()];
        fb(a).get(0, f);
        return f;
    }

    /** Writes a Java array back into the ND4J array (one bulk copy). */
    static void put(INDArray a, float[] f) {
        if (a == null) {
            return;
        }
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

    /** Rows per parallel chunk of the row-wise kernels (fixed, so results do not depend on the thread count). */
    private static final int ROW_CHUNK = 32;

    private static int chunks(int rows) {
        return (rows + ROW_CHUNK - 1) / ROW_CHUNK;
    }

    @Override
    public void layerNorm(INDArray x, INDArray w, INDArray b, INDArray y, float[] mean, float[] rstd, double eps) {
        float[] xv = get(x), wv = get(w), bv = get(b);
        float[] yv = new float[xv.length];
        int c = wv.length;
        int rows = xv.length / c;
        java.util.stream.IntStream.range(0, chunks(rows)).parallel().forEach(ch -> {
            for (int r = ch * ROW_CHUNK; r < Math.min(rows, (ch + 1) * ROW_CHUNK); r++) {
                int o = r * c;
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
        });
        put(y, yv);
    }

    @Override
    public void layerNormBackward(INDArray dy, INDArray x, INDArray w, float[] mean, float[] rstd, INDArray dx, INDArray dw, INDArray db) {
        float[] dyv = get(dy), xv = get(x), wv = get(w), dxv = get(dx);
        int c = wv.length;
        int rows = xv.length / c;
        int nch = chunks(rows);
        boolean wantW = dw != null || db != null;
        float[][] dwPart = new float[wantW ? nch : 0][];
        float[][] dbPart = new float[wantW ? nch : 0][];
        java.util.stream.IntStream.range(0, nch).parallel().forEach(ch -> {
            float[] pw = wantW ? new float[c] : null;
            float[] pb = wantW ? new float[c] : null;
            for (int r = ch * ROW_CHUNK; r < Math.min(rows, (ch + 1) * ROW_CHUNK); r++) {
                int o = r * c;
                float mu = mean[r];
                float rs = rstd[r];
                double sumG = 0;
                double sumGx = 0;
                for (int i = 0; i < c; i++) {
                    float xhat = (xv[o + i] - mu) * rs;
                    float g = dyv[o + i] * wv[i];
                    sumG += g;
                    sumGx += g * xhat;
                    if (wantW) {
                        pw[i] += dyv[o + i] * xhat;
                        pb[i] += dyv[o + i];
                    }
                }
                float mg = (float) (sumG / c);
                float mgx = (float) (sumGx / c);
                for (int i = 0; i < c; i++) {
                    float xhat = (xv[o + i] - mu) * rs;
                    float g = dyv[o + i] * wv[i];
                    dxv[o + i] += rs * (g - mg - xhat * mgx);
                }
            }
            if (wantW) {
                dwPart[ch] = pw;
                dbPart[ch] = pb;
            }
        });
        put(dx, dxv);
        if (wantW) {
            accumulate(dw, dwPart, c);
            accumulate(db, dbPart, c);
        }
    }

    /** target += sum of the per-chunk partials, in chunk order (deterministic). */
    private static void accumulate(INDArray target, float[][] parts, int c) {
        if (target == null) {
            return;
        }
        float[] t = get(target);
        for (float[] p : parts) {
            for (int i = 0; i < c; i++) {
                t[i] += p[i];
            }
        }
        put(target, t);
    }

    @Override
    public void rmsNorm(INDArray x, INDArray w, INDArray y, float[] rstd, double eps) {
        float[] xv = get(x), wv = get(w);
        float[] yv = new float[xv.length];
        int c = wv.length;
        int rows = xv.length / c;
        java.util.stream.IntStream.range(0, chunks(rows)).parallel().forEach(ch -> {
            for (int r = ch * ROW_CHUNK; r < Math.min(rows, (ch + 1) * ROW_CHUNK); r++) {
                int o = r * c;
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
        });
        put(y, yv);
    }

    @Override
    public void rmsNormBackward(INDArray dy, INDArray x, INDArray w, float[] rstd, INDArray dx, INDArray dw) {
        float[] dyv = get(dy), xv = get(x), wv = get(w), dxv = get(dx);
        int c = wv.length;
        int rows = xv.length / c;
        int nch = chunks(rows);
        float[][] dwPart = new float[dw != null ? nch : 0][];
        java.util.stream.IntStream.range(0, nch).parallel().forEach(ch -> {
            float[] pw = dw != null ? new float[c] : null;
            for (int r = ch * ROW_CHUNK; r < Math.min(rows, (ch + 1) * ROW_CHUNK); r++) {
                int o = r * c;
                float rs = rstd[r];
                double dot = 0;
                for (int i = 0; i < c; i++) {
                    float xhat = xv[o + i] * rs;
                    float g = dyv[o + i] * wv[i];
                    dot += g * xhat;
                    if (pw != null) {
                        pw[i] += dyv[o + i] * xhat;
                    }
                }
                float m = (float) (dot / c);
                for (int i = 0; i < c; i++) {
                    float xhat = xv[o + i] * rs;
                    float g = dyv[o + i] * wv[i];
                    dxv[o + i] += rs * (g - xhat * m);
                }
            }
            if (pw != null) {
                dwPart[ch] = pw;
            }
        });
        put(dx, dxv);
        accumulate(dw, dwPart, c);
    }

    @Override
    public void gelu(INDArray x, INDArray y) {
        float[] xv = get(x);
        float[] yv = new float[xv.length];
        float c = (float) GELU_C;
        chunks(xv.length, (from, to) -> {
            for (int i = from; i < to; i++) {
                float v = xv[i];
                yv[i] = 0.5f * v * (1f + tanh(c * (v + 0.044715f * v * v * v)));
            }
        });
        put(y, yv);
    }

    @Override
    public void geluBackward(INDArray dy, INDArray x, INDArray dx) {
        float[] dyv = get(dy), xv = get(x), dxv = get(dx);
        float c = (float) GELU_C;
        chunks(xv.length, (from, to) -> {
            for (int i = from; i < to; i++) {
                float v = xv[i];
                float t = tanh(c * (v + 0.044715f * v * v * v));
                float du = c * (1 + 3 * 0.044715f * v * v);
                dxv[i] += dyv[i] * (0.5f * (1 + t) + 0.5f * v * (1 - t * t) * du);
            }
        });
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

    /** cos/sin of position * inverse frequency, computed in double as the reference does, then rounded to float. */
    private static void ropeAngles(int p, int half, double[] invFreq, float[] cos, float[] sin) {
        for (int i = 0; i < half; i++) {
            double a = p * invFreq[i];
            cos[i] = (float) Math.cos(a);
            sin[i] = (float) Math.sin(a);
        }
    }

    @Override
    public void rope(INDArray x, int nh, int[][] pos, double[] invFreq, INDArray out) {
        rotate(x, nh, pos, invFreq, out, 1f, false);
    }

    @Override
    public void ropeBackward(INDArray dout, int nh, int[][] pos, double[] invFreq, INDArray dx) {
        rotate(dout, nh, pos, invFreq, dx, -1f, true);
    }

    private static void rotate(INDArray x, int nh, int[][] pos, double[] invFreq, INDArray out, float sign, boolean accumulate) {
        FloatBuffer xb = fb(x), ob = fb(out);
        int b = pos.length;
        int t = pos[0].length;
        int d = (int) (x.length() / ((long) b * t * nh));
        int half = d / 2;
        float[] cos = new float[half];
        float[] sin = new float[half];
        for (int bi = 0; bi < b; bi++) {
            for (int ti = 0; ti < t; ti++) {
                ropeAngles(pos[bi][ti], half, invFreq, cos, sin);
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

    @Override
    public void attentionScores(INDArray q, INDArray k, int nHeads, int nKv, int[][] keyMask, int window, float scale,
                                int offset, INDArray scores) {
        int b = (int) scores.size(0);
        int tq = (int) scores.size(2);
        int tk = (int) scores.size(3);
        int d = (int) (q.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        float[] qa = get(q), ka = get(k);
        float[] sc = new float[b * nHeads * tq * tk];
        // One task per (batch, head); keys are transposed to [D][Tk] so the inner loop is a vectorisable axpy.
        IntStream.range(0, b * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            int h = bh % nHeads;
            int kvh = h / group;
            float[] kT = headTransposed(ka, bi, kvh, tk, nKv, d);
            for (int i = 0; i < tq; i++) {
                int qi = i + offset;
                int ro = (bh * tq + i) * tk;
                int qo = ((bi * tq + i) * nHeads + h) * d;
                int jmax = Math.min(tk, qi + 1);
                for (int e = 0; e < d; e++) {
                    float qe = qa[qo + e] * scale;
                    int ko = e * tk;
                    for (int j = 0; j < jmax; j++) {
                        sc[ro + j] += qe * kT[ko + j];
                    }
                }
                for (int j = 0; j < tk; j++) {
                    boolean visible = j <= qi && keyMask[bi][j] != 0 && (window == 0 || qi - j < window);
                    if (!visible) {
                        sc[ro + j] = NEG;
                    }
                }
            }
        });
        put(scores, sc);
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
        float[] pa = get(pattern), va = get(v);
        float[] za = new float[(int) z.length()];
        IntStream.range(0, b * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            int h = bh % nHeads;
            int kvh = h / group;
            for (int i = 0; i < tq; i++) {
                int po = (bh * tq + i) * tk;
                int zo = ((bi * tq + i) * nHeads + h) * d;
                int end = rowEnd(pa, po, tk);
                for (int j = 0; j < end; j++) {
                    float p = pa[po + j];
                    if (p == 0f) {
                        continue;
                    }
                    int vo = ((bi * tk + j) * nKv + kvh) * d;
                    for (int e = 0; e < d; e++) {
                        za[zo + e] += p * va[vo + e];
                    }
                }
            }
        });
        put(z, za);
    }

    @Override
    public void attentionApplyBackward(INDArray dz, INDArray pattern, INDArray v, int nHeads, int nKv, INDArray dpattern, INDArray dv) {
        int b = (int) pattern.size(0);
        int tq = (int) pattern.size(2);
        int tk = (int) pattern.size(3);
        int d = (int) (dz.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        float[] dza = get(dz), pa = get(pattern), va = get(v), dva = get(dv);
        float[] dpa = new float[pa.length];
        // One task per (batch, kv head): the query heads sharing a kv head write the same dv rows.
        IntStream.range(0, b * nKv).parallel().forEach(bk -> {
            int bi = bk / nKv;
            int kvh = bk % nKv;
            float[] vT = headTransposed(va, bi, kvh, tk, nKv, d);
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                int bh = bi * nHeads + h;
                for (int i = 0; i < tq; i++) {
                    int po = (bh * tq + i) * tk;
                    int zo = ((bi * tq + i) * nHeads + h) * d;
                    // Past the row's last non-zero probability, dpattern only meets p = 0 in the softmax backward.
                    int end = rowEnd(pa, po, tk);
                    for (int e = 0; e < d; e++) {
                        float g = dza[zo + e];
                        int vo = e * tk;
                        for (int j = 0; j < end; j++) {
                            dpa[po + j] += g * vT[vo + j];
                        }
                    }
                    for (int j = 0; j < end; j++) {
                        float p = pa[po + j];
                        if (p == 0f) {
                            continue;
                        }
                        int vo = ((bi * tk + j) * nKv + kvh) * d;
                        for (int e = 0; e < d; e++) {
                            dva[vo + e] += p * dza[zo + e];
                        }
                    }
                }
            }
        });
        put(dpattern, dpa);
        put(dv, dva);
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
        float[] sa = get(dscores), qa = get(q), ka = get(k), dqa = get(dq), dka = get(dk);
        IntStream.range(0, b * nKv).parallel().forEach(bk -> {
            int bi = bk / nKv;
            int kvh = bk % nKv;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                int bh = bi * nHeads + h;
                for (int i = 0; i < tq; i++) {
                    int so = (bh * tq + i) * tk;
                    int qo = ((bi * tq + i) * nHeads + h) * d;
                    int end = rowEnd(sa, so, tk);
                    for (int j = 0; j < end; j++) {
                        float g = sa[so + j] * scale;
                        if (g == 0f) {
                            continue;
                        }
                        int ko = ((bi * tk + j) * nKv + kvh) * d;
                        for (int e = 0; e < d; e++) {
                            dqa[qo + e] += g * ka[ko + e];
                            dka[ko + e] += g * qa[qo + e];
                        }
                    }
                }
            }
        });
        put(dq, dqa);
        put(dk, dka);
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
