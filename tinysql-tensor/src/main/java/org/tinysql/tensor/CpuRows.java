package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Elementwise add (a + alpha b), scaling with a broadcast row (scale x + alpha row) and row copies on [N,W] arrays
 * (W = C, M or V): zero, zero rows, gather and scatter rows, and strided copies of column blocks.
 */
final class CpuRows {

    private CpuRows() {
    }

    static void addScaled(INDArray a, float alpha, INDArray b, INDArray out) {
        FloatBuffer ab = fb(a), bb = fb(b), ob = fb(out);
        CpuParallel.blocks((int) a.length(), (off, len) -> {
            float[] av = CpuParallel.scratch(0, len);
            float[] bv = CpuParallel.scratch(1, len);
            ab.get(off, av, 0, len);
            bb.get(off, bv, 0, len);
            for (int i = 0; i < len; i++) {
                av[i] += alpha * bv[i];
            }
            ob.put(off, av, 0, len);
        });
    }

    static void scaleAddRow(INDArray x, float scale, INDArray row, float alpha, INDArray out) {
        FloatBuffer xb = fb(x), ob = fb(out);
        if (row == null || alpha == 0f) {
            CpuParallel.blocks((int) x.length(), (off, len) -> {
                float[] v = new float[len];
                xb.get(off, v);
                for (int i = 0; i < len; i++) {
                    v[i] = scale * v[i];
                }
                ob.put(off, v);
            });
            return;
        }
        float[] b = CpuArrays.get(row);
        int w = b.length;
        CpuParallel.rowChunks((int) (x.length() / w), (from, to) -> {
            float[] v = new float[w];
            for (int r = from; r < to; r++) {
                xb.get(r * w, v);
                for (int c = 0; c < w; c++) {
                    v[c] = scale * v[c] + alpha * b[c];
                }
                ob.put(r * w, v);
            }
        });
    }

    /** A block of zeros that zero() copies from (it used to allocate an array as large as its target each call). */
    private static final float[] ZEROS = new float[16384];

    static void zero(INDArray a) {
        FloatBuffer b = fb(a);
        int n = (int) a.length();
        for (int i = 0; i < n; i += ZEROS.length) {
            b.put(i, ZEROS, 0, Math.min(ZEROS.length, n - i));
        }
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

    static void copyColumns(INDArray src, int srcCol, INDArray dst, int dstCol, int width, boolean accumulate) {
        int rows = (int) src.size(0);
        if (dst.size(0) != rows) {
            throw new IllegalArgumentException("copyColumns: " + rows + " source rows, " + dst.size(0) + " destination rows");
        }
        int ws = (int) (src.length() / rows), wd = (int) (dst.length() / rows);
        if (srcCol < 0 || dstCol < 0 || srcCol + width > ws || dstCol + width > wd) {
            throw new IllegalArgumentException("copyColumns: columns out of range (" + srcCol + ", " + dstCol + ", width "
                    + width + ", rows of " + ws + " and " + wd + ")");
        }
        FloatBuffer s = fb(src), d = fb(dst);
        CpuParallel.rowChunks(rows, (from, to) -> {
            float[] row = new float[width];
            float[] acc = accumulate ? new float[width] : null;
            for (int r = from; r < to; r++) {
                s.get(r * ws + srcCol, row, 0, width);
                if (accumulate) {
                    d.get(r * wd + dstCol, acc, 0, width);
                    for (int c = 0; c < width; c++) {
                        acc[c] += row[c];
                    }
                    d.put(r * wd + dstCol, acc, 0, width);
                } else {
                    d.put(r * wd + dstCol, row, 0, width);
                }
            }
        });
    }
}
