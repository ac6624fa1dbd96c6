package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;
import static org.tinysql.tensor.Buffers.ib;
import static org.tinysql.tensor.CpuParallel.rowChunks;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sparse codes (the latents of sparse autoencoders) in CSR form over N rows and S latents: start [N+1], idx and val
 * [>= nnz], as {@link CpuSelection} writes them. The decoder (a weighted sum of k rows of W per row),
 * its backward (dot products per entry, outer products grouped by latent so threads own disjoint rows) and the
 * JumpReLU threshold gradient. Sums run in the order of the entries, so results do not depend on the thread count.
 */
final class CpuSparse {

    private CpuSparse() {
    }

    /** Rows and entries of CSR codes: row starts, and per entry its row. */
    private static int[] starts(INDArray start) {
        int[] s = new int[(int) start.length()];
        ib(start).get(0, s);
        return s;
    }

    /** The first {@code nnz} entries of CSR idx, a host copy. */
    private static int[] entryLatents(INDArray idx, int nnz) {
        int[] ix = new int[nnz];
        ib(idx).get(0, ix, 0, nnz);
        return ix;
    }

    /** The first {@code nnz} entries of a per-entry value array (CSR val, or a coefficient per entry), a host copy. */
    private static float[] entryValues(INDArray val, int nnz) {
        float[] v = new float[nnz];
        fb(val).get(0, v, 0, nnz);
        return v;
    }

    static void sparseDecode(INDArray start, INDArray idx, INDArray val, INDArray w, INDArray bias, INDArray out) {
        int[] st = starts(start);
        int n = st.length - 1;
        int c = (int) (out.length() / Math.max(1, n));
        float[] b = bias != null ? CpuArrays.get(bias) : null;
        int[] ix = entryLatents(idx, st[n]);
        float[] vs = entryValues(val, st[n]);
        float[] ws = CpuArrays.get(w); // one copy of W [S, C] instead of one per entry
        FloatBuffer ob = fb(out);
        rowChunks(n, (from, to) -> {
            float[] acc = new float[c];
            VectorMath vm = VectorMath.get();
            for (int r = from; r < to; r++) {
                if (b != null) {
                    System.arraycopy(b, 0, acc, 0, c);
                } else {
                    Arrays.fill(acc, 0f);
                }
                for (int e = st[r]; e < st[r + 1]; e++) {
                    vm.axpy(vs[e], ws, ix[e] * c, acc, 0, c);
                }
                ob.put(r * c, acc);
            }
        });
    }

    static void sparseDots(INDArray start, INDArray idx, INDArray a, INDArray w, INDArray add, float scale, INDArray out) {
        int[] st = starts(start);
        int n = st.length - 1;
        int c = (int) (a.length() / Math.max(1, n));
        float[] ad = add != null ? CpuArrays.get(add) : null;
        int[] ix = entryLatents(idx, st[n]);
        float[] ws = CpuArrays.get(w);
        FloatBuffer ab = fb(a), ob = fb(out);
        rowChunks(n, (from, to) -> {
            float[] x = new float[c];
            VectorMath vm = VectorMath.get();
            for (int r = from; r < to; r++) {
                ab.get(r * c, x);
                for (int e = st[r]; e < st[r + 1]; e++) {
                    int j = ix[e];
                    float s = (float) vm.dot(x, 0, ws, j * c, c);
                    if (ad != null) {
                        s += scale * ad[j];
                    }
                    ob.put(e, s);
                }
            }
        });
    }

    /** Latents per task of the grouped outer products. */
    private static final int LATENT_CHUNK = 64;

    static void sparseOuter(INDArray start, INDArray idx, INDArray coef, INDArray x, INDArray dw, INDArray colsum) {
        int[] st = starts(start);
        int n = st.length - 1;
        int nnz = st[n];
        int c = (int) (x.length() / Math.max(1, n));
        int s = (int) (dw.length() / c);
        int[] ix = entryLatents(idx, nnz);
        float[] cf = entryValues(coef, nnz);
        int[] row = new int[nnz];
        for (int r = 0; r < n; r++) {
            Arrays.fill(row, st[r], st[r + 1], r);
        }
        // Entries grouped by latent, in entry order within a latent (counting sort).
        int[] count = new int[s + 1];
        for (int e = 0; e < nnz; e++) {
            count[ix[e] + 1]++;
        }
        for (int j = 0; j < s; j++) {
            count[j + 1] += count[j];
        }
        int[] order = new int[nnz];
        int[] fill = Arrays.copyOf(count, s);
        for (int e = 0; e < nnz; e++) {
            order[fill[ix[e]]++] = e;
        }
        float[] xs = CpuArrays.get(x);
        float[] cs = colsum != null ? CpuArrays.get(colsum) : null;
        FloatBuffer db = fb(dw);
        IntStream.range(0, (s + LATENT_CHUNK - 1) / LATENT_CHUNK).parallel().forEach(ch -> {
            float[] acc = new float[c];
            VectorMath vm = VectorMath.get();
            for (int j = ch * LATENT_CHUNK, end = Math.min(s, j + LATENT_CHUNK); j < end; j++) {
                if (count[j] == count[j + 1]) {
                    continue;
                }
                db.get(j * c, acc);
                for (int q = count[j]; q < count[j + 1]; q++) {
                    int e = order[q];
                    float d = cf[e];
                    vm.axpy(d, xs, row[e] * c, acc, 0, c);
                    if (cs != null) {
                        cs[j] += d;
                    }
                }
                db.put(j * c, acc);
            }
        });
        CpuArrays.put(colsum, cs);
    }

    static void jumpReluThresholdBackward(INDArray pre, INDArray threshold, float bandwidth, INDArray dout, INDArray w,
                                          double l0Grad, INDArray dLogThreshold) {
        int s = (int) threshold.length();
        int n = (int) (pre.length() / s);
        int c = (int) (w.length() / s);
        float[] th = CpuArrays.get(threshold);
        float[] dy = CpuArrays.get(dout);
        FloatBuffer pb = fb(pre), wb = fb(w);
        float[] g = CpuArrays.get(dLogThreshold);
        IntStream.range(0, (s + LATENT_CHUNK - 1) / LATENT_CHUNK).parallel().forEach(ch -> {
            int j0 = ch * LATENT_CHUNK;
            int len = Math.min(LATENT_CHUNK, s - j0);
            float[] p = new float[len];
            double[] gth = new double[len];
            float[] row = new float[c];
            for (int r = 0; r < n; r++) {
                pb.get(r * s + j0, p);
                for (int q = 0; q < len; q++) {
                    int j = j0 + q;
                    float u = (p[q] - th[j]) / bandwidth;
                    if (u <= -0.5f || u >= 0.5f) {
                        continue;
                    }
                    // d jumprelu/d theta = -(theta/eps) K(u) (times dlatent); d L0/d theta = -(1/eps) K(u).
                    wb.get(j * c, row);
                    float dl = 0;
                    for (int i = 0; i < c; i++) {
                        dl += dy[r * c + i] * row[i];
                    }
                    gth[q] += -(th[j] / bandwidth) * dl - l0Grad;
                }
            }
            for (int q = 0; q < len; q++) {
                g[j0 + q] += (float) (gth[q] * th[j0 + q]);
            }
        });
        CpuArrays.put(dLogThreshold, g);
    }
}
