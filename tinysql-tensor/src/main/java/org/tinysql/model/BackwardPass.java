package org.tinysql.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.AttentionSpans;
import org.tinysql.tensor.Kernels;

/**
 * The backward pass of a {@link Pass}: from the logits' gradient back to the embeddings, firing backward hooks with
 * each activation's gradient (same names and shapes as the forward hooks) and, when {@code grads} is not null,
 * accumulating every parameter's gradient. Kernels accumulate (+=) into input gradients, so work buffers are
 * cleared before each use. Shape legend: N = B*T rows, C d_model, H heads, KV key/value heads, D head dim,
 * M MLP width, Tk keys.
 */
final class BackwardPass {
    private static final String[] QKV = {"q", "k", "v"};
    private final ModelConfig cfg;
    private final ModelOps ops;
    private final Kernels kernels;
    private final Parameters params;
    private final PerHeadHooks perHead;
    private final Block block;
    private final Unembedding unembedding;

    BackwardPass(ModelOps ops, PerHeadHooks perHead, Block block, Unembedding unembedding) {
        this.cfg = ops.config();
        this.ops = ops;
        this.kernels = ops.kernels();
        this.params = ops.parameters();
        this.perHead = perHead;
        this.block = block;
        this.unembedding = unembedding;
    }

    private static INDArray grad(Parameters grads, String name) {
        return grads == null ? null : grads.get(name);
    }

    private static INDArray optGrad(Parameters grads, String name) {
        return grads == null ? null : grads.opt(name);
    }

    /**
     * Back-propagates the full logits' gradient dl [N, V] or, for a row-restricted unembedding, the selected rows'
     * gradient dRows [r, V] (either may be null).
     */
    void run(Pass p, INDArray dl, INDArray dRows, int[] logitRows, Parameters grads) {
        if (p.spans != null && p.hooks != null && p.hooks.readsAttention()) {
            throw new IllegalStateException("a hook on attention scores or patterns was added after the forward pass, which "
                    + "computed them only where the mask lets queries see keys: register it before the forward");
        }
        ActivationBuffers a = p.acts;
        ActivationBuffers.Grads g = a.grads();
        int b = p.batch, t = p.time, c = cfg.dModel();
        kernels.zero(g.dx);
        kernels.zero(g.dNorm);
        unembedding.backward(a, dl, dRows, logitRows, g.dNorm, grads);
        p.backwardHook(HookName.LN_FINAL_NORMALIZED, g.dNorm, b, t, c);
        ops.normBackward("ln_final", g.dNorm, a.residFinal, a.lnfMean, a.lnfRstd, g.dx, grads);
        Pass quiet = a.recompute ? p.quiet() : null;
        for (int i = cfg.nLayers() - 1; i >= 0; i--) {
            if (quiet != null) { // the layers share their buffers: run block i again from its kept input
                block.forward(quiet, i, a.layers[i], a.residIn(i + 1));
            }
            mlp(p, i, a.layers[i], g, grads);
            attention(p, i, a.layers[i], g, grads);
        }
        p.backwardHook(HookName.EMBED, g.dx, b, t, c);
        if (grads != null) {
            kernels.embeddingBackward(g.dx, p.ids, grads.get("embed.W_E"));
        }
        if (cfg.positions() == ModelConfig.Positions.LEARNED) {
            p.backwardHook(HookName.POS_EMBED, g.dx, b, t, c);
            if (grads != null) {
                kernels.embeddingBackward(g.dx, Pass.flatten(p.positions), grads.get("pos_embed.W_pos"));
            }
        }
    }

    /** From the gradient of hook_resid_post (g.dx) to that of hook_resid_mid (in g.dx). */
    private void mlp(Pass p, int i, ActivationBuffers.Layer l, ActivationBuffers.Grads g, Parameters grads) {
        int b = p.batch, t = p.time, c = cfg.dModel(), m = cfg.dMlp();
        String prefix = HookName.block(i);
        INDArray dx = g.dx;
        p.backwardHook(HookName.residPost(i), dx, b, t, c);
        // dx is also the gradient of hook_mlp_out.
        INDArray dMlpOut = p.hasBackward(HookName.mlpOut(i)) ? dx.dup() : dx;
        p.backwardHook(HookName.mlpOut(i), dMlpOut, b, t, c);
        kernels.zero(g.dPost);
        kernels.linearBackward(dMlpOut, l.post, params.get(prefix + "mlp.W_out"), g.dPost, grad(grads, prefix + "mlp.W_out"),
                optGrad(grads, prefix + "mlp.b_out"));
        p.backwardHook(HookName.mlpPost(i), g.dPost, b, t, m);
        kernels.zero(g.dPre);
        kernels.zero(g.dNorm);
        if (cfg.mlp() == ModelConfig.Mlp.SWIGLU) {
            kernels.zero(g.dPreLin);
            kernels.swigluBackward(g.dPost, l.pre, l.preLinear, g.dPre, g.dPreLin);
            p.backwardHook(HookName.mlpPre(i), g.dPre, b, t, m);
            p.backwardHook(HookName.mlpPreLinear(i), g.dPreLin, b, t, m);
            kernels.linearBackward(g.dPre, l.ln2, params.get(prefix + "mlp.W_gate"), g.dNorm, grad(grads, prefix + "mlp.W_gate"), null);
            kernels.linearBackward(g.dPreLin, l.ln2, params.get(prefix + "mlp.W_in"), g.dNorm, grad(grads, prefix + "mlp.W_in"), null);
        } else {
            kernels.geluBackward(g.dPost, l.pre, g.dPre);
            p.backwardHook(HookName.mlpPre(i), g.dPre, b, t, m);
            kernels.linearBackward(g.dPre, l.ln2, params.get(prefix + "mlp.W_in"), g.dNorm, grad(grads, prefix + "mlp.W_in"),
                    optGrad(grads, prefix + "mlp.b_in"));
        }
        p.backwardHook(HookName.normalized(i, "ln2"), g.dNorm, b, t, c);
        String ln2 = ModelOps.blockNorm(i, "ln2");
        if (l.mlpIn != null) {
            INDArray dIn = kernels.zeros(p.rows(), c);
            ops.normBackward(ln2, g.dNorm, l.mlpIn, l.ln2Mean, l.ln2Rstd, dIn, grads);
            p.backwardHook(HookName.mlpIn(i), dIn, b, t, c);
            kernels.add(dx, dIn, dx);
            dIn.close();
        } else {
            ops.normBackward(ln2, g.dNorm, l.residMid, l.ln2Mean, l.ln2Rstd, dx, grads);
        }
        p.backwardHook(HookName.residMid(i), dx, b, t, c);
    }

