package org.tinysql.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Arena;
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

    /**
     * Split forward of one projection ("q", "k" or "v"): every head gets a copy of x [N, C] (hooked as
     * [B,T,nh,C]), normed on its own and projected by its rows of W; out [N, nh*D] is overwritten.
     */
    Split forward(Pass p, String hookName, String which, int layer, INDArray x, INDArray out, int b, int t, Arena arena) {
        String prefix = HookName.block(layer);
        int n = b * t, c = cfg.dModel(), d = cfg.headDim();
        int nh = which.equals("q") ? cfg.nHeads() : cfg.nKvHeads();
        Split s = new Split(which, nh);
        s.inputs = arena.zeros(n, nh, c);
        INDArray inputs = s.inputs.reshape('c', n, (long) nh * c);
        for (int h = 0; h < nh; h++) {
            k.copyColumns(x, 0, inputs, h * c, c, false);
        }
        if (p.hasForward(hookName)) {
            p.hooks.fireForward(hookName, s.inputs.reshape('c', b, t, nh, c), p.start);
        }
        s.normed = new INDArray[nh];
        s.mean = new INDArray[nh];
        s.rstd = new INDArray[nh];
        String up = which.toUpperCase();
        INDArray w = params.get(prefix + "attn.W_" + up);
        INDArray bias = params.opt(prefix + "attn.b_" + up);
        try (Arena tmp = new Arena(k)) {
            INDArray xh = tmp.zeros(n, c);
            INDArray y = tmp.zeros(n, d);
            for (int h = 0; h < nh; h++) {
                k.copyColumns(inputs, h * c, xh, 0, c, false);
                s.normed[h] = arena.zeros(n, c);
                s.mean[h] = arena.zeros(n);
                s.rstd[h] = arena.zeros(n);
                ops.norm(prefix + "ln1", xh, s.normed[h], s.mean[h], s.rstd[h]);
                k.linear(s.normed[h], ops.headRows(w, h), ops.headRows(bias, h), y);
                k.copyColumns(y, 0, out, h * d, d, false);
            }
        }
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
        INDArray w = params.get(prefix + "attn.W_" + up);
        INDArray inputs = s.inputs.reshape('c', n, (long) nh * c);
        try (Arena tmp = new Arena(k)) {
            INDArray dh = tmp.zeros(n, d);
            INDArray dln = tmp.zeros(n, c);
            INDArray dxh = tmp.zeros(n, c);
            INDArray dwh = g != null ? tmp.zeros(d, c) : null;
            INDArray dbh = g != null && g.opt(prefix + "attn.b_" + up) != null ? tmp.zeros(d) : null;
            INDArray xh = tmp.zeros(n, c);
            INDArray dInputs = tmp.zeros(n, (long) nh * c);
            for (int h = 0; h < nh; h++) {
                k.copyColumns(dAct, h * d, dh, 0, d, false);
                k.zero(dln);
                k.zero(dxh);
                if (dwh != null) {
                    k.zero(dwh);
                }
                if (dbh != null) {
                    k.zero(dbh);
                }
                k.linearBackward(dh, s.normed[h], ops.headRows(w, h), dln, dwh, dbh);
                k.copyColumns(inputs, h * c, xh, 0, c, false);
                ops.normBackward(prefix + "ln1", dln, xh, s.mean[h], s.rstd[h], dxh, g);
                if (dwh != null) {
                    INDArray gw = ops.headRows(g.get(prefix + "attn.W_" + up), h);
                    k.add(gw, dwh, gw);
                }
                if (dbh != null) {
                    INDArray gb = ops.headRows(g.get(prefix + "attn.b_" + up), h);
                    k.add(gb, dbh, gb);
                }
                k.copyColumns(dxh, 0, dInputs, h * c, c, false);
            }
            if (hooks.hasBackward(hookName)) {
                hooks.fireBackward(hookName, dInputs.reshape('c', b, t, nh, c));
            }
            for (int h = 0; h < nh; h++) {
                k.copyColumns(dInputs, h * c, dx, 0, c, true);
            }
        }
    }

    /** Per-head outputs [N, H, C] of z [N, H*D] (without b_O). */
    INDArray results(int layer, INDArray z, int n, Arena arena) {
        return ops.headResults(layer, z, arena);
    }

    /** attnOut [N, C] = b_O (when not null) + the sum over heads of results [N, H, C], heads in order. */
    void sumResults(INDArray results, INDArray bias, INDArray attnOut, int n) {
        int c = cfg.dModel(), nh = cfg.nHeads();
        INDArray flat = results.reshape('c', n, (long) nh * c);
        if (bias != null) {
            k.gatherRows(bias.reshape('c', 1, c), new int[n], attnOut);
        } else {
            k.zero(attnOut);
        }
        for (int h = 0; h < nh; h++) {
            k.copyColumns(flat, h * c, attnOut, 0, c, true);
        }
    }

    /**
     * Backward through per-head results: the gradient of every head's output is dAttnOut (hooked as [B,T,H,C], may
     * be replaced); dz (overwritten) = per head dResult_h W_O,h and dW_O (when not null) += dResult_h^T z_h.
     */
    void resultsBackward(Hooks hooks, String hookName, int layer, INDArray dAttnOut, INDArray z, INDArray dz, INDArray dwo, int b, int t) {
        int n = b * t, c = cfg.dModel(), d = cfg.headDim(), nh = cfg.nHeads();
        try (Arena tmp = new Arena(k)) {
            INDArray dRes = tmp.zeros(n, (long) nh * c);
            for (int h = 0; h < nh; h++) {
                k.copyColumns(dAttnOut, 0, dRes, h * c, c, false);
            }
            hooks.fireBackward(hookName, dRes.reshape('c', b, t, nh, c));
            INDArray dRh = tmp.zeros(n, c);
            INDArray zh = tmp.zeros(n, d);
            INDArray dzh = tmp.zeros(n, d);
            INDArray dwh = dwo != null ? tmp.zeros(c, d) : null;
            for (int h = 0; h < nh; h++) {
                k.copyColumns(dRes, h * c, dRh, 0, c, false);
                k.copyColumns(z, h * d, zh, 0, d, false);
                k.zero(dzh);
                if (dwh != null) {
                    k.zero(dwh);
                }
                k.linearBackward(dRh, zh, ops.outColumns(layer, h, tmp), dzh, dwh, null);
                k.copyColumns(dzh, 0, dz, h * d, d, false);
                if (dwh != null) {
                    k.copyColumns(dwh, 0, dwo, h * d, d, true);
                }
            }
        }
    }
}
