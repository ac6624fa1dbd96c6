package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The SIMD implementation of {@link VectorMath} against the scalar one (the Math.exp reference) on random rows of
 * every length from 0 to a few vectors, masked entries, and the extremes of the logistic function. The build runs
 * tests with {@code --add-modules jdk.incubator.vector}, so both implementations are available here.
 */
class VectorMathTest {
    private static final float NEG = -Float.MAX_VALUE;
    private final VectorMath simd = new SimdMath();
    private final VectorMath scalar = new VectorMath.Scalar();

    @Test
    void theBuildRunsTestsWithTheVectorApi() {
        assertTrue(VectorMath.simd(), "tests are meant to run with " + VectorMath.ENABLE_FLAG + " (surefire argLine)");
    }

    private static float[] randomRow(SplittableRandom r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return v;
    }

    private static void assertClose(float[] want, float[] got, double rel, String what) {
        for (int i = 0; i < want.length; i++) {
            double tol = rel * Math.max(1e-30, Math.abs(want[i])) + 1e-37;
            assertEquals(want[i], got[i], tol, what + " at " + i);
        }
    }

    @Test
    void softmaxPiecesAgreeOnEveryLengthWithMaskedEntries() {
        SplittableRandom r = new SplittableRandom(1);
        for (int n = 0; n <= 70; n++) {
            for (int off : new int[] {0, 3}) {
                float[] v = new float[off + n + 2];
                float[] row = randomRow(r, n, 20);
                System.arraycopy(row, 0, v, off, n);
                for (int i = off; i < off + n; i += 3) {
                    v[i] = NEG; // masked
                }
                float[] a = v.clone();
                float[] b = v.clone();
                assertEquals(scalar.max(a, off, n), simd.max(b, off, n), "max, n=" + n);
                for (float t : new float[] {NEG, -1f, 0f, Float.MIN_VALUE, 0.5f, 3f}) {
                    int want = 0;
                    for (int i = off; i < off + n; i++) {
                        want += a[i] >= t ? 1 : 0;
                    }
                    assertEquals(want, scalar.countAtLeast(a, off, n, t), "scalar count >= " + t + ", n=" + n);
                    assertEquals(want, simd.countAtLeast(b, off, n, t), "simd count >= " + t + ", n=" + n);
                }
                float shift = scalar.max(a, off, n);
                if (shift == NEG) {
                    continue; // every entry masked: the kernels give such rows a uniform pattern without exp
                }
                double sa = scalar.expShift(a, off, n, shift);
                double sb = simd.expShift(b, off, n, shift);
                assertEquals(sa, sb, 1e-6 * Math.max(1, sa), "sum, n=" + n);
                assertClose(a, b, 3e-7, "exp n=" + n);
                for (int i = off; i < off + n; i += 3) {
                    assertEquals(0f, b[i], "masked entry " + i + " must be exactly 0");
                }
                assertEquals(0f, b[off + n], "entries after the range are untouched");
                scalar.scale(a, off, n, 0.37f);
                simd.scale(b, off, n, 0.37f);
                assertClose(a, b, 3e-7, "scale n=" + n);
                float[] c = randomRow(r, off + n, 3);
                assertEquals(scalar.dot(a, c, off, n), simd.dot(b, c, off, n), 1e-5 * (1 + Math.abs(scalar.dot(a, c, off, n))),
                        "dot, n=" + n);
            }
        }
    }

