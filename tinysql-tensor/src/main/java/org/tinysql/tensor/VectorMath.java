package org.tinysql.tensor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exp-based loops of the CPU kernels (softmax, cross-entropy, SiLU/SwiGLU) and the rows of the norms (LayerNorm,
 * RMSNorm, forward and backward) over float arrays, in one place so that they run on SIMD lanes when the JVM has the
 * Java Vector API and as plain scalar loops otherwise.
 *
 * <p>HotSpot does not vectorise loops that call {@link Math#exp}, nor the norms' reductions (sums over C feeding the
 * same loop's updates: the scalar LayerNorm backward took 6-8 ns per element); the Vector API (the incubator module
 * {@code jdk.incubator.vector} of Java 17) does, with Intel's SVML routines on x86 (an exp at about 0.3 ns per element
 * against 11-15 ns for {@code Math.exp} on the build machine, each within 1 ulp). The module is not resolved unless
 * the JVM is started with {@code --add-modules jdk.incubator.vector}; without it {@link #get()} is the scalar
 * implementation and the library logs once how to enable the fast one. Both give the same results to float rounding
 * (sums are added in a different order), and each is deterministic and independent of the thread count.
 */
abstract class VectorMath {
    private static final Logger LOG = LoggerFactory.getLogger(VectorMath.class);
    /** The JVM option that enables the SIMD implementation. */
    static final String ENABLE_FLAG = "--add-modules jdk.incubator.vector";

    /** Chosen on first use, not in VectorMath's own initialisation (SimdMath, a subclass, initialises VectorMath first). */
    private static final class Chosen {
        static final VectorMath INSTANCE = choose();
    }

    /** The implementation this JVM runs: SIMD when jdk.incubator.vector is resolved, else scalar. */
    static VectorMath get() {
        return Chosen.INSTANCE;
    }

    /** Whether the SIMD implementation is active. */
    static boolean simd() {
        return Chosen.INSTANCE instanceof SimdMath;
    }

    private static VectorMath choose() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                && !Boolean.getBoolean("tinysql.scalar")) {
            try {
                return new SimdMath();
            } catch (LinkageError | RuntimeException e) {
                LOG.warn("the Java Vector API is present but could not be used ({}); exp-based kernels run scalar", e.toString());
                return new Scalar();
            }
        }
        LOG.info("exp-based and norm kernels (softmax, cross-entropy, SwiGLU, LayerNorm, RMSNorm) run scalar; start the JVM "
                + "with {} for SIMD ones (several times faster training)", ENABLE_FLAG);
        return new Scalar();
    }

    /** The largest of v[off, off + len), or -Float.MAX_VALUE for len 0. */
    abstract float max(float[] v, int off, int len);

    /** How many of v[off, off + len) are >= t. */
    abstract int countAtLeast(float[] v, int off, int len, float t);

    /**
     * v[i] = exp(v[i] - shift) over [off, off + len); returns their sum. Entries of -Float.MAX_VALUE (masked) become
     * exactly 0.
     */
    abstract double expShift(float[] v, int off, int len, float shift);

    /** v[i] *= s over [off, off + len). */
    abstract void scale(float[] v, int off, int len, float s);

    /** y[yo + i] += a * x[xo + i] for i < len (a product, then a sum, each rounded: the scalar loop's bits). */
    abstract void axpy(float a, float[] x, int xo, float[] y, int yo, int len);

    /** The dot product of a[off, off + len) and b[off, off + len). */
    final double dot(float[] a, float[] b, int off, int len) {
        return dot(a, off, b, off, len);
    }

    /** The dot product of a[ao, ao + len) and b[bo, bo + len). */
    abstract double dot(float[] a, int ao, float[] b, int bo, int len);

    /** g[i] = silu(g[i]) * u[i] = g[i] * sigmoid(g[i]) * u[i] for i < len (SwiGLU forward, in place). */
    abstract void swiglu(float[] g, float[] u, int len);

    /**
     * SwiGLU backward for i < len: du[i] += d[i] * silu(g[i]); dg[i] += d[i] * u[i] * silu'(g[i]) with
     * silu'(x) = sigmoid(x) (1 + x (1 - sigmoid(x))).
     */
    abstract void swigluBackward(float[] d, float[] g, float[] u, float[] dg, float[] du, int len);

    /** v[i] = exp(v[i]) for i < len. */
    abstract void exp(float[] v, int len);

    // The norms' rows: x[o, o + c) of a row-major [N, C] block, weights w[0, c). Sums over C are in float lanes (SIMD)
    // or double (scalar), so the two agree to float rounding.

    /**
     * LayerNorm of one row in place: v = (v - mu) rs w + b with mu and rs = 1 / sqrt(var + eps) of the row; returns
     * {mu, rs} through {@code stats[0..1]}.
     */
    abstract void layerNormRow(float[] v, int o, int c, float[] w, float[] b, float eps, float[] stats);

    /**
     * LayerNorm backward of one row: with xhat = (x - mu) rs and g = dy w, dx += rs (g - mean(g) - xhat mean(g xhat));
     * pw += dy xhat and pb += dy when they are not null (the weight and bias gradients' partial sums).
     */
    abstract void layerNormBackwardRow(float[] dy, float[] x, float[] dx, int o, int c, float[] w, float mu, float rs,
                                       float[] pw, float[] pb);

    /** RMSNorm of one row: y = w (x rs) with rs = 1 / sqrt(mean(x^2) + eps), returned. */
    abstract float rmsNormRow(float[] x, float[] y, int o, int c, float[] w, double eps);

    /**
     * RMSNorm backward of one row: with xhat = x rs and g = dy w, dx += rs (g - xhat mean(g xhat)); pw += dy xhat when
     * not null.
     */
    abstract void rmsNormBackwardRow(float[] dy, float[] x, float[] dx, int o, int c, float[] w, float rs, float[] pw);

    /**
     * Softmax of one attention row v[off, off + n) in place; entries of -Float.MAX_VALUE (masked) become 0, and a row
     * with every entry masked becomes uniform (as exp(NEG - NEG) gives).
     */
    final void softmaxRow(float[] v, int off, int n) {
        float max = max(v, off, n);
        if (max == -Float.MAX_VALUE) {
            java.util.Arrays.fill(v, off, off + n, 1f / n);
            return;
        }
        double sum = expShift(v, off, n, max);
        scale(v, off, n, (float) (1.0 / sum));
    }

    /** Softmax backward of one row in place: dp = p (dp - sum(dp p)) over [off, off + n). */
    final void softmaxBackwardRow(float[] dp, float[] p, int off, int n) {
        float m = (float) dot(dp, p, off, n);
        for (int j = off; j < off + n; j++) {
            dp[j] = p[j] * (dp[j] - m);
        }
    }

    /**
     * LayerNorm backward's second pass over elements [from, c) of a row, given mg = mean(g) and mgx = mean(g xhat) (see
     * {@link #layerNormBackwardRow}): the scalar implementation's whole row, the SIMD one's tail.
     */
    static void layerNormDx(float[] dy, float[] x, float[] dx, int o, int from, int c, float[] w, float mu, float rs, float mg,
                            float mgx, float[] pw, float[] pb) {
        for (int i = from; i < c; i++) {
            float xhat = (x[o + i] - mu) * rs;
            dx[o + i] += rs * (dy[o + i] * w[i] - mg - xhat * mgx);
            if (pw != null) {
                pw[i] += dy[o + i] * xhat;
                pb[i] += dy[o + i];
            }
        }
    }

    /** The scalar implementation: {@link Math#exp} per element, sums in double. */
    static final class Scalar extends VectorMath {
        private static final float NEG = -Float.MAX_VALUE;

        @Override
        float max(float[] v, int off, int len) {
            float m = NEG;
            for (int j = off; j < off + len; j++) {
                m = Math.max(m, v[j]);
            }
            return m;
        }

        @Override
        void axpy(float a, float[] x, int xo, float[] y, int yo, int len) {
            for (int i = 0; i < len; i++) {
                y[yo + i] += a * x[xo + i];
            }
        }

        @Override
        int countAtLeast(float[] v, int off, int len, float t) {
            int c = 0;
            for (int j = off; j < off + len; j++) {
                c += v[j] >= t ? 1 : 0;
            }
            return c;
        }

        @Override
        double expShift(float[] v, int off, int len, float shift) {
            double sum = 0;
            for (int j = off; j < off + len; j++) {
                float x = v[j];
                // masked entries are exactly zero; skipping their exp halves the work of causal attention rows
                float e = x == NEG ? 0f : (float) Math.exp(x - shift);
                v[j] = e;
                sum += e;
            }
            return sum;
        }

        @Override
        void scale(float[] v, int off, int len, float s) {
            for (int j = off; j < off + len; j++) {
                v[j] *= s;
            }
        }

        @Override
        double dot(float[] a, int ao, float[] b, int bo, int len) {
            double dot = 0;
            for (int j = 0; j < len; j++) {
                dot += a[ao + j] * b[bo + j];
            }
            return dot;
        }

        /** The logistic function with Math.exp, accurate for large negative inputs too. */
        private static float sigmoid(float x) {
            return 1f / (1f + (float) Math.exp(-x));
        }

        @Override
        void swiglu(float[] g, float[] u, int len) {
            for (int i = 0; i < len; i++) {
                g[i] = g[i] * sigmoid(g[i]) * u[i];
            }
        }

        @Override
        void swigluBackward(float[] d, float[] g, float[] u, float[] dg, float[] du, int len) {
            for (int i = 0; i < len; i++) {
                float x = g[i];
                float sx = sigmoid(x);
                du[i] += d[i] * x * sx;
                dg[i] += d[i] * u[i] * sx * (1 + x * (1 - sx));
            }
        }

        @Override
        void exp(float[] v, int len) {
            for (int i = 0; i < len; i++) {
                v[i] = (float) Math.exp(v[i]);
            }
        }

        @Override
        void layerNormRow(float[] v, int o, int c, float[] w, float[] b, float eps, float[] stats) {
            double s = 0;
            for (int i = 0; i < c; i++) {
                s += v[o + i];
            }
            float mu = (float) (s / c);
            double ss = 0;
            for (int i = 0; i < c; i++) {
                float d = v[o + i] - mu;
                ss += d * d;
            }
            float rs = (float) (1.0 / Math.sqrt((float) (ss / c) + eps));
            for (int i = 0; i < c; i++) {
                v[o + i] = (v[o + i] - mu) * rs * w[i] + b[i];
            }
            stats[0] = mu;
            stats[1] = rs;
        }

        @Override
        void layerNormBackwardRow(float[] dy, float[] x, float[] dx, int o, int c, float[] w, float mu, float rs,
                                  float[] pw, float[] pb) {
            double sg = 0;
            double sgx = 0;
            for (int i = 0; i < c; i++) {
                float g = dy[o + i] * w[i];
                sg += g;
                sgx += g * ((x[o + i] - mu) * rs);
            }
            layerNormDx(dy, x, dx, o, 0, c, w, mu, rs, (float) (sg / c), (float) (sgx / c), pw, pb);
        }

        @Override
        float rmsNormRow(float[] x, float[] y, int o, int c, float[] w, double eps) {
            double ss = 0;
            for (int i = 0; i < c; i++) {
                double v = x[o + i];
                ss += v * v;
            }
            float rs = (float) (1.0 / Math.sqrt(ss / c + eps));
            for (int i = 0; i < c; i++) {
                y[o + i] = w[i] * (x[o + i] * rs);
            }
            return rs;
        }

        @Override
        void rmsNormBackwardRow(float[] dy, float[] x, float[] dx, int o, int c, float[] w, float rs, float[] pw) {
            double dot = 0;
            for (int i = 0; i < c; i++) {
                float xhat = x[o + i] * rs;
                dot += dy[o + i] * w[i] * xhat;
                if (pw != null) {
                    pw[i] += dy[o + i] * xhat;
                }
            }
            float m = (float) (dot / c);
            for (int i = 0; i < c; i++) {
                dx[o + i] += rs * (dy[o + i] * w[i] - x[o + i] * rs * m);
            }
        }
    }
}
