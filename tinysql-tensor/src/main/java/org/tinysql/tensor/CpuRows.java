package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Elementwise add and row copies on [N,W] arrays (W = C, M or V): zero, zero rows, gather and scatter rows. */
final class CpuRows {

    private CpuRows() {
    }

    static void add(INDArray a, INDArray b, INDArray out) {
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

    static void zero(INDArray a) {
        fb(a).put(0, new float[(int) a.length()]);
    }

    static void zeroRows(INDArray a, int[] rows) {
        int w = (int) (a.length() / a.size(0));
        float[] z = new float[w];
        FloatBuffer ab = fb(a);
        for (int r : rows) {
            ab.put(r * w, z, 0, w);
        }
    }

    static void gatherRows(INDArray src, int[] rows, INDArray dst) {
        int w = (int) (dst.length() / Math.max(1, rows.length));
        FloatBuffer s = fb(src), d = fb(dst);
        float[] row = new float[w];
        for (int i = 0; i < rows.length; i++) {
            s.get(rows[i] * w, row, 0, w);
            d.put(i * w, row, 0, w);
        }
    }

    static void scatterRows(INDArray src, int[] rows, INDArray dst, boolean accumulate) {
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
