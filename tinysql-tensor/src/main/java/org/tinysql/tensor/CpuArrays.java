package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Bulk copies between ND4J buffers and Java arrays (one copy per array, no per-element buffer calls), and the
 * reduction the row-wise kernels use for their sums over C.
 */
final class CpuArrays {

    private CpuArrays() {
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
}