    /** From the gradient of hook_resid_mid (g.dx) to that of hook_resid_pre (in g.dx). */
    private void attention(Pass p, int i, ActivationBuffers.Layer l, ActivationBuffers.Grads g, Parameters grads) {
        int b = p.batch, t = p.time, c = cfg.dModel(), h = cfg.nHeads(), kv = cfg.nKvHeads(), d = cfg.headDim();
        int tk = p.acts.keys;
        String prefix = HookName.block(i);
        INDArray dx = g.dx;
        INDArray dAttnOut = p.hasBackward(HookName.attnOut(i)) ? dx.dup() : dx;
        p.backwardHook(HookName.attnOut(i), dAttnOut, b, t, c);
        kernels.zero(g.dz);
        if (p.hasBackward(HookName.result(i))) {
            kernels.linearBackward(dAttnOut, l.z, params.get(prefix + "attn.W_O"), null, null, optGrad(grads, prefix + "attn.b_O"));
            perHead.resultsBackward(p.hooks, HookName.result(i), i, dAttnOut, l.z, g.dz, grad(grads, prefix + "attn.W_O"), b, t);
        } else {
            kernels.linearBackward(dAttnOut, l.z, params.get(prefix + "attn.W_O"), g.dz, grad(grads, prefix + "attn.W_O"),
                    optGrad(grads, prefix + "attn.b_O"));
        }
        p.backwardHook(HookName.z(i), g.dz, b, t, h, d);
        kernels.zero(g.dv);
        kernels.zero(g.dq);
        kernels.zero(g.dk);
        boolean rotary = block.invFreq() != null;
        INDArray dq = rotary ? g.dqr : g.dq, dk = rotary ? g.dkr : g.dk;
        if (rotary) {
            kernels.zero(g.dqr);
            kernels.zero(g.dkr);
        }
        AttentionSpans spans = p.spans(cfg.localWindows()[i]);
        if (spans != null) {
            kernels.fusedAttentionBackward(g.dz, l.queries(), l.keys(), l.v, p.acts.attentionTiles(l, spans), h, kv, spans,
                    block.scale(), dq, dk, g.dv);
        } else {
            INDArray pattern = p.acts.pattern(l), dPat = p.acts.dPattern(), dScores = p.acts.dScores();
            kernels.attentionApplyBackward(g.dz, pattern, l.v, h, kv, dPat, g.dv);
            p.backwardHook(HookName.pattern(i), dPat, b, h, t, tk);
            kernels.softmaxBackward(dPat, pattern, dScores);
            p.backwardHook(HookName.attnScores(i), dScores, b, h, t, tk);
            kernels.attentionScoresBackward(dScores, l.queries(), l.keys(), h, kv, block.scale(), dq, dk);
        }
        if (rotary) {
            p.backwardHook(HookName.rotQ(i), g.dqr, b, t, h, d);
            p.backwardHook(HookName.rotK(i), g.dkr, b, t, kv, d);
            kernels.ropeBackward(g.dqr, h, p.positions, block.invFreq(), g.dq);
            kernels.ropeBackward(g.dkr, kv, p.positions, block.invFreq(), g.dk);
        }
        p.backwardHook(HookName.q(i), g.dq, b, t, h, d);
        p.backwardHook(HookName.k(i), g.dk, b, t, kv, d);
        p.backwardHook(HookName.v(i), g.dv, b, t, kv, d);
        kernels.zero(g.dNorm);
        INDArray[] dAct = {g.dq, g.dk, g.dv};
        for (int w = 0; w < 3; w++) {
            String up = QKV[w].toUpperCase();
            if (l.split[w] != null) {
                perHead.backward(p.hooks, HookName.qkvInput(i, QKV[w]), l.split[w], i, dAct[w], dx, grads, b, t);
            } else {
                kernels.linearBackward(dAct[w], l.ln1, params.get(prefix + "attn.W_" + up), g.dNorm, grad(grads, prefix + "attn.W_" + up),
                        optGrad(grads, prefix + "attn.b_" + up));
            }
        }
        p.backwardHook(HookName.normalized(i, "ln1"), g.dNorm, b, t, c);
        ops.normBackward(ModelOps.blockNorm(i, "ln1"), g.dNorm, l.residPre, l.ln1Mean, l.ln1Rstd, dx, grads);
        p.backwardHook(HookName.residPre(i), dx, b, t, c);
    }
}