    @Test
    void swigluForwardAndBackwardAgreeIncludingTheTails() {
        SplittableRandom r = new SplittableRandom(2);
        for (int n : new int[] {0, 1, 7, 15, 16, 17, 33, 100}) {
            float[] g = randomRow(r, n, 8);
            if (n > 2) {
                g[0] = -100f; // sigmoid underflows: silu -> -0
                g[1] = 100f;  // sigmoid 1: silu -> x
                g[2] = -87.5f;
            }
            float[] u = randomRow(r, n, 2);
            float[] d = randomRow(r, n, 1);
            float[] ga = g.clone();
            float[] gb = g.clone();
            scalar.swiglu(ga, u, n);
            simd.swiglu(gb, u, n);
            assertClose(ga, gb, 5e-7, "swiglu n=" + n);
            float[] dga = randomRow(r, n, 1);
            float[] dgb = dga.clone();
            float[] dua = randomRow(r, n, 1);
            float[] dub = dua.clone();
            scalar.swigluBackward(d, g, u, dga, dua, n);
            simd.swigluBackward(d, g, u, dgb, dub, n);
            for (int i = 0; i < n; i++) {
                assertEquals(dga[i], dgb[i], 1e-6 * (1 + Math.abs(dga[i])), "dgate " + i);
                assertEquals(dua[i], dub[i], 1e-6 * (1 + Math.abs(dua[i])), "dup " + i);
            }
        }
    }

    @Test
    void normRowsAgreeWithTheScalarOnesIncludingTheTailsAndAnOffset() {
        SplittableRandom r = new SplittableRandom(4);
        for (int c : new int[] {1, 7, 16, 33, 128, 200}) {
            int o = 5; // the row starts inside a larger block
            float[] x = randomRow(r, o + c + 3, 2);
            for (int i = o; i < o + c; i++) {
                x[i] += 1.5f; // a non-zero mean
            }
            float[] w = randomRow(r, c, 1);
            float[] b = randomRow(r, c, 1);
            float[] dy = randomRow(r, o + c + 3, 1);
            float[] sa = new float[2];
            float[] sb = new float[2];
            float[] ya = x.clone();
            float[] yb = x.clone();
            scalar.layerNormRow(ya, o, c, w, b, 1e-5f, sa);
            simd.layerNormRow(yb, o, c, w, b, 1e-5f, sb);
            assertEquals(sa[0], sb[0], 1e-6 * (1 + Math.abs(sa[0])), "layerNorm mean, c=" + c);
            assertEquals(sa[1], sb[1], 1e-5 * sa[1], "layerNorm rstd, c=" + c);
            for (int i = 0; i < ya.length; i++) {
                assertEquals(ya[i], yb[i], 2e-5 * (1 + Math.abs(ya[i])), "layerNorm c=" + c + " at " + i);
            }
            assertEquals(x[o + c], yb[o + c], "after the row untouched");
            float[] dxa = randomRow(r, o + c + 3, 1);
            float[] dxb = dxa.clone();
            float[] pwa = randomRow(r, c, 1);
            float[] pwb = pwa.clone();
            float[] pba = randomRow(r, c, 1);
            float[] pbb = pba.clone();
            scalar.layerNormBackwardRow(dy, x, dxa, o, c, w, sa[0], sa[1], pwa, pba);
            simd.layerNormBackwardRow(dy, x, dxb, o, c, w, sa[0], sa[1], pwb, pbb);
            for (int i = 0; i < dxa.length; i++) {
                assertEquals(dxa[i], dxb[i], 2e-5 * (1 + Math.abs(dxa[i])), "layerNorm dx c=" + c + " at " + i);
            }
            for (int i = 0; i < c; i++) {
                assertEquals(pwa[i], pwb[i], 1e-5 * (1 + Math.abs(pwa[i])), "layerNorm dw c=" + c + " at " + i);
                assertEquals(pba[i], pbb[i], 1e-6 * (1 + Math.abs(pba[i])), "layerNorm db c=" + c + " at " + i);
            }
            // the definition, in double: dx = rs (g - mean g - xhat mean(g xhat)), g = dy w
            double mu = 0;
            for (int i = 0; i < c; i++) {
                mu += x[o + i];
            }
            mu /= c;
            double var = 0;
            for (int i = 0; i < c; i++) {
                var += (x[o + i] - mu) * (x[o + i] - mu);
            }
            double rs = 1 / Math.sqrt(var / c + 1e-5f);
            assertEquals(rs, sb[1], 1e-5 * rs, "rstd from its definition");
            double mg = 0;
            double mgx = 0;
            for (int i = 0; i < c; i++) {
                mg += dy[o + i] * w[i] / c;
                mgx += dy[o + i] * w[i] * (x[o + i] - mu) * rs / c;
            }
            float[] fresh = new float[dxa.length];
            simd.layerNormBackwardRow(dy, x, fresh, o, c, w, (float) mu, (float) rs, null, null);
            for (int i = 0; i < c; i++) {
                double want = rs * (dy[o + i] * w[i] - mg - (x[o + i] - mu) * rs * mgx);
                assertEquals(want, fresh[o + i], 1e-4 * (1 + Math.abs(want)), "layerNorm dx from its definition, c=" + c);
            }
            float[] ra = new float[x.length];
            float[] rb = new float[x.length];
            float rsa = scalar.rmsNormRow(x, ra, o, c, w, 1e-6);
            float rsb = simd.rmsNormRow(x, rb, o, c, w, 1e-6);
            assertEquals(rsa, rsb, 1e-5 * rsa, "rmsNorm rstd, c=" + c);
            assertClose(ra, rb, 2e-5, "rmsNorm c=" + c);
            float[] ea = randomRow(r, x.length, 1);
            float[] eb = ea.clone();
            float[] qa = randomRow(r, c, 1);
            float[] qb = qa.clone();
            scalar.rmsNormBackwardRow(dy, x, ea, o, c, w, rsa, qa);
            simd.rmsNormBackwardRow(dy, x, eb, o, c, w, rsa, qb);
            for (int i = 0; i < ea.length; i++) {
                assertEquals(ea[i], eb[i], 2e-5 * (1 + Math.abs(ea[i])), "rmsNorm dx c=" + c + " at " + i);
            }
            for (int i = 0; i < c; i++) {
                assertEquals(qa[i], qb[i], 1e-5 * (1 + Math.abs(qa[i])), "rmsNorm dw c=" + c + " at " + i);
            }
        }
    }

