package org.tinysql.model;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.Kernels;

/**
 * The per-head hook points TransformerLens offers behind its use_split_qkv_input / use_attn_result flags, computed
 * only for layers where such a hook is registered:
 * <ul>
 *   <li>{@code blocks.i.hook_q_input / hook_k_input / hook_v_input} [B,T,heads,C]: each head's own copy of the
 *       residual stream entering its query/key/value path (ln1 then that head's rows of W_Q/W_K/W_V), so a hook can
 *       give every head a different input; backward hooks see each head's input gradient.</li>
 *   <li>{@code blocks.i.attn.hook_result} [B,T,H,C]: each head's output z_h W_O,h^T (without b_O); the attention
 *       output is their sum plus b_O. Backward hooks see (and may replace) the gradient of every head's output.</li>
 * </ul>
 * Shape legend: N = B*T rows, C d_model, D head dim, nh heads of the projection (H for q, KV for k and v).
 */
final class PerHeadHooks {
    private final ModelConfig cfg;
    private final Parameters params;
    private final Kernels k;
    private final ModelOps ops;

    PerHeadHooks(ModelOps ops) {
        this.cfg = ops.config();
        this.params = ops.parameters();
        this.k = ops.kernels();
        this.ops = ops;
    }

    /** Saved forward state of one split projection: per head input, normed input and norm statistics. */
    static final class Split {
        final String which;
        final int nh;
        INDArray inputs;
        INDArray[] normed;
        INDArray[] mean;
        INDArray[] rstd;

        Split(String which, int nh) {
            this.which = which;
            this.nh = nh;
        }
    }

    private INDArray rows(INDArray w, int h) {
        int d = cfg.headDim();
        return w.get(NDArrayIndex.interval(h * d, (h + 1) * d), NDArrayIndex.all()).dup('c');
    }

    private INDArray slice(INDArray b, int h) {
        int d = cfg.headDim();
        return b == null ? null : b.get(NDArrayIndex.interval(h * d, (h + 1) * d)).dup('c');
    }

