package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;
import static org.tinysql.tensor.CpuArrays.get;
import static org.tinysql.tensor.CpuParallel.ROW_CHUNK;
import static org.tinysql.tensor.CpuParallel.accumulate;
import static org.tinysql.tensor.CpuParallel.chunks;
import static org.tinysql.tensor.CpuParallel.rowChunks;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Linear layer y[N,M] = x[N,K] W[M,K]^T + b[M] and its backward: the products through {@link Blas}, the bias rows and
 * the bias gradient colsum(dy) as Java loops over chunks of rows.
 */
final class CpuLinear {

    private CpuLinear() {
    }

    static void linear(INDArray x, INDArray w, INDArray b, INDArray y) {
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

    static void linearBackward(INDArray dy, INDArray x, INDArray w, INDArray dx, INDArray dw, INDArray db) {
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
}
