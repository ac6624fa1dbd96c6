package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;
import static org.tinysql.tensor.CpuArrays.get;
import static org.tinysql.tensor.CpuArrays.put;
import static org.tinysql.tensor.CpuParallel.ROW_CHUNK;
import static org.tinysql.tensor.CpuParallel.accumulate;
import static org.tinysql.tensor.CpuParallel.chunks;
import static org.tinysql.tensor.CpuParallel.rowChunks;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LayerNorm and RMSNorm over the last dim C of x[N,C], forward and backward, in parallel chunks of rows; the
 * weight and bias gradients [C] are summed per chunk and then added in chunk order.
 */
final class CpuNorms {

    private CpuNorms() {
    }

    static void layerNorm(INDArray x, INDArray w, INDArray b, INDArray y, INDArray meanOut, INDArray rstdOut, double eps) {
        float[] mean = new float[(int) meanOut.length()];
        float[] rstd = new float[(int) rstdOut.length()];
        layerNorm(x, w, b, y, mean, rstd, eps);
        put(meanOut, mean);
        put(rstdOut, rstd);
    }

    private static void layerNorm(INDArray x, INDArray w, INDArray b, INDArray y, float[] mean, float[] rstd, double eps) {
        float[] wv = get(w), bv = get(b);
        FloatBuffer xb = fb(x), yb = fb(y);
        int c = wv.length;
        float e = (float) eps;
        VectorMath vm = VectorMath.get();
        rowChunks((int) (x.length() / c), (from, to) -> {
            int len = (to - from) * c;
            float[] v = CpuParallel.scratch(0, len);
            float[] stats = new float[2];
            xb.get(from * c, v, 0, len);
            for (int r = from; r < to; r++) {
                vm.layerNormRow(v, (r - from) * c, c, wv, bv, e, stats);
                mean[r] = stats[0];
                rstd[r] = stats[1];
            }
            yb.put(from * c, v, 0, len);
        });
    }

    static void layerNormBackward(INDArray dy, INDArray x, INDArray w, INDArray meanIn, INDArray rstdIn, INDArray dx, INDArray dw,
                                  INDArray db) {
        float[] mean = get(meanIn);
        float[] rstd = get(rstdIn);
        float[] wv = get(w);
        VectorMath vm = VectorMath.get();
        backwardRows(dy, x, dx, wv.length, dw, db, (dyv, xv, dxv, o, r, pw, pb) ->
                vm.layerNormBackwardRow(dyv, xv, dxv, o, wv.length, wv, mean[r], rstd[r], pw, pb));
    }

    /** One row's backward: reads dy and x at [o, o + C), adds into dx there, and into the partial sums pw, pb (or nulls). */
    private interface RowBackward {
        void row(float[] dy, float[] x, float[] dx, int o, int r, float[] pw, float[] pb);
    }

    /**
     * The norms' backward over rows of [N, C]: per parallel chunk of rows, dy, x and dx through per-thread scratch, the
     * row kernel for each row, dx written back; the weight (and bias) gradients' per-chunk partial sums are added to
     * {@code dw} and {@code db} (either may be null) in chunk order.
     */
    private static void backwardRows(INDArray dy, INDArray x, INDArray dx, int c, INDArray dw, INDArray db, RowBackward kernel) {
        FloatBuffer dyb = fb(dy), xb = fb(x), dxb = fb(dx);
        int rows = (int) (x.length() / c);
        int nch = chunks(rows);
        boolean wantW = dw != null || db != null;
        float[][] dwPart = new float[wantW ? nch : 0][];
        float[][] dbPart = new float[wantW ? nch : 0][];
        IntStream.range(0, nch).parallel().forEach(ch -> {
            int from = ch * ROW_CHUNK;
            int to = Math.min(rows, from + ROW_CHUNK);
            int len = (to - from) * c;
            float[] dyv = CpuParallel.scratch(0, len);
            float[] xv = CpuParallel.scratch(1, len);
            float[] dxv = CpuParallel.scratch(2, len);
            dyb.get(from * c, dyv, 0, len);
            xb.get(from * c, xv, 0, len);
            dxb.get(from * c, dxv, 0, len);
            float[] pw = wantW ? new float[c] : null;
            float[] pb = wantW ? new float[c] : null;
            for (int r = from; r < to; r++) {
                kernel.row(dyv, xv, dxv, (r - from) * c, r, pw, pb);
            }
            dxb.put(from * c, dxv, 0, len);
            if (wantW) {
                dwPart[ch] = pw;
                dbPart[ch] = pb;
            }
        });
        accumulate(dw, dwPart, c);
        accumulate(db, dbPart, c);
    }

