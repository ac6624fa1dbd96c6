package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CPU kernels: matrix products through {@link Blas} (single-threaded OpenBLAS, large products split into panels that
 * run in parallel) into preallocated outputs; everything else as fused Java loops, in parallel blocks of rows or
 * elements, with bulk copies between the ND4J buffers and Java arrays (no per-element buffer calls, no per-op dispatch
 * overhead). Attention runs one (batch, head) block per task, its products as OpenBLAS calls on sub-matrices of the
 * [B*T, H*D] projections.
 */
public final class CpuKernels implements Kernels {
    private static final float NEG = -Float.MAX_VALUE;
    private static final double GELU_C = Math.sqrt(2.0 / Math.PI);

    @Override
    public void linear(INDArray x, INDArray w, INDArray b, INDArray y) {
        if (b == null) {
            Blas.gemm(x, w, y, false, true, 1.0, 0.0);
            return;
        }
        // y = bias rows, then y += x w^T: the GEMM passes over y anyway, so the bias costs one streaming write
        float[] bv = get(b);
        int m = bv.length;
        FloatBuffer yb = fb(y);
        rowChunks((int) (y.length() / m), (from, to) -> {
            for (int r = from; r < to; r++) {
                yb.put(r * m, bv);
            }
        });
        Blas.gemm(x, w, y, false, true, 1.0, 1.0);
    }

