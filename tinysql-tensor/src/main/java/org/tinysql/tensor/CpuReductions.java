package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Reductions of [N,W] arrays accumulated in double: dot products over column blocks and the mean of chosen rows. */
final class CpuReductions {

    private CpuReductions() {
    }

    static void blockDots(INDArray a, INDArray b, int width, INDArray out) {
        int rows = (int) a.size(0);
        int w = (int) (a.length() / rows);
        int blocks = (int) out.length();
        if (a.length() != b.length() || b.size(0) != rows || (long) blocks * width != w) {
            throw new IllegalArgumentException("blockDots: " + a.length() + " and " + b.length() + " elements in " + rows
                    + " rows for " + blocks + " blocks of " + width);
        }
        FloatBuffer ab = fb(a), bb = fb(b);
        double[] sum = new double[blocks];
        float[] av = new float[w];
        float[] bv = new float[w];
        for (int r = 0; r < rows; r++) {
            ab.get(r * w, av);
            bb.get(r * w, bv);
            for (int k = 0, j = 0; k < blocks; k++) {
                double s = 0;
                for (int end = j + width; j < end; j++) {
                    s += av[j] * (double) bv[j];
                }
                sum[k] += s;
            }
        }
        float[] o = new float[blocks];
        for (int k = 0; k < blocks; k++) {
            o[k] = (float) sum[k];
        }
        fb(out).put(0, o);
    }

    static void meanRows(INDArray src, int[] rows, INDArray dst) {
        int w = (int) dst.length();
        FloatBuffer s = fb(src);
        double[] sum = new double[w];
        float[] row = new float[w];
        for (int r : rows) {
            s.get(r * w, row);
            for (int j = 0; j < w; j++) {
                sum[j] += row[j];
            }
        }
        float[] mean = new float[w];
        for (int j = 0; j < w; j++) {
            mean[j] = (float) (sum[j] / rows.length);
        }
        fb(dst).put(0, mean);
    }
}
