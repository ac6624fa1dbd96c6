package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The ends of the model: token embedding out[N,C] = table[V,C][ids] with its backward, and the cross-entropy of
 * logits[N,V] (with its gradient) in parallel chunks of rows.
 */
final class CpuEmbeddingLoss {

    private CpuEmbeddingLoss() {
    }

    static void embedding(int[] ids, INDArray table, INDArray out) {
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

    static void embeddingBackward(INDArray dout, int[] ids, INDArray dtable) {
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

    static double[] crossEntropy(INDArray logits, int[] targets, INDArray dlogits, float gradScale) {
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
                        Arrays.fill(row, 0f);
                        db.put(o, row);
                    }
                    continue;
                }
                lb.get(o, row);
                VectorMath vm = VectorMath.get();
                float max = vm.max(row, 0, v);
                float xt = row[target];
                // one exp per entry: row becomes exp(x - max), then the softmax times the gradient scale
                double sum = vm.expShift(row, 0, v, max);
                rowLoss[r] = max + Math.log(sum) - xt;
                if (db != null) {
                    vm.scale(row, 0, v, (float) (inv / sum));
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
}