    @Test
    void resultsDoNotDependOnWhetherTheJitHasCompiledTheLoopYet() {
        // the first calls run the Vector API's Java fallback, later ones compiled SIMD code: the bits must not change
        SplittableRandom r = new SplittableRandom(3);
        float[] v = randomRow(r, 257, 30);
        float[] first = v.clone();
        double firstSum = simd.expShift(first, 0, first.length, 30f);
        for (int rep = 0; rep < 20000; rep++) {
            float[] again = v.clone();
            double s = simd.expShift(again, 0, again.length, 30f);
            if (rep % 1000 == 999) {
                assertEquals(firstSum, s, 0.0, "sum after " + rep + " calls");
                for (int i = 0; i < v.length; i++) {
                    assertEquals(Float.floatToRawIntBits(first[i]), Float.floatToRawIntBits(again[i]), "element " + i);
                }
            }
        }
    }

    @Test
    void zeroClearsExactlyAnOffsetView() {
        org.nd4j.linalg.api.ndarray.INDArray all = Buffers.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10);
        org.nd4j.linalg.api.ndarray.INDArray view = all.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 8));
        CpuRows.zero(view);
        assertEquals(java.util.List.of(1f, 2f, 0f, 0f, 0f, 0f, 0f, 0f, 9f, 10f),
                java.util.Arrays.asList(toBoxed(Buffers.toFloats(all))));
    }

    private static Float[] toBoxed(float[] v) {
        Float[] b = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = v[i];
        }
        return b;
    }

    @Test
    void expAgreesOverTheFloatRange() {
        float[] v = new float[1001];
        for (int i = 0; i < v.length; i++) {
            v[i] = -100f + 0.2f * i; // -100 .. 100: underflow to 0 and overflow to infinity at the ends
        }
        float[] a = v.clone();
        float[] b = v.clone();
        scalar.exp(a, a.length);
        simd.exp(b, b.length);
        for (int i = 0; i < a.length; i++) {
            if (Float.isInfinite(a[i]) || a[i] < Float.MIN_NORMAL) {
                assertEquals(a[i], b[i], Float.MIN_NORMAL, "edge " + v[i]);
            } else {
                assertEquals(a[i], b[i], 3e-7 * a[i], "exp(" + v[i] + ")");
            }
        }
    }
}