    static void rmsNorm(INDArray x, INDArray w, INDArray y, INDArray rstdOut, double eps) {
        float[] rstd = new float[(int) rstdOut.length()];
        rmsNorm(x, w, y, rstd, eps);
        put(rstdOut, rstd);
    }

    // The norm kernels read and write their [N, C] arrays a row chunk at a time through per-thread scratch arrays
    // (copying whole arrays to the Java heap made multi-megabyte humongous objects that grew the heap); the rows
    // themselves are VectorMath's (SIMD with the Vector API).

    private static void rmsNorm(INDArray x, INDArray w, INDArray y, float[] rstd, double eps) {
        FloatBuffer xb = fb(x), yb = fb(y);
        float[] wv = get(w);
        int c = wv.length;
        VectorMath vm = VectorMath.get();
        rowChunks((int) (x.length() / c), (from, to) -> {
            int len = (to - from) * c;
            float[] xv = CpuParallel.scratch(0, len);
            float[] yv = CpuParallel.scratch(1, len);
            xb.get(from * c, xv, 0, len);
            for (int r = from; r < to; r++) {
                rstd[r] = vm.rmsNormRow(xv, yv, (r - from) * c, c, wv, eps);
            }
            yb.put(from * c, yv, 0, len);
        });
    }

    static void rmsNormBackward(INDArray dy, INDArray x, INDArray w, INDArray rstdIn, INDArray dx, INDArray dw) {
        float[] rstd = get(rstdIn);
        float[] wv = get(w);
        VectorMath vm = VectorMath.get();
        backwardRows(dy, x, dx, wv.length, dw, null, (dyv, xv, dxv, o, r, pw, pb) ->
                vm.rmsNormBackwardRow(dyv, xv, dxv, o, wv.length, wv, rstd[r], pw));
    }

    /** Squared norm of a row, float products summed in double. */
    private static double squaredNorm(float[] row) {
        double n = 0;
        for (float v : row) {
            n += v * v;
        }
        return n;
    }

    static void rowNorms(INDArray w, INDArray norms) {
        int s = (int) norms.length();
        int c = (int) (w.length() / s);
        float[] out = new float[s];
        FloatBuffer wb = fb(w);
        rowChunks(s, (from, to) -> {
            float[] row = new float[c];
            for (int j = from; j < to; j++) {
                wb.get(j * c, row);
                out[j] = (float) Math.sqrt(squaredNorm(row));
            }
        });
        put(norms, out);
    }

    static void normalizeRows(INDArray w, double minNorm) {
        int s = (int) w.size(0);
        int c = (int) (w.length() / s);
        FloatBuffer wb = fb(w);
        rowChunks(s, (from, to) -> {
            float[] row = new float[c];
            for (int j = from; j < to; j++) {
                wb.get(j * c, row);
                float inv = (float) (1 / Math.max(Math.sqrt(squaredNorm(row)), minNorm));
                for (int i = 0; i < c; i++) {
                    row[i] *= inv;
                }
                wb.put(j * c, row);
            }
        });
    }

    static void rowNormsBackward(INDArray w, INDArray norms, INDArray dnorms, float scale, INDArray dw) {
        int s = (int) norms.length();
        int c = (int) (w.length() / s);
        float[] n = get(norms);
        float[] g = get(dnorms);
        FloatBuffer wb = fb(w), db = fb(dw);
        rowChunks(s, (from, to) -> {
            float[] row = new float[c];
            float[] acc = new float[c];
            for (int j = from; j < to; j++) {
                if (!(n[j] > 0) || g[j] == 0) {
                    continue;
                }
                float f = scale * g[j] / n[j];
                wb.get(j * c, row);
                db.get(j * c, acc);
                for (int i = 0; i < c; i++) {
                    acc[i] += f * row[i];
                }
                db.put(j * c, acc);
            }
        });
    }
}