    @Override
    public void linearBackward(INDArray dy, INDArray x, INDArray w, INDArray dx, INDArray dw, INDArray db) {
        if (dx != null) {
            Blas.gemm(dy, w, dx, false, false, 1.0, 1.0);
        }
        if (dw != null) {
            Blas.gemm(dy, x, dw, true, false, 1.0, 1.0);
        }
        if (db != null) {
            int m = (int) db.length();
            FloatBuffer dyb = fb(dy);
            int rows = (int) (dy.length() / m);
            float[][] parts = new float[chunks(rows)][];
            IntStream.range(0, parts.length).parallel().forEach(ch -> {
                int from = ch * ROW_CHUNK;
                int n = Math.min(rows, from + ROW_CHUNK) - from;
                float[] d = new float[n * m];
                dyb.get(from * m, d);
                float[] sum = new float[m];
                for (int o = 0; o < d.length; o += m) {
                    for (int j = 0; j < m; j++) {
                        sum[j] += d[o + j];
                    }
                }
                parts[ch] = sum;
            });
            accumulate(db, parts, m);
        }
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

    /*
     * tanh(x) = x P(x^2) / Q(x^2) on [-9, 9] (beyond it tanh is 1 to float precision): a rational least-squares fit
     * made for this class (degree 6 in x^2 over and under), max. error 4.3e-7 relative in float arithmetic. Unlike
     * Math.tanh (StrictMath) or an exp per element it has no branch and no call, so the JIT vectorises the loops.
     */
    private static final float TP0 = 9.999999321e-01f, TP1 = -1.588745486e-01f, TP2 = 3.142620059e-02f,
            TP3 = 7.945221022e-03f, TP4 = 2.251048360e-04f, TP5 = 1.328368839e-06f, TP6 = 8.352891157e-10f;
    private static final float TQ1 = 1.744583834e-01f, TQ2 = -4.375362474e-02f, TQ3 = 2.406718491e-02f,
            TQ4 = 1.627406220e-03f, TQ5 = 2.128495927e-05f, TQ6 = 4.950168406e-08f;

    static float tanh(float u) {
        float x = Math.max(-9f, Math.min(9f, u));
        float s = x * x;
        float p = ((((((TP6 * s + TP5) * s + TP4) * s + TP3) * s + TP2) * s + TP1) * s + TP0) * x;
        float q = (((((TQ6 * s + TQ5) * s + TQ4) * s + TQ3) * s + TQ2) * s + TQ1) * s + 1f;
        return Math.max(-1f, Math.min(1f, p / q));
    }

    /** Elements per task of the streaming elementwise kernels (small enough to stay in L2). */
    private static final int BLOCK = 8192;

    /** A loop body over the block [off, off + len) of an elementwise kernel. */
    @FunctionalInterface
    interface Block {
        void run(int off, int len);
    }

    /** Runs {@code body} over [0, n) in blocks of {@link #BLOCK}, in parallel when there is more than one. */
    static void blocks(int n, Block body) {
        int parts = (n + BLOCK - 1) / BLOCK;
        if (parts <= 1) {
            body.run(0, n);
            return;
        }
        IntStream.range(0, parts).parallel().forEach(p -> body.run(p * BLOCK, Math.min(BLOCK, n - p * BLOCK)));
    }

    /** Rows per parallel chunk of the row-wise kernels (fixed, so results do not depend on the thread count). */
    private static final int ROW_CHUNK = 32;

    private static int chunks(int rows) {
        return (rows + ROW_CHUNK - 1) / ROW_CHUNK;
    }

    /** Runs {@code body} over row chunks [from, to) of {@link #ROW_CHUNK} rows, in parallel. */
    static void rowChunks(int rows, Range body) {
        int n = chunks(rows);
        if (n == 1) {
            body.run(0, rows);
            return;
        }
        IntStream.range(0, n).parallel().forEach(ch -> body.run(ch * ROW_CHUNK, Math.min(rows, (ch + 1) * ROW_CHUNK)));
    }

    /** Sum of a[off, off + n) with eight independent accumulators (no serial dependency chain). */
    static float sum(float[] a, int off, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            int o = off + i;
            s0 += a[o];
            s1 += a[o + 1];
            s2 += a[o + 2];
            s3 += a[o + 3];
            s4 += a[o + 4];
            s5 += a[o + 5];
            s6 += a[o + 6];
            s7 += a[o + 7];
        }
        for (; i < n; i++) {
            s0 += a[off + i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    @Override
    public void layerNorm(INDArray x, INDArray w, INDArray b, INDArray y, float[] mean, float[] rstd, double eps) {
        float[] wv = get(w), bv = get(b);
        FloatBuffer xb = fb(x), yb = fb(y);
        int c = wv.length;
        float e = (float) eps;
        rowChunks((int) (x.length() / c), (from, to) -> {
            float[] v = new float[(to - from) * c];
            float[] dev = new float[c];
            xb.get(from * c, v);
            for (int r = from; r < to; r++) {
                int o = (r - from) * c;
                float mu = sum(v, o, c) / c;
                for (int i = 0; i < c; i++) {
                    float d = v[o + i] - mu;
                    dev[i] = d * d;
                }
                float rs = (float) (1.0 / Math.sqrt(sum(dev, 0, c) / c + e));
                mean[r] = mu;
                rstd[r] = rs;
                for (int i = 0; i < c; i++) {
                    v[o + i] = (v[o + i] - mu) * rs * wv[i] + bv[i];
                }
            }
            yb.put(from * c, v);
        });
    }

    @Override
    public void layerNormBackward(INDArray dy, INDArray x, INDArray w, float[] mean, float[] rstd, INDArray dx, INDArray dw, INDArray db) {
        float[] wv = get(w);
        FloatBuffer dyb = fb(dy), xb = fb(x), dxb = fb(dx);
        int c = wv.length;
        int rows = (int) (x.length() / c);
        int nch = chunks(rows);
        boolean wantW = dw != null || db != null;
        float[][] dwPart = new float[wantW ? nch : 0][];
        float[][] dbPart = new float[wantW ? nch : 0][];
        IntStream.range(0, nch).parallel().forEach(ch -> {
            int from = ch * ROW_CHUNK;
            int to = Math.min(rows, from + ROW_CHUNK);
            int len = (to - from) * c;
            float[] dyv = new float[len], xv = new float[len], dxv = new float[len];
            dyb.get(from * c, dyv);
            xb.get(from * c, xv);
            dxb.get(from * c, dxv);
            float[] g = new float[c], gx = new float[c];
            float[] pw = wantW ? new float[c] : null;
            float[] pb = wantW ? new float[c] : null;
            for (int r = from; r < to; r++) {
                int o = (r - from) * c;
                float mu = mean[r];
                float rs = rstd[r];
                for (int i = 0; i < c; i++) { // xhat in xv, g = dy * w, g * xhat
                    float xhat = (xv[o + i] - mu) * rs;
                    xv[o + i] = xhat;
                    g[i] = dyv[o + i] * wv[i];
                    gx[i] = g[i] * xhat;
                }
                if (wantW) {
                    for (int i = 0; i < c; i++) {
                        pw[i] += dyv[o + i] * xv[o + i];
                        pb[i] += dyv[o + i];
                    }
                }
                float mg = sum(g, 0, c) / c;
                float mgx = sum(gx, 0, c) / c;
                for (int i = 0; i < c; i++) {
                    dxv[o + i] += rs * (g[i] - mg - xv[o + i] * mgx);
                }
            }
            dxb.put(from * c, dxv);
            if (wantW) {
                dwPart[ch] = pw;
                dbPart[ch] = pb;
            }
        });
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
        FloatBuffer xb = fb(x), yb = fb(y);
        float c = (float) GELU_C;
        blocks((int) x.length(), (off, len) -> {
            float[] v = new float[len];
            xb.get(off, v);
            for (int i = 0; i < len; i++) {
                float u = v[i];
                v[i] = 0.5f * u * (1f + tanh(c * (u + 0.044715f * u * u * u)));
            }
            yb.put(off, v);
        });
    }

    @Override
    public void geluBackward(INDArray dy, INDArray x, INDArray dx) {
        FloatBuffer dyb = fb(dy), xb = fb(x), dxb = fb(dx);
        float c = (float) GELU_C;
        blocks((int) x.length(), (off, len) -> {
            float[] g = new float[len];
            float[] v = new float[len];
            float[] out = new float[len];
            dyb.get(off, g);
            xb.get(off, v);
            dxb.get(off, out);
            // two passes: fused into one loop, C2 does not vectorise it (measured 11x slower)
            float[] th = new float[len];
            for (int i = 0; i < len; i++) {
                float u = v[i];
                th[i] = tanh(c * (u + 0.044715f * u * u * u));
            }
            for (int i = 0; i < len; i++) {
                float u = v[i];
                float t = th[i];
                float du = c * (1f + 3f * 0.044715f * u * u);
                out[i] += g[i] * (0.5f * (1f + t) + 0.5f * u * (1f - t * t) * du);
            }
            dxb.put(off, out);
        });
    }

    /**
     * The logistic function with Math.exp, accurate for large negative inputs too (a tanh form loses those to
     * cancellation); the SwiGLU kernels run it in parallel blocks.
     */
    private static float sigmoid(float g) {
        return 1f / (1f + (float) Math.exp(-g));
    }

    @Override
    public void swiglu(INDArray gate, INDArray up, INDArray out) {
        FloatBuffer gb = fb(gate), ub = fb(up), ob = fb(out);
        blocks((int) gate.length(), (off, len) -> {
            float[] g = new float[len];
            float[] u = new float[len];
            gb.get(off, g);
            ub.get(off, u);
            for (int i = 0; i < len; i++) {
                g[i] = g[i] / (1f + (float) Math.exp(-g[i])) * u[i];
            }
            ob.put(off, g);
        });
    }

    @Override
    public void swigluBackward(INDArray dout, INDArray gate, INDArray up, INDArray dgate, INDArray dup) {
        FloatBuffer db = fb(dout), gb = fb(gate), ub = fb(up), dgb = fb(dgate), dub = fb(dup);
        blocks((int) gate.length(), (off, len) -> {
            float[] d = new float[len];
            float[] g = new float[len];
            float[] u = new float[len];
            float[] dg = new float[len];
            float[] du = new float[len];
            db.get(off, d);
            gb.get(off, g);
            ub.get(off, u);
            dgb.get(off, dg);
            dub.get(off, du);
            for (int i = 0; i < len; i++) {
                float x = g[i];
                float sx = sigmoid(x);
                du[i] += d[i] * x * sx;
                dg[i] += d[i] * u[i] * sx * (1 + x * (1 - sx));
            }
            dgb.put(off, dg);
            dub.put(off, du);
        });
    }

    /**
     * cos/sin of position * inverse frequency for positions [0, positions), computed in double as the reference does,
     * then rounded to float; row p holds the {@code invFreq.length} angles of position p.
     */
    private record RopeTable(double[] invFreq, int positions, float[] cos, float[] sin) {
        static RopeTable of(double[] invFreq, int positions) {
            int half = invFreq.length;
            float[] cos = new float[positions * half];
            float[] sin = new float[positions * half];
            for (int p = 0; p < positions; p++) {
                for (int i = 0; i < half; i++) {
                    double a = p * invFreq[i];
                    cos[p * half + i] = (float) Math.cos(a);
                    sin[p * half + i] = (float) Math.sin(a);
                }
            }
            return new RopeTable(invFreq, positions, cos, sin);
        }
    }

    /** The last table built (a model uses one set of frequencies): rebuilt when the frequencies change or more positions are needed. */
    private volatile RopeTable ropeTable;

    private RopeTable ropeTable(double[] invFreq, int[][] pos) {
        int needed = 1;
        for (int[] row : pos) {
            for (int p : row) {
                if (p < 0) {
                    throw new IllegalArgumentException("negative position id " + p);
                }
                needed = Math.max(needed, p + 1);
            }
        }
        RopeTable t = ropeTable;
        if (t == null || t.positions() < needed || !java.util.Arrays.equals(t.invFreq(), invFreq)) {
            t = RopeTable.of(invFreq.clone(), Math.max(64, Integer.highestOneBit(needed - 1) << 1));
            ropeTable = t;
        }
        return t;
    }

    @Override
    public void rope(INDArray x, int nh, int[][] pos, double[] invFreq, INDArray out) {
        rotate(x, nh, pos, ropeTable(invFreq, pos), out, 1f, false);
    }

    @Override
    public void ropeBackward(INDArray dout, int nh, int[][] pos, double[] invFreq, INDArray dx) {
        rotate(dout, nh, pos, ropeTable(invFreq, pos), dx, -1f, true);
    }

    /** Rotates each head's halves (x1, x2) by the position's angles; {@code out} may be {@code x}. */
    private static void rotate(INDArray x, int nh, int[][] pos, RopeTable tab, INDArray out, float sign, boolean accumulate) {
        FloatBuffer xb = fb(x), ob = fb(out);
        int b = pos.length;
        int t = pos[0].length;
        int d = (int) (x.length() / ((long) b * t * nh));
        int half = d / 2;
        int width = nh * d;
        int rows = b * t;
        float[] cos = tab.cos();
        float[] sin = tab.sin();
        int tableHalf = tab.invFreq().length;
        IntStream.range(0, (rows + ROPE_ROWS - 1) / ROPE_ROWS).parallel().forEach(c -> {
            int r0 = c * ROPE_ROWS;
            int r1 = Math.min(rows, r0 + ROPE_ROWS);
            int len = (r1 - r0) * width;
            float[] xv = new float[len];
            float[] ov = new float[len];
            xb.get(r0 * width, xv);
            if (accumulate) {
                ob.get(r0 * width, ov);
            }
            for (int r = r0; r < r1; r++) {
                int a = pos[r / t][r % t] * tableHalf;
                for (int h = 0; h < nh; h++) {
                    int o = (r - r0) * width + h * d;
                    for (int i = 0; i < half; i++) {
                        float x1 = xv[o + i];
                        float x2 = xv[o + i + half];
                        float cs = cos[a + i];
                        float sn = sign * sin[a + i];
                        ov[o + i] += x1 * cs - x2 * sn;
                        ov[o + i + half] += x2 * cs + x1 * sn;
                    }
                }
            }
            ob.put(r0 * width, ov);
        });
    }

    /** Token rows of the RoPE kernel per parallel task. */
    private static final int ROPE_ROWS = 32;

    /*
     * Attention runs one (batch, head) block at a time as small GEMMs straight on the ND4J buffers (Blas): q, k, v, z
     * are [B, T, heads, D] (rows of one head are strided by heads * D), scores and patterns [B, H, Tq, Tk]. The
     * blocks of different tasks never overlap; query heads that share a KV head (GQA) run in one task in the
     * backward, where they accumulate into the same dk / dv rows.
     */

    @Override
    public void attentionScores(INDArray q, INDArray k, int nHeads, int nKv, int[][] keyMask, int window, float scale,
                                int offset, INDArray scores) {
        int b = (int) scores.size(0);
        int tq = (int) scores.size(2);
        int tk = (int) scores.size(3);
        int d = (int) (q.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        FloatPointer qp = Blas.pointer(q), kp = Blas.pointer(k), sp = Blas.pointer(scores);
        FloatBuffer sb = fb(scores);
        IntStream.range(0, b * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            int h = bh % nHeads;
            int kvh = h / group;
            long so = (long) bh * tq * tk;
            // scores = scale * q k^T (the causal upper triangle too: one GEMM is cheaper than skipping it)
            Blas.gemm(false, true, tq, tk, d, scale, qp, ((long) bi * tq * nHeads + h) * d, nHeads * d,
                    kp, ((long) bi * tk * nKv + kvh) * d, nKv * d, 0f, sp, so, tk);
            int[] km = keyMask[bi];
            for (int i = 0; i < tq; i++) {
                int qi = i + offset;
                int seg = qi < km.length ? km[qi] : 0; // a padding query (0) sees every real key, as in HF
                int ro = (int) so + i * tk;
                for (int j = 0; j < tk; j++) {
                    if (j > qi || km[j] == 0 || (seg != 0 && km[j] != seg) || (window != 0 && qi - j >= window)) {
                        sb.put(ro + j, NEG);
                    }
                }
            }
        });
    }

    /** Rows of the row-wise attention kernels per parallel task. */
    private static final int SOFTMAX_ROWS = 64;

    @Override
    public void softmax(INDArray scores, INDArray pattern) {
        FloatBuffer sb = fb(scores), pb = fb(pattern);
        int n = (int) scores.size(scores.rank() - 1);
        int rows = (int) (scores.length() / n);
        IntStream.range(0, (rows + SOFTMAX_ROWS - 1) / SOFTMAX_ROWS).parallel().forEach(c -> {
            int r0 = c * SOFTMAX_ROWS;
            int len = (Math.min(rows, r0 + SOFTMAX_ROWS) - r0) * n;
            float[] sv = new float[len];
            sb.get(r0 * n, sv);
            for (int o = 0; o < len; o += n) {
                float max = NEG;
                for (int j = 0; j < n; j++) {
                    max = Math.max(max, sv[o + j]);
                }
                if (max == NEG) {
                    // Every key masked (e.g. a query left of all real tokens): uniform, as exp(NEG - NEG) gives.
                    java.util.Arrays.fill(sv, o, o + n, 1f / n);
                    continue;
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    float x = sv[o + j];
                    // Masked entries (NEG) are exactly zero; skipping their exp halves the work of causal rows.
                    float e = x == NEG ? 0f : (float) Math.exp(x - max);
                    sv[o + j] = e;
                    sum += e;
                }
                float inv = (float) (1.0 / sum);
                for (int j = 0; j < n; j++) {
                    sv[o + j] *= inv;
                }
            }
            pb.put(r0 * n, sv);
        });
    }

    @Override
    public void attentionApply(INDArray pattern, INDArray v, int nHeads, int nKv, INDArray z) {
        int b = (int) pattern.size(0);
        int tq = (int) pattern.size(2);
        int tk = (int) pattern.size(3);
        int d = (int) (z.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        FloatPointer pp = Blas.pointer(pattern), vp = Blas.pointer(v), zp = Blas.pointer(z);
        IntStream.range(0, b * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            int h = bh % nHeads;
            // z = pattern v
            Blas.gemm(false, false, tq, d, tk, 1f, pp, (long) bh * tq * tk, tk, vp, ((long) bi * tk * nKv + h / group) * d,
                    nKv * d, 0f, zp, ((long) bi * tq * nHeads + h) * d, nHeads * d);
        });
    }

    @Override
    public void attentionApplyBackward(INDArray dz, INDArray pattern, INDArray v, int nHeads, int nKv, INDArray dpattern, INDArray dv) {
        int b = (int) pattern.size(0);
        int tq = (int) pattern.size(2);
        int tk = (int) pattern.size(3);
        int d = (int) (dz.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        FloatPointer dzp = Blas.pointer(dz), pp = Blas.pointer(pattern), vp = Blas.pointer(v);
        FloatPointer dpp = Blas.pointer(dpattern), dvp = Blas.pointer(dv);
        IntStream.range(0, b * nKv).parallel().forEach(bk -> {
            int bi = bk / nKv;
            int kvh = bk % nKv;
            long vo = ((long) bi * tk * nKv + kvh) * d;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                long po = ((long) bi * nHeads + h) * tq * tk;
                long zo = ((long) bi * tq * nHeads + h) * d;
                // dpattern = dz v^T; dv += pattern^T dz
                Blas.gemm(false, true, tq, tk, d, 1f, dzp, zo, nHeads * d, vp, vo, nKv * d, 0f, dpp, po, tk);
                Blas.gemm(true, false, tk, d, tq, 1f, pp, po, tk, dzp, zo, nHeads * d, 1f, dvp, vo, nKv * d);
            }
        });
    }

    @Override
    public void softmaxBackward(INDArray dpattern, INDArray pattern, INDArray dscores) {
        FloatBuffer db = fb(dpattern), pb = fb(pattern), ob = fb(dscores);
        int n = (int) pattern.size(pattern.rank() - 1);
        int rows = (int) (pattern.length() / n);
        IntStream.range(0, (rows + SOFTMAX_ROWS - 1) / SOFTMAX_ROWS).parallel().forEach(c -> {
            int r0 = c * SOFTMAX_ROWS;
            int len = (Math.min(rows, r0 + SOFTMAX_ROWS) - r0) * n;
            float[] dv = new float[len];
            float[] pv = new float[len];
            db.get(r0 * n, dv);
            pb.get(r0 * n, pv);
            for (int o = 0; o < len; o += n) {
                double dot = 0;
                for (int j = 0; j < n; j++) {
                    dot += dv[o + j] * pv[o + j];
                }
                float m = (float) dot;
                for (int j = 0; j < n; j++) {
                    dv[o + j] = pv[o + j] * (dv[o + j] - m);
                }
            }
            ob.put(r0 * n, dv);
        });
    }

    @Override
    public void attentionScoresBackward(INDArray dscores, INDArray q, INDArray k, int nHeads, int nKv, float scale, INDArray dq, INDArray dk) {
        int b = (int) dscores.size(0);
        int tq = (int) dscores.size(2);
        int tk = (int) dscores.size(3);
        int d = (int) (q.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        FloatPointer sp = Blas.pointer(dscores), qp = Blas.pointer(q), kp = Blas.pointer(k);
        FloatPointer dqp = Blas.pointer(dq), dkp = Blas.pointer(dk);
        IntStream.range(0, b * nKv).parallel().forEach(bk -> {
            int bi = bk / nKv;
            int kvh = bk % nKv;
            long ko = ((long) bi * tk * nKv + kvh) * d;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                long so = ((long) bi * nHeads + h) * tq * tk;
                long qo = ((long) bi * tq * nHeads + h) * d;
                // dq += scale * dscores k; dk += scale * dscores^T q
                Blas.gemm(false, false, tq, d, tk, scale, sp, so, tk, kp, ko, nKv * d, 1f, dqp, qo, nHeads * d);
                Blas.gemm(true, false, tk, d, tq, scale, sp, so, tk, qp, qo, nHeads * d, 1f, dkp, ko, nKv * d);
            }
        });
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

    /** Rows of the cross-entropy kernel per parallel task. */
    private static final int CE_ROWS = 16;

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
        float inv = count == 0 ? 0f : gradScale / count;
        int rows = targets.length;
        double[] rowLoss = new double[rows];
        // Rows in parallel chunks; the per-row losses are summed in row order afterwards, so the total is deterministic.
        IntStream.range(0, (rows + CE_ROWS - 1) / CE_ROWS).parallel().forEach(c -> {
            float[] row = new float[v];
            for (int r = c * CE_ROWS; r < Math.min(rows, (c + 1) * CE_ROWS); r++) {
                int o = r * v;
                int target = targets[r];
                if (target == -100) {
                    if (db != null) {
                        java.util.Arrays.fill(row, 0f);
                        db.put(o, row);
                    }
                    continue;
                }
                lb.get(o, row);
                float max = NEG;
                for (int j = 0; j < v; j++) {
                    max = Math.max(max, row[j]);
                }
                float xt = row[target];
                double sum = 0;
                // one exp per entry: row becomes exp(x - max), then the softmax times the gradient scale
                for (int j = 0; j < v; j++) {
                    float e = (float) Math.exp(row[j] - max);
                    row[j] = e;
                    sum += e;
                }
                rowLoss[r] = max + Math.log(sum) - xt;
                if (db != null) {
                    float scale = (float) (inv / sum);
                    for (int j = 0; j < v; j++) {
                        row[j] *= scale;
                    }
                    row[target] -= inv;
                    db.put(o, row);
                }
            }
        });
        double total = 0;
        for (double l : rowLoss) {
            total += l;
        }
        return new double[] {total, count};
    }

    @Override
    public void add(INDArray a, INDArray b, INDArray out) {
        int n = (int) a.length();
        float[] av = new float[n];
        float[] bv = new float[n];
        fb(a).get(0, av);
        fb(b).get(0, bv);
        for (int i = 0; i < n; i++) {
            av[i] += bv[i];
        }
        fb(out).put(0, av);
    }

    @Override
    public void zero(INDArray a) {
        fb(a).put(0, new float[(int) a.length()]);
    }

    @Override
    public void zeroRows(INDArray a, int[] rows) {
        int w = (int) (a.length() / a.size(0));
        float[] z = new float[w];
        FloatBuffer ab = fb(a);
        for (int r : rows) {
            ab.put(r * w, z, 0, w);
        }
    }

    @Override
    public void gatherRows(INDArray src, int[] rows, INDArray dst) {
        int w = (int) (dst.length() / Math.max(1, rows.length));
        FloatBuffer s = fb(src), d = fb(dst);
        float[] row = new float[w];
        for (int i = 0; i < rows.length; i++) {
            s.get(rows[i] * w, row, 0, w);
            d.put(i * w, row, 0, w);
        }
    }

    @Override
    public void scatterRows(INDArray src, int[] rows, INDArray dst, boolean accumulate) {
        int w = (int) (src.length() / Math.max(1, rows.length));
        FloatBuffer s = fb(src), d = fb(dst);
        float[] row = new float[w];
        float[] acc = new float[w];
        for (int i = 0; i < rows.length; i++) {
            s.get(i * w, row, 0, w);
            if (accumulate) {
                d.get(rows[i] * w, acc, 0, w);
                for (int c = 0; c < w; c++) {
                    acc[c] += row[c];
                }
                d.put(rows[i] * w, acc, 0, w);
            } else {
                d.put(rows[i] * w, row, 0, w);
            }
        }
    }
}