    /**
     * Split forward of one projection ("q", "k" or "v"): every head gets a copy of x [N, C] (hooked as
     * [B,T,nh,C]), normed on its own and projected by its rows of W; out [N, nh*D] is overwritten.
     */
    Split forward(Hooks hooks, String hookName, String which, int layer, INDArray x, INDArray out, int b, int t, Arena arena) {
        String prefix = HookName.block(layer);
        int n = b * t, c = cfg.dModel(), d = cfg.headDim();
        int nh = which.equals("q") ? cfg.nHeads() : cfg.nKvHeads();
        Split s = new Split(which, nh);
        s.inputs = arena.zeros(n, nh, c);
        float[] xv = Buffers.toFloats(x);
        float[] in = new float[n * nh * c];
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < nh; h++) {
                System.arraycopy(xv, r * c, in, (r * nh + h) * c, c);
            }
        }
        fb(s.inputs).put(0, in);
        if (hooks.hasForward(hookName)) {
            hooks.fireForward(hookName, s.inputs.reshape('c', b, t, nh, c));
            in = Buffers.toFloats(s.inputs);
        }
        s.normed = new INDArray[nh];
        s.mean = new INDArray[nh];
        s.rstd = new INDArray[nh];
        String w = "W_" + which.toUpperCase();
        float[] o = new float[n * nh * d];
        try (Arena tmp = new Arena(k)) {
            INDArray xh = tmp.zeros(n, c);
            INDArray y = tmp.zeros(n, d);
            for (int h = 0; h < nh; h++) {
                float[] part = new float[n * c];
                for (int r = 0; r < n; r++) {
                    System.arraycopy(in, (r * nh + h) * c, part, r * c, c);
                }
                fb(xh).put(0, part);
                s.normed[h] = arena.zeros(n, c);
                s.mean[h] = arena.zeros(n);
                s.rstd[h] = arena.zeros(n);
                ops.norm(prefix + "ln1", xh, s.normed[h], s.mean[h], s.rstd[h]);
                k.linear(s.normed[h], rows(params.get(prefix + "attn." + w), h), slice(params.opt(prefix + "attn.b_" + which.toUpperCase()), h), y);
                float[] yv = Buffers.toFloats(y);
                for (int r = 0; r < n; r++) {
                    System.arraycopy(yv, r * d, o, (r * nh + h) * d, d);
                }
            }
        }
        fb(out).put(0, o);
        return s;
    }

    /**
     * Backward of {@link #forward}: from dAct [N, nh*D] (the projection's output gradient) accumulates the weight,
     * bias and ln1 gradients (when g is not null), fires the backward hook on the per-head input gradients
     * [B,T,nh,C] and adds their sum over heads into dx [N, C].
     */
    void backward(Hooks hooks, String hookName, Split s, int layer, INDArray dAct, INDArray dx, Parameters g, int b, int t) {
        String prefix = HookName.block(layer);
        int n = b * t, c = cfg.dModel(), d = cfg.headDim(), nh = s.nh;
        String up = s.which.toUpperCase();
        float[] da = Buffers.toFloats(dAct);
        float[] din = new float[n * nh * c];
        try (Arena tmp = new Arena(k)) {
            INDArray dh = tmp.zeros(n, d);
            INDArray dln = tmp.zeros(n, c);
            INDArray dxh = tmp.zeros(n, c);
            INDArray dwh = g != null ? tmp.zeros(d, c) : null;
            INDArray dbh = g != null && g.opt(prefix + "attn.b_" + up) != null ? tmp.zeros(d) : null;
            INDArray xh = tmp.zeros(n, c);
            float[] inAll = Buffers.toFloats(s.inputs);
            for (int h = 0; h < nh; h++) {
                float[] part = new float[n * d];
                for (int r = 0; r < n; r++) {
                    System.arraycopy(da, (r * nh + h) * d, part, r * d, d);
                }
                fb(dh).put(0, part);
                dln.assign(0);
                dxh.assign(0);
                if (dwh != null) {
                    dwh.assign(0);
                }
                if (dbh != null) {
                    dbh.assign(0);
                }
                k.linearBackward(dh, s.normed[h], rows(params.get(prefix + "attn.W_" + up), h), dln, dwh, dbh);
                float[] xpart = new float[n * c];
                for (int r = 0; r < n; r++) {
                    System.arraycopy(inAll, (r * nh + h) * c, xpart, r * c, c);
                }
                fb(xh).put(0, xpart);
                ops.normBackward(prefix + "ln1", dln, xh, s.mean[h], s.rstd[h], dxh, g);
                if (dwh != null) {
                    addRows(g.get(prefix + "attn.W_" + up), h * d, dwh);
                }
                if (dbh != null) {
                    addRows(g.get(prefix + "attn.b_" + up), h * d, dbh);
                }
                float[] dxv = Buffers.toFloats(dxh);
                for (int r = 0; r < n; r++) {
                    System.arraycopy(dxv, r * c, din, (r * nh + h) * c, c);
                }
            }
            INDArray dInputs = tmp.zeros(n, nh, c);
            fb(dInputs).put(0, din);
            if (hooks.hasBackward(hookName)) {
                hooks.fireBackward(hookName, dInputs.reshape('c', b, t, nh, c));
                din = Buffers.toFloats(dInputs);
            }
        }
        float[] dxv = Buffers.toFloats(dx);
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < nh; h++) {
                int o = (r * nh + h) * c;
                for (int e = 0; e < c; e++) {
                    dxv[r * c + e] += din[o + e];
                }
            }
        }
        fb(dx).put(0, dxv);
    }

    /** target[offset ..] += src (flat; target rows are contiguous). */
    private static void addRows(INDArray target, int rowOffset, INDArray src) {
        long width = target.rank() == 2 ? target.size(1) : 1;
        FloatBuffer t = fb(target);
        float[] s = Buffers.toFloats(src);
        int base = (int) (rowOffset * width);
        for (int i = 0; i < s.length; i++) {
            t.put(base + i, t.get(base + i) + s[i]);
        }
    }

    /** Per-head outputs [N, H, C] of z [N, H*D] (without b_O). */
    INDArray results(int layer, INDArray z, int n, Arena arena) {
        return ops.headResults(layer, z, arena);
    }

    /** attnOut [N, C] = sum over heads of results [N, H, C] + b_O. */
    void sumResults(INDArray results, INDArray bias, INDArray attnOut, int n) {
        int c = cfg.dModel(), nh = cfg.nHeads();
        float[] r = Buffers.toFloats(results);
        float[] bv = bias != null ? Buffers.toFloats(bias) : new float[c];
        float[] o = new float[n * c];
        for (int i = 0; i < n; i++) {
            System.arraycopy(bv, 0, o, i * c, c);
            for (int h = 0; h < nh; h++) {
                int off = (i * nh + h) * c;
                for (int e = 0; e < c; e++) {
                    o[i * c + e] += r[off + e];
                }
            }
        }
        fb(attnOut).put(0, o);
    }

    /**
     * Backward through per-head results: the gradient of every head's output is dAttnOut (hooked as [B,T,H,C], may
     * be replaced); dz (overwritten) = per head dResult_h W_O,h and dW_O (when not null) += dResult_h^T z_h.
     */
    void resultsBackward(Hooks hooks, String hookName, int layer, INDArray dAttnOut, INDArray z, INDArray dz, INDArray dwo, int b, int t) {
        String prefix = HookName.block(layer);
        int n = b * t, c = cfg.dModel(), d = cfg.headDim(), nh = cfg.nHeads();
        float[] g = Buffers.toFloats(dAttnOut);
        float[] dr = new float[n * nh * c];
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < nh; h++) {
                System.arraycopy(g, r * c, dr, (r * nh + h) * c, c);
            }
        }
        try (Arena tmp = new Arena(k)) {
            INDArray dRes = tmp.zeros(n, nh, c);
            fb(dRes).put(0, dr);
            hooks.fireBackward(hookName, dRes.reshape('c', b, t, nh, c));
            dr = Buffers.toFloats(dRes);
            float[] zv = Buffers.toFloats(z);
            float[] dzv = new float[n * nh * d];
            INDArray wo = params.get(prefix + "attn.W_O");
            INDArray dRh = tmp.zeros(n, c);
            INDArray zh = tmp.zeros(n, d);
            INDArray dzh = tmp.zeros(n, d);
            INDArray dwh = dwo != null ? tmp.zeros(c, d) : null;
            for (int h = 0; h < nh; h++) {
                float[] part = new float[n * c];
                float[] zp = new float[n * d];
                for (int r = 0; r < n; r++) {
                    System.arraycopy(dr, (r * nh + h) * c, part, r * c, c);
                    System.arraycopy(zv, (r * nh + h) * d, zp, r * d, d);
                }
                fb(dRh).put(0, part);
                fb(zh).put(0, zp);
                dzh.assign(0);
                if (dwh != null) {
                    dwh.assign(0);
                }
                k.linearBackward(dRh, zh, wo.get(NDArrayIndex.all(), NDArrayIndex.interval(h * d, (h + 1) * d)).dup('c'), dzh, dwh, null);
                float[] dzp = Buffers.toFloats(dzh);
                for (int r = 0; r < n; r++) {
                    System.arraycopy(dzp, r * d, dzv, (r * nh + h) * d, d);
                }
                if (dwh != null) {
                    float[] w = Buffers.toFloats(dwh);
                    FloatBuffer t2 = fb(dwo);
                    for (int row = 0; row < c; row++) {
                        for (int e = 0; e < d; e++) {
                            int idx = row * nh * d + h * d + e;
                            t2.put(idx, t2.get(idx) + w[row * d + e]);
                        }
                    }
                }
            }
            fb(dz).put(0, dzv);
        }
    }
}
