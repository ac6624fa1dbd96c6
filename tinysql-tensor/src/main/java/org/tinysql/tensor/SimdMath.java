package org.tinysql.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link VectorMath} on the Java Vector API (the only class that refers to {@code jdk.incubator.vector}; loaded only
 * when the module is resolved).
 *
 * <p>Only IEEE arithmetic (add, multiply, divide, fused multiply-add, min/max, bit reinterpretation and shifts) is
 * used, so a result has the same bits whether the JIT has compiled the loop to SIMD instructions yet or the Vector API
 * still runs its Java fallback: the API's own {@code EXP} (SVML when compiled, StrictMath in the fallback) and its
 * float {@code ADD} reduction (order unspecified) are avoided for that reason. exp is the Cephes single-precision
 * scheme: n = round(x log2 e), r = x - n ln 2 in two parts, a degree-5 polynomial, times 2^n built from exponent
 * bits (within 2 ulp; below about 6.8e-46 the result is 0, above float range infinity). Lanes of the preferred species (16 floats with AVX-512, 8 with AVX2): full vectors
 * straight on the arrays, the tail of a range on scalars with the lanes' arithmetic ({@link #expLane}). Sums reduce the lane partials once at the end.
 */
final class SimdMath extends VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float NEG = -Float.MAX_VALUE;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** exp of each lane (see the class comment). */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(-104f).min(88.8f);
        FloatVector t = xc.mul(LOG2E).add(ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = xc.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.mul(P0).add(P1).mul(r).add(P2).mul(r).add(P3).mul(r).add(P4).mul(r).add(P5);
        p = p.mul(r.mul(r)).add(r).add(1f);
        // n as an int from t's low mantissa bits (t = 1.5 * 2^23 + n); a reinterpretation, which JDK 17 compiles to
        // SIMD, where convert(F2I) runs its Java fallback. 2^n as 2^(n >> 1) * 2^(n - (n >> 1)): both factors are
        // normal floats for every n in [-150, 128], so the product overflows and underflows (gradually) where exp does
        IntVector ni = t.reinterpretAsInts().sub(ROUND_BITS);
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /**
     * {@link #exp(FloatVector)} of one value with the same float operations in the same order (Java never fuses a
     * multiply and an add), so a tail element gets the bits a vector lane would give it.
     */
    static float expLane(float x) {
        float xc = Math.min(Math.max(x, -104f), 88.8f);
        float t = xc * LOG2E + ROUND;
        float n = t - ROUND;
        float r = xc - n * LN2_HI - n * LN2_LO;
        float p = ((((r * P0 + P1) * r + P2) * r + P3) * r + P4) * r + P5;
        p = p * (r * r) + r + 1f;
        int ni = Float.floatToRawIntBits(t) - ROUND_BITS;
        int half = ni >> 1;
        return p * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((ni - half + 127) << 23);
    }

    /** The lanes' sum, added in lane order (fixed, unlike reduceLanes). */
    private static double sum(FloatVector acc) {
        double s = 0;
        for (float f : acc.toArray()) {
            s += f;
        }
        return s;
    }

    /** {@link #sigmoid(FloatVector)} of one value, lane arithmetic. */
    private static float sigmoidLane(float x) {
        return 1f / (expLane(-x) + 1f);
    }

    SimdMath() {
        // Touch the API once so that a JVM without working Vector API support fails here, not in a kernel.
        float[] probe = {0f, 1f};
        swiglu(probe, new float[] {1f, 1f}, 2);
    }

    @Override
    float max(float[] v, int off, int len) {
        int end = off + len;
        if (len < S.length()) {
            float r = NEG;
            for (int j = off; j < end; j++) {
                r = Math.max(r, v[j]);
            }
            return r;
        }
        FloatVector m = FloatVector.fromArray(S, v, off);
        int j = off + S.length();
        for (; j + S.length() <= end; j += S.length()) {
            m = m.max(FloatVector.fromArray(S, v, j));
        }
        if (j < end) { // the last vector's worth again, overlapping: a maximum does not mind seeing values twice
            m = m.max(FloatVector.fromArray(S, v, end - S.length()));
        }
        return m.reduceLanes(VectorOperators.MAX);
    }

    @Override
    void axpy(float a, float[] x, int xo, float[] y, int yo, int len) {
        int i = 0;
        for (; i + S.length() <= len; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).mul(a).add(FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < len; i++) {
            y[yo + i] += a * x[xo + i];
        }
    }

    @Override
    int countAtLeast(float[] v, int off, int len, float t) {
        int c = 0;
        int end = off + len;
        int j = off;
        for (; j + S.length() <= end; j += S.length()) {
            c += FloatVector.fromArray(S, v, j).compare(VectorOperators.GE, t).trueCount();
        }
        for (; j < end; j++) {
            c += v[j] >= t ? 1 : 0;
        }
        return c;
    }

    @Override
    double expShift(float[] v, int off, int len, float shift) {
        int end = off + len;
        if (len < S.length()) { // lane arithmetic on scalars: the bits a padded vector would give, without the padding
            double sum = 0;
            for (int j = off; j < end; j++) {
                v[j] = expLane(v[j] - shift);
                sum += v[j];
            }
            return sum;
        }
        FloatVector acc = FloatVector.zero(S);
        // exp(-MAX_VALUE - shift) is 0, so masked entries need no special case, and a tail shorter than a vector runs as
        // a copy padded with -MAX_VALUE: its padding adds exactly 0 to the lanes. One loop body, so the vector exp is
        // inlined once (a second copy for the tail pushed C2 past its inlining limit).
        // The array and offset are chosen as scalars, so that one load and one store see one vector: JDK 17's C2 cannot
        // keep a vector chosen by a conditional (a phi of two vectors) in a register and allocates it on the heap.
        for (int j = off; j < end; j += S.length()) {
            boolean full = j + S.length() <= end;
            float[] src = full ? v : padded(v, j, end);
            int at = full ? j : 0;
            FloatVector e = exp(FloatVector.fromArray(S, src, at).sub(shift));
            e.intoArray(src, at);
            if (!full) {
                System.arraycopy(src, 0, v, j, end - j);
            }
            acc = acc.add(e);
        }
        return sum(acc);
    }

    /** v[from, to) (shorter than a vector) followed by -MAX_VALUE up to a vector's length. */
    private static float[] padded(float[] v, int from, int to) {
        float[] pad = new float[S.length()];
        java.util.Arrays.fill(pad, to - from, pad.length, NEG);
        System.arraycopy(v, from, pad, 0, to - from);
        return pad;
    }

    @Override
    void scale(float[] v, int off, int len, float s) {
        int end = off + len;
        int j = off;
        for (; j + S.length() <= end; j += S.length()) {
            FloatVector.fromArray(S, v, j).mul(s).intoArray(v, j);
        }
        for (; j < end; j++) {
            v[j] *= s;
        }
    }

    @Override
    double dot(float[] a, int ao, float[] b, int bo, int len) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j + S.length() <= len; j += S.length()) {
            acc = FloatVector.fromArray(S, a, ao + j).fma(FloatVector.fromArray(S, b, bo + j), acc);
        }
        double r = sum(acc);
        for (; j < len; j++) {
            r += a[ao + j] * b[bo + j];
        }
        return r;
    }

    /** 1 / (1 + exp(-x)). */
    private static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(S, 1f).div(exp(x.neg()).add(1f));
    }

    // SwiGLU and exp: full vectors straight on the arrays; a tail shorter than a vector runs the lane arithmetic on
    // scalars (expLane), so every element gets the same bits. Each method inlines the vector exp once: a second copy
    // (the padded tail this replaced) exceeded C2's NodeCountInliningCutoff, which left the loop's vectors boxed and
    // its stores running the Java fallback (JFR: FloatVector.intoArray 34% of a study's samples). Masked loads, or one
    // method taking an optional mask, leave JDK 17's C2 with boxed vectors too.

    private static void swigluAt(float[] g, float[] u, int i) {
        FloatVector x = FloatVector.fromArray(S, g, i);
        x.mul(sigmoid(x)).mul(FloatVector.fromArray(S, u, i)).intoArray(g, i);
    }

    @Override
    void swiglu(float[] g, float[] u, int len) {
        int i = 0;
        for (; i + S.length() <= len; i += S.length()) {
            swigluAt(g, u, i);
        }
        for (; i < len; i++) {
            float x = g[i];
            g[i] = x * sigmoidLane(x) * u[i];
        }
    }

    private static void swigluBackwardAt(float[] d, float[] g, float[] u, float[] dg, float[] du, int i) {
        FloatVector x = FloatVector.fromArray(S, g, i);
        FloatVector dv = FloatVector.fromArray(S, d, i);
        FloatVector sx = sigmoid(x);
        FloatVector.fromArray(S, du, i).add(dv.mul(x).mul(sx)).intoArray(du, i);
        // silu'(x) = sx (1 + x (1 - sx))
        FloatVector deriv = sx.mul(x.mul(sx.neg().add(1f)).add(1f));
        FloatVector.fromArray(S, dg, i).add(dv.mul(FloatVector.fromArray(S, u, i)).mul(deriv)).intoArray(dg, i);
    }

    @Override
    void swigluBackward(float[] d, float[] g, float[] u, float[] dg, float[] du, int len) {
        int i = 0;
        for (; i + S.length() <= len; i += S.length()) {
            swigluBackwardAt(d, g, u, dg, du, i);
        }
        for (; i < len; i++) {
            float x = g[i];
            float dv = d[i];
            float sx = sigmoidLane(x);
            du[i] = du[i] + dv * x * sx;
            float deriv = sx * (x * (-sx + 1f) + 1f);
            dg[i] = dg[i] + dv * u[i] * deriv;
        }
    }

    @Override
    void exp(float[] v, int len) {
        int i = 0;
        for (; i + S.length() <= len; i += S.length()) {
            exp(FloatVector.fromArray(S, v, i)).intoArray(v, i);
        }
        for (; i < len; i++) {
            v[i] = expLane(v[i]);
        }
    }

    // The norms' rows: full vectors over C, the tail (C not a multiple of the lanes) scalar; sums in lane order.

    @Override
    void layerNormRow(float[] v, int o, int c, float[] w, float[] b, float eps, float[] stats) {
        int n = S.loopBound(c);
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            acc = acc.add(FloatVector.fromArray(S, v, o + i));
        }
        double s = sum(acc);
        for (int i = n; i < c; i++) {
            s += v[o + i];
        }
        float mu = (float) (s / c);
        acc = FloatVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, v, o + i).sub(mu);
            acc = d.fma(d, acc);
        }
        double ss = sum(acc);
        for (int i = n; i < c; i++) {
            float d = v[o + i] - mu;
            ss += d * d;
        }
        float rs = (float) (1.0 / Math.sqrt((float) (ss / c) + eps));
        for (int i = 0; i < n; i += S.length()) {
            FloatVector.fromArray(S, v, o + i).sub(mu).mul(rs).mul(FloatVector.fromArray(S, w, i))
                    .add(FloatVector.fromArray(S, b, i)).intoArray(v, o + i);
        }
        for (int i = n; i < c; i++) {
            v[o + i] = (v[o + i] - mu) * rs * w[i] + b[i];
        }
        stats[0] = mu;
        stats[1] = rs;
    }

    @Override
    void layerNormBackwardRow(float[] dy, float[] x, float[] dx, int o, int c, float[] w, float mu, float rs, float[] pw,
                              float[] pb) {
        int n = S.loopBound(c);
        FloatVector accG = FloatVector.zero(S);
        FloatVector accGx = FloatVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, x, o + i).sub(mu).mul(rs);
            FloatVector g = FloatVector.fromArray(S, dy, o + i).mul(FloatVector.fromArray(S, w, i));
            accG = accG.add(g);
            accGx = g.fma(xhat, accGx);
        }
        double sg = sum(accG);
        double sgx = sum(accGx);
        for (int i = n; i < c; i++) {
            float g = dy[o + i] * w[i];
            sg += g;
            sgx += g * ((x[o + i] - mu) * rs);
        }
        float mg = (float) (sg / c);
        float mgx = (float) (sgx / c);
        for (int i = 0; i < n; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, dy, o + i);
            FloatVector xhat = FloatVector.fromArray(S, x, o + i).sub(mu).mul(rs);
            FloatVector g = d.mul(FloatVector.fromArray(S, w, i));
            FloatVector.fromArray(S, dx, o + i).add(g.sub(mg).sub(xhat.mul(mgx)).mul(rs)).intoArray(dx, o + i);
            if (pw != null) {
                FloatVector.fromArray(S, pw, i).add(d.mul(xhat)).intoArray(pw, i);
                FloatVector.fromArray(S, pb, i).add(d).intoArray(pb, i);
            }
        }
        layerNormDx(dy, x, dx, o, n, c, w, mu, rs, mg, mgx, pw, pb);
    }

    @Override
    float rmsNormRow(float[] x, float[] y, int o, int c, float[] w, double eps) {
        int n = S.loopBound(c);
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, o + i);
            acc = v.fma(v, acc);
        }
        double ss = sum(acc);
        for (int i = n; i < c; i++) {
            ss += x[o + i] * x[o + i];
        }
        float rs = (float) (1.0 / Math.sqrt(ss / c + eps));
        for (int i = 0; i < n; i += S.length()) {
            FloatVector.fromArray(S, x, o + i).mul(rs).mul(FloatVector.fromArray(S, w, i)).intoArray(y, o + i);
        }
        for (int i = n; i < c; i++) {
            y[o + i] = w[i] * (x[o + i] * rs);
        }
        return rs;
    }

    @Override
    void rmsNormBackwardRow(float[] dy, float[] x, float[] dx, int o, int c, float[] w, float rs, float[] pw) {
        int n = S.loopBound(c);
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, dy, o + i);
            FloatVector xhat = FloatVector.fromArray(S, x, o + i).mul(rs);
            acc = d.mul(FloatVector.fromArray(S, w, i)).fma(xhat, acc);
            if (pw != null) {
                FloatVector.fromArray(S, pw, i).add(d.mul(xhat)).intoArray(pw, i);
            }
        }
        double dot = sum(acc);
        for (int i = n; i < c; i++) {
            float xhat = x[o + i] * rs;
            dot += dy[o + i] * w[i] * xhat;
            if (pw != null) {
                pw[i] += dy[o + i] * xhat;
            }
        }
        float m = (float) (dot / c);
        for (int i = 0; i < n; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, x, o + i).mul(rs);
            FloatVector g = FloatVector.fromArray(S, dy, o + i).mul(FloatVector.fromArray(S, w, i));
            FloatVector.fromArray(S, dx, o + i).add(g.sub(xhat.mul(m)).mul(rs)).intoArray(dx, o + i);
        }
        for (int i = n; i < c; i++) {
            dx[o + i] += rs * (dy[o + i] * w[i] - x[o + i] * rs * m);
        }
    }
}
