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

    /**
     * A view of a model's weights, kernels and configuration; nothing is copied.
     *
     * @param model the model; it must outlive the view
     */
    public ModelView(Transformer model) {
        this.model = model;
        this.cfg = model.config();
        this.p = model.parameters();
        this.k = model.kernels();
        this.ops = model.ops();
    }

    /**
     * The viewed model.
     *
     * @return the model given at construction
     */
    public Transformer model() {
        return model;
    }

    /**
     * The model's configuration.
     *
     * @return its shapes: layers, heads, widths, vocabulary
     */
    public ModelConfig config() {
        return cfg;
    }

    /**
     * The kernels of the model's backend, for arrays used with this view.
     *
     * @return the model's kernels
     */
    public Kernels kernels() {
        return k;
    }

    /**
     * The number of transformer blocks.
     *
     * @return the layer count
     */
    public int layers() {
        return cfg.nLayers();
    }

    /**
     * The number of query heads per layer.
     *
     * @return H
     */
    public int heads() {
        return cfg.nHeads();
    }

    /**
     * The number of key/value heads per layer (fewer than H under grouped-query attention).
     *
     * @return KV
     */
    public int kvHeads() {
        return cfg.nKvHeads();
    }

    /**
     * The residual stream width.
     *
     * @return C
     */
    public int dModel() {
        return cfg.dModel();
    }

    /** Which projection of attention: query, key or value. */
    public enum Qkv {
        /** The query projection, W_Q and b_Q. */
        Q("W_Q", "b_Q", "q"),
        /** The key projection, W_K and b_K. */
        K("W_K", "b_K", "k"),
        /** The value projection, W_V and b_V. */
        V("W_V", "b_V", "v");

        final String w;
        final String b;
        /** The hook name letter: {@code q}, {@code k} or {@code v} (as in {@code hook_q}). */
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

    /**
     * Head h's output in the residual stream (TransformerLens hook_result, without b_O): z_h W_O,h^T into out [N, C].
     *
     * @param layer the block index, 0-based
     * @param z     [N, H*D] the attention layer's per-head outputs before W_O (hook_z)
     * @param h     the head, 0..H-1
     * @param out   [N, C] overwritten with the head's result
     */
    public void headResult(int layer, INDArray z, int h, INDArray out) {
        ops.headResult(layer, z, h, out);
    }

    /**
     * The norm of {@code prefix} ("blocks.i.ln1", "blocks.i.ln2", "ln_final") applied to x [N, C], into y [N, C].
     *
     * @param prefix the norm's parameter prefix
     * @param x      [N, C] the norm's input
     * @param y      [N, C] overwritten with the normed output
     */
    public void norm(String prefix, INDArray x, INDArray y) {
        try (Arena tmp = new Arena(k)) {
            ops.norm(prefix, x, y, tmp.zeros(x.size(0)), tmp.zeros(x.size(0)));
        }
    }

    /**
     * A norm's input [N, C] (owned by the caller) with its statistics, for repeated backward passes through the same
     * norm.
     *
     * @param prefix the norm's parameter prefix, e.g. {@code blocks.0.ln1}
     * @param x      [N, C] the norm's input, owned by the caller
     * @param mean   [N] the rows' means (zero for RMSNorm), owned by this record
     * @param rstd   [N] the rows' reciprocal standard deviations, owned by this record
     */
    public record NormInput(String prefix, INDArray x, INDArray mean, INDArray rstd) implements AutoCloseable {
        @Override
        public void close() {
            mean.close();
            rstd.close();
        }
    }

    /**
     * Computes the statistics of norm {@code prefix} at x [N, C] once.
     *
     * @param prefix the norm's parameter prefix, e.g. {@code blocks.0.ln1}
     * @param x      [N, C] the norm's input; kept, not copied
     * @return the input with its statistics; close it to free them
     */
    public NormInput normInput(String prefix, INDArray x) {
        long n = x.size(0);
        INDArray mean = k.zeros(n);
        INDArray rstd = k.zeros(n);
        try (Arena tmp = new Arena(k)) {
            ops.norm(prefix, x, tmp.zeros(n, cfg.dModel()), mean, rstd);
        }
        return new NormInput(prefix, x, mean, rstd);
    }

    /**
     * dx += the norm's input gradient for dy (both [N, C]; dx may be a view); weight gradients are discarded.
     *
     * @param in the norm's input and statistics from {@link #normInput}
     * @param dy [N, C] the gradient at the norm's output
     * @param dx [N, C] accumulates the gradient at the norm's input
     */
    public void normBackward(NormInput in, INDArray dy, INDArray dx) {
        ops.normBackward(in.prefix(), dy, in.x(), in.mean(), in.rstd(), dx, null);
    }

    /**
     * dln [N, C] += d(loss)/d(normed input of head h's q/k/v) = dAct_h W_h, from dAct [N, heads*D]; dh [N, D] is
     * scratch.
     *
     * @param layer the block index, 0-based
     * @param which the projection
     * @param h     the head: a query head for Q, a key/value head for K and V
     * @param dAct  [N, heads*D] the gradient at the projection's output, all heads
     * @param dh    [N, D] scratch, overwritten
     * @param dln   [N, C] accumulates the gradient at the normed input
     */
    public void projectionBackward(int layer, Qkv which, int h, INDArray dAct, INDArray dh, INDArray dln) {
        int d = cfg.headDim();
        k.copyColumns(dAct, h * d, dh, 0, d, false);
        k.linearBackward(dh, null, wIn(layer, which, h), dln, null, null);
    }

    /**
     * Head h's q, k or v into y [N, D], computed from its own (already normalized) input lnX [N, C].
     *
     * @param layer the block index, 0-based
     * @param which the projection
     * @param h     the head: a query head for Q, a key/value head for K and V
     * @param lnX   [N, C] the normed input
     * @param y     [N, D] overwritten with the projection, bias included, before RoPE
     */
    public void project(int layer, Qkv which, int h, INDArray lnX, INDArray y) {
        k.linear(lnX, wIn(layer, which, h), bIn(layer, which, h), y);
    }

    /**
     * The gradient with respect to head h's q/k/v input in the residual stream (TransformerLens hook_q_input etc.),
     * from the gradient of that head's q/k/v (dAct [N, heads*D], before RoPE) and the residual x [N, C] that fed it;
     * the result [N, C] is owned by {@code arena}.
     *
     * @param layer the block index, 0-based
     * @param which the projection
     * @param h     the head: a query head for Q, a key/value head for K and V
     * @param dAct  [N, heads*D] the gradient at the projection's output
     * @param x     [N, C] the residual stream entering the block (ln1's input)
     * @param arena owns the result
     * @return [N, C] the gradient at the head's input
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

    /**
     * The model's final norm and unembedding applied to x [N, C]: logits [N, V] (overwritten).
     *
     * @param x      [N, C] the final residual stream
     * @param logits [N, V] overwritten with the logits
     */
    public void unembed(INDArray x, INDArray logits) {
        try (Arena tmp = new Arena(k)) {
            INDArray y = tmp.zeros(x.size(0), cfg.dModel());
            norm("ln_final", x, y);
            ops.unembed(y, logits);
        }
    }

    /**
     * Row r of the unembedding [C] (the direction whose dot product with the final normed residual is logit r).
     *
     * @param token the token id, 0..V-1
     * @return a new host array of C floats
     */
    public float[] unembedRow(int token) {
        INDArray u = p.unembed();
        float[] row = new float[cfg.dModel()];
        Buffers.fb(u).get(token * cfg.dModel(), row);
        return row;
    }

    /**
     * The model's parameters by name.
     *
     * @return the model's parameters, not a copy
     */
    public Parameters parameters() {
        return p;
    }
}
