package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class BlasTest {

    private static INDArray random(Random r, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Nd4j.create(v, new long[] {rows, cols}, DataType.FLOAT);
    }

    /** alpha op(a) op(b) + beta c0 in double. */
    private static double[] reference(INDArray a, INDArray b, INDArray c0, boolean ta, boolean tb, double alpha, double beta) {
        int m = (int) c0.size(0);
        int n = (int) c0.size(1);
        int k = (int) (ta ? a.size(0) : a.size(1));
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (ta ? a.getDouble(p, i) : a.getDouble(i, p)) * (tb ? b.getDouble(j, p) : b.getDouble(p, j));
                }
                out[i * n + j] = alpha * s + beta * c0.getDouble(i, j);
            }
        }
        return out;
    }

    @Test
    void splitProductsEqualTheReferenceForEveryTransposeAndSplitDirection() {
        assertEquals(1, Blas.openblasThreads());
        Random r = new Random(3);
        // {m, n, k}: large enough to be split; tall (rows split), wide (columns split), ragged edges
        int[][] shapes = {{600, 48, 200}, {48, 600, 200}, {347, 211, 97}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                INDArray a = ta ? random(r, s[2], s[0]) : random(r, s[0], s[2]);
                INDArray b = tb ? random(r, s[1], s[2]) : random(r, s[2], s[1]);
                INDArray c = random(r, s[0], s[1]);
                double[] want = reference(a, b, c, ta, tb, 0.5, 1.0);
                Blas.gemm(a, b, c, ta, tb, 0.5, 1.0);
                float[] got = c.data().asFloat();
                for (int i = 0; i < want.length; i++) {
                    assertTrue(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i])),
                            "shape " + java.util.Arrays.toString(s) + " ta " + ta + " tb " + tb + " at " + i + ": " + got[i]
                                    + " vs " + want[i]);
                }
            }
        }
    }

    @Test
    void oneRowProductsRunAsMatrixVectorProductsWithTheSameResults() {
        Random r = new Random(5);
        // {n, k}: split into column panels (wide) or not; one-row products go to SGEMV
        int[][] shapes = {{5000, 64}, {7, 3}, {33, 1}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                INDArray a = ta ? random(r, s[1], 1) : random(r, 1, s[1]);
                INDArray b = tb ? random(r, s[0], s[1]) : random(r, s[1], s[0]);
                for (double beta : new double[] {0, 1}) {
                    INDArray c = random(r, 1, s[0]);
                    double[] want = reference(a, b, c, ta, tb, 0.5, beta);
                    if (beta == 0) {
                        c.putScalar(0, 0, Float.NaN); // beta 0 overwrites: an old NaN must not leak in
                    }
                    Blas.gemm(a, b, c, ta, tb, 0.5, beta);
                    float[] got = c.data().asFloat();
                    for (int i = 0; i < want.length; i++) {
                        assertTrue(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i])),
                                "n, k " + java.util.Arrays.toString(s) + " ta " + ta + " tb " + tb + " beta " + beta + " at " + i
                                        + ": " + got[i] + " vs " + want[i]);
                    }
                }
            }
        }
        // a row read down a column of a wider matrix (transposed, leading dimension 4), into an offset output
        INDArray a = random(r, 6, 4);
        INDArray b = random(r, 6, 5);
        INDArray c = Nd4j.zeros(DataType.FLOAT, 1, 8);
        Blas.gemm(true, false, 1, 5, 6, 1f, Blas.pointer(a), 2, 4, Blas.pointer(b), 0, 5, 0f, Blas.pointer(c), 3, 5);
        for (int j = 0; j < 5; j++) {
            double want = 0;
            for (int p = 0; p < 6; p++) {
                want += a.getDouble(p, 2) * b.getDouble(p, j);
            }
            assertEquals(want, c.getDouble(0, 3 + j), 1e-4);
        }
        assertEquals(0.0, c.getDouble(0, 0) + c.getDouble(0, 1) + c.getDouble(0, 2), "nothing before the offset written");
    }

    @Test
    void mismatchedShapesAreRejected() {
        Random r = new Random(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Blas.gemm(random(r, 4, 5), random(r, 6, 3), random(r, 4, 3), false, false, 1, 0));
        assertTrue(e.getMessage().contains("4x5"), e.getMessage());
    }
}
