package org.tinysql.interp;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.model.HookName;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.ModelOps;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.Kernels;

/**
 * Per-head views of a model's weights and the small pieces of the forward/backward pass that interpretability
 * needs outside the engine: a head's output (hook_result), a head's q/k/v from its own input (split inputs), the
 * model's norms and their backward, on [N, C] arrays of the model's backend (N = B*T rows); nothing is copied to
 * the host except {@link #unembedRow}.
 *
 * <p>Shape legend: N rows (B*T), C d_model, H query heads, KV key/value heads, D head dim, V vocabulary.
 */
public final class ModelView {
    private final Transformer model;
    private final ModelConfig cfg;
    private final Parameters p;
    private final Kernels k;
    private final ModelOps ops;

    public ModelView(Transformer model) {
        this.model = model;
        this.cfg = model.config();
        this.p = model.parameters();
        this.k = model.kernels();
        this.ops = model.ops();
    }

    public Transformer model() {
        return model;
    }

    public ModelConfig config() {
        return cfg;
    }

    public Kernels kernels() {
        return k;
    }

    public int layers() {
        return cfg.nLayers();
    }

    public int heads() {
        return cfg.nHeads();
    }

    public int kvHeads() {
        return cfg.nKvHeads();
    }

    public int dModel() {
        return cfg.dModel();
    }

    /** Which projection of attention: query, key or value. */
    public enum Qkv {
        Q("W_Q", "b_Q", "q"), K("W_K", "b_K", "k"), V("W_V", "b_V", "v");

        final String w;
        final String b;
        public final String letter;

        Qkv(String w, String b, String letter) {
            this.w = w;
            this.b = b;
            this.letter = letter;
        }
    }

    /** Rows [h*D, (h+1)*D) of W_Q/W_K/W_V: [D, C] (a view). */
    private INDArray wIn(int layer, Qkv which, int h) {
        return ops.headRows(p.get(HookName.block(layer) + "attn." + which.w), h);
    }

    private INDArray bIn(int layer, Qkv which, int h) {
        return ops.headRows(p.opt(HookName.block(layer) + "attn." + which.b), h);
    }

    /** Head h's output in the residual stream (TransformerLens hook_result, without b_O): z_h W_O,h^T into out [N, C]. */
    public void headResult(int layer, INDArray z, int h, INDArray out) {
        ops.headResult(layer, z, h, out);
    }

    /** The norm of {@code prefix} ("blocks.i.ln1", "blocks.i.ln2", "ln_final") applied to x [N, C], into y [N, C]. */
    public void norm(String prefix, INDArray x, INDArray y) {
        try (Arena tmp = new Arena(k)) {
            ops.norm(prefix, x, y, tmp.zeros(x.size(0)), tmp.zeros(x.size(0)));
        }
    }

    /** A norm's input [N, C] (owned by the caller) with its statistics, for repeated backward passes through the same norm. */
    public record NormInput(String prefix, INDArray x, INDArray mean, INDArray rstd) implements AutoCloseable {
        @Override
        public void close() {
            mean.close();
            rstd.close();
        }
    }

    /** Computes the statistics of norm {@code prefix} at x [N, C] once. */
    public NormInput normInput(String prefix, INDArray x) {
        long n = x.size(0);
        INDArray mean = k.zeros(n);
        INDArray rstd = k.zeros(n);
        try (Arena tmp = new Arena(k)) {
            ops.norm(prefix, x, tmp.zeros(n, cfg.dModel()), mean, rstd);
        }
        return new NormInput(prefix, x, mean, rstd);
    }

    /** dx += the norm's input gradient for dy (both [N, C]; dx may be a view); weight gradients are discarded. */
    public void normBackward(NormInput in, INDArray dy, INDArray dx) {
        ops.normBackward(in.prefix(), dy, in.x(), in.mean(), in.rstd(), dx, null);
    }

    /**
     * dln [N, C] += d(loss)/d(normed input of head h's q/k/v) = dAct_h W_h, from dAct [N, heads*D]; dh [N, D] is
     * scratch.
     */
    public void projectionBackward(int layer, Qkv which, int h, INDArray dAct, INDArray dh, INDArray dln) {
        int d = cfg.headDim();
        k.copyColumns(dAct, h * d, dh, 0, d, false);
        k.linearBackward(dh, null, wIn(layer, which, h), dln, null, null);
    }

    /** Head h's q, k or v into y [N, D], computed from its own (already normalized) input lnX [N, C]. */
    public void project(int layer, Qkv which, int h, INDArray lnX, INDArray y) {
        k.linear(lnX, wIn(layer, which, h), bIn(layer, which, h), y);
    }

    /**
     * The gradient with respect to head h's q/k/v input in the residual stream (TransformerLens hook_q_input etc.),
     * from the gradient of that head's q/k/v (dAct [N, heads*D], before RoPE) and the residual x [N, C] that fed it;
     * the result [N, C] is owned by {@code arena}.
     */
    public INDArray inputGradient(int layer, Qkv which, int h, INDArray dAct, INDArray x, Arena arena) {
        long n = x.size(0);
        INDArray dx = arena.zeros(n, cfg.dModel());
        try (NormInput in = normInput(ModelOps.blockNorm(layer, "ln1"), x); Arena tmp = new Arena(k)) {
            INDArray dln = tmp.zeros(n, cfg.dModel());
            projectionBackward(layer, which, h, dAct, tmp.zeros(n, cfg.headDim()), dln);
            normBackward(in, dln, dx);
        }
        return dx;
    }

    /** The model's final norm and unembedding applied to x [N, C]: logits [N, V] (overwritten). */
    public void unembed(INDArray x, INDArray logits) {
        try (Arena tmp = new Arena(k)) {
            INDArray y = tmp.zeros(x.size(0), cfg.dModel());
            norm("ln_final", x, y);
            ops.unembed(y, logits);
        }
    }

    /** Row r of the unembedding [C] (the direction whose dot product with the final normed residual is logit r). */
    public float[] unembedRow(int token) {
        INDArray u = p.unembed();
        float[] row = new float[cfg.dModel()];
        Buffers.fb(u).get(token * cfg.dModel(), row);
        return row;
    }

    public Parameters parameters() {
        return p;
    }
}
