package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The kernels interpretability code computes with (gemm, elementwise sub and a + alpha b, strided column copies,
 * block dot products, means of rows) against plain Java loops on the same values.
 */
class InterpKernelsTest {
    private final Kernels k = new CpuKernels();

    /** n standard normal floats. */
    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void gemmMatchesAPlainProduct() {
        Random r = new Random(1);
        int m = 5, n = 7, kk = 9;
        float[] a = random(r, m * kk);
        float[] b = random(r, n * kk);
        float[] c0 = random(r, m * n);
        INDArray c = Buffers.of(c0.clone(), m, n);
        k.gemm(Buffers.of(a, m, kk), Buffers.of(b, n, kk), c, false, true, 0.5f, 2f);
        float[] got = Buffers.toFloats(c);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < kk; p++) {
                    s += a[i * kk + p] * (double) b[j * kk + p];
                }
                assertEquals(0.5 * s + 2 * c0[i * n + j], got[i * n + j], 1e-4);
            }
        }
    }

    @Test
    void subAndAddScaledRoundLikeJavaFloats() {
        Random r = new Random(2);
        int n = 20_000; // more than one parallel block
        float[] a = random(r, n);
        float[] b = random(r, n);
        INDArray out = k.zeros(n);
        k.sub(Buffers.of(a, n), Buffers.of(b, n), out);
        float[] sub = Buffers.toFloats(out);
        k.addScaled(Buffers.of(a, n), 0.3f, Buffers.of(b, n), out);
        float[] axpy = Buffers.toFloats(out);
        k.add(Buffers.of(a, n), Buffers.of(b, n), out);
        float[] add = Buffers.toFloats(out);
        for (int i = 0; i < n; i++) {
            assertEquals(a[i] - b[i], sub[i], 0f);
            assertEquals(a[i] + 0.3f * b[i], axpy[i], 0f);
            assertEquals(a[i] + b[i], add[i], 0f);
        }
        INDArray alias = Buffers.of(a.clone(), n);
        k.addScaled(alias, -2f, Buffers.of(b, n), alias);
        assertEquals(a[7] + -2f * b[7], alias.getFloat(7), 0f);
    }

    @Test
    void copyColumnsCopiesAndAccumulatesBlocks() {
        Random r = new Random(3);
        int rows = 70, ws = 12, wd = 10, from = 4, to = 3, width = 5; // more rows than one parallel chunk
        float[] s = random(r, rows * ws);
        float[] d0 = random(r, rows * wd);
        INDArray d = Buffers.of(d0.clone(), rows, wd);
        k.copyColumns(Buffers.of(s, rows, ws), from, d, to, width, false);
        float[] copied = Buffers.toFloats(d);
        k.copyColumns(Buffers.of(s, rows, ws), from, d, to, width, true);
        float[] summed = Buffers.toFloats(d);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < wd; j++) {
                boolean in = j >= to && j < to + width;
                float src = in ? s[i * ws + from + j - to] : 0;
                assertEquals(in ? src : d0[i * wd + j], copied[i * wd + j], 0f);
                assertEquals(in ? src + src : d0[i * wd + j], summed[i * wd + j], 0f);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> k.copyColumns(Buffers.of(s, rows, ws), 10, d, 0, width, false));
        assertThrows(IllegalArgumentException.class, () -> k.copyColumns(Buffers.of(s, rows, ws), 0, k.zeros(rows - 1, wd), 0, 1, false));
        INDArray whole = k.zeros(rows, ws);
        k.copy(Buffers.of(s, rows * ws), whole);
        assertArrayEquals(s, Buffers.toFloats(whole));
    }

    @Test
    void blockDotsSumProductsOverRowsAndColumnBlocks() {
        Random r = new Random(4);
        int rows = 6, blocks = 4, width = 3;
        float[] a = random(r, rows * blocks * width);
        float[] b = random(r, a.length);
        INDArray out = k.zeros(blocks);
        k.blockDots(Buffers.of(a, rows, blocks * width), Buffers.of(b, rows, blocks * width), width, out);
        float[] got = Buffers.toFloats(out);
        for (int q = 0; q < blocks; q++) {
            double s = 0;
            for (int i = 0; i < rows; i++) {
                for (int j = q * width; j < (q + 1) * width; j++) {
                    s += a[i * blocks * width + j] * (double) b[i * blocks * width + j];
                }
            }
            assertEquals((float) s, got[q], 0f);
        }
        assertThrows(IllegalArgumentException.class, () -> k.blockDots(Buffers.of(a, rows, blocks * width),
                Buffers.of(b, rows, blocks * width), 5, out));
    }

    @Test
    void meanRowsAveragesTheChosenRowsInDouble() {
        Random r = new Random(5);
        int rows = 9, w = 4;
        float[] s = random(r, rows * w);
        int[] chosen = {0, 3, 4, 8};
        INDArray out = k.zeros(1, w);
        k.meanRows(Buffers.of(s, rows, w), chosen, out);
        for (int j = 0; j < w; j++) {
            double sum = 0;
            for (int i : chosen) {
                sum += s[i * w + j];
            }
            assertEquals((float) (sum / chosen.length), out.getFloat(0, j), 0f);
        }
    }
}
