package org.tinysql.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Kernels;

/**
 * The forward pass: embeddings, the blocks ({@link Block}, shared with decoding), the final norm and the
 * unembedding. Hook points: hook_embed, hook_pos_embed (learned positions), the blocks', ln_final.hook_scale and
 * ln_final.hook_normalized.
 */
final class ForwardPass {
    private final ModelConfig cfg;
    private final ModelOps ops;
    private final Kernels kernels;
    private final Block block;
    private final Unembedding unembedding;

    ForwardPass(ModelOps ops, Block block, Unembedding unembedding) {
        this.cfg = ops.config();
        this.ops = ops;
        this.kernels = ops.kernels();
        this.block = block;
        this.unembedding = unembedding;
    }

    /** Runs the pass; logits of {@code logitRows} only (null: every row). */
    void run(Pass p, int[] logitRows) {
        ActivationBuffers a = p.acts;
        if (a.recompute && p.hooks != null && !p.hooks.isEmpty()) {
            throw new IllegalStateException("activation recomputation is for training, not for runs with hooks: remove the hooks or"
                    + " call setRecompute(false)");
        }
        int b = p.batch, t = p.time, c = cfg.dModel();
        kernels.embedding(p.ids, ops.parameters().get("embed.W_E"), a.embed);
        p.hook(HookName.EMBED, a.embed, b, t, c);
        INDArray x0 = a.layers[0].residPre;
        if (cfg.positions() == ModelConfig.Positions.LEARNED) {
            kernels.embedding(Pass.flatten(p.positions), ops.parameters().get("pos_embed.W_pos"), a.posEmbed);
            p.hook(HookName.POS_EMBED, a.posEmbed, b, t, c);
            kernels.add(a.embed, a.posEmbed, x0);
        } else {
            x0.assign(a.embed);
        }
        for (int i = 0; i < cfg.nLayers(); i++) {
            block.forward(p, i, a.layers[i], a.residIn(i + 1));
        }
        block.norm(p, "ln_final", HookName.LN_FINAL_SCALE, HookName.LN_FINAL_NORMALIZED, a.residFinal, a.lnFinal, a.lnfMean,
                a.lnfRstd);
        unembedding.forward(a, logitRows);
    }
}
