package org.tinysql.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;

/**
 * The activations (and, after {@link #backward}, the gradients) that one {@link Transformer#run(RunSpec)} kept, in
 * TransformerLens shapes, with TransformerLens's cache helpers. The arrays belong to the cache and stay valid until
 * {@link #close()}, whatever the model runs meanwhile; then they are recycled (the model's next runs reuse them), so
 * close every cache, and do not use its arrays after closing it. Treat them as read-only: they may be the pass's own
 * buffers, which this run's {@link #backward} reads (see {@link CacheArrays}). Shape legend: B batch, T positions,
 * C d_model, H heads, L layers, V vocabulary.
 */
public final class ActivationCache implements AutoCloseable {
    private final Transformer model;
    private final RunSpec spec;
    private final Arena arena;
    private final CacheArrays arrays;
    private final Map<String, INDArray> acts;
    private final Map<String, INDArray> grads;
    private Pass pass;

    ActivationCache(Transformer model, RunSpec spec, CacheArrays arrays) {
        this.model = model;
        this.spec = spec;
        this.arena = new Arena(model.kernels());
        this.arrays = arrays;
        this.acts = arrays.acts;
        this.grads = arrays.grads;
    }

    void put(String name, INDArray activation) {
        arrays.putView(name, activation);
    }

    void putGrad(String name, INDArray gradient) {
        arrays.putGrad(name, gradient);
    }

    /** After the forward: keeps the activations (see {@link CacheArrays#settle}); true when it took the pass's hook arena. */
    boolean finishForward(Pass pass) {
        this.pass = pass;
        return arrays.settle(pass);
    }

    Pass pass() {
        return pass;
    }

    RunSpec spec() {
        return spec;
    }

    /**
     * Logits [B, T, V] (zero outside the spec's logit rows, when it set some): like {@link Transformer#forward}'s, a view
     * of the model's buffer, valid until the model's next forward pass (copy it to keep it longer). Copying [B, T, V]
     * on every run would cost more than the run at large vocabularies; after a run with logit rows, prefer
     * {@link #rowLogits()}, which needs no [B*T, V] buffer.
     * @return the logits [B, T, V], a view of the model's buffer
     */
    public INDArray logits() {
        return model.logitsOf(pass);
    }

    /**
     * The rows (flat b*T + t) the spec asked logits for, or null when it asked for every row.
     * @return a copy of the flat row indices (b*T + t), or null when every row has logits
     */
    public int[] logitRows() {
        return spec.logitRows() == null ? null : spec.logitRows().clone();
    }

    /**
     * The logits of the spec's logit rows [r, V], in the order of {@link RunSpec#logitRows}: a view valid until the
     * model's next forward pass.
     * @return the logits [r, V] of the spec's logit rows, a view of the pass's buffer
     */
    public INDArray rowLogits() {
        model.checkLast(pass, "read this run's logits");
        if (pass.logitRows == null || pass.logitRows.length == 0) {
            throw new IllegalStateException(pass.logitRows == null ? "this run has logits for every row: use logits(), or set "
                    + "RunSpec.logitRows" : "this run asked for no logits (RunSpec.logitRows with no rows)");
        }
        return pass.acts.rowLogits;
    }

    /**
     * The batch size B of the cached run.
     * @return B, the number of sequences in the run
     */
    public int batch() {
        return pass.batch;
    }

    /**
     * The number of positions T of the cached run.
     * @return T, the number of positions in each sequence of the run
     */
    public int time() {
        return pass.time;
    }

    /**
     * The names of the cached activations, in forward order.
     * @return the cached hook names, an unmodifiable live view
     */
    public Set<String> names() {
        return Collections.unmodifiableSet(acts.keySet());
    }

    /**
     * Whether the run cached an activation.
     * @param name a hook name (see {@link HookName}), e.g. {@code blocks.0.hook_resid_pre}
     * @return true when {@code name} was cached
     */
    public boolean has(String name) {
        return acts.containsKey(name);
    }

    /**
     * A cached activation (e.g. [B,T,C] for the residual stream, [B,T,H,D] for hook_z, [B,H,T,T] for the pattern).
     * @param name the hook name (see {@link HookName}); must be in the spec's cache list
     * @return the activation, owned by this cache and valid until {@link #close()}
     */
    public INDArray get(String name) {
        INDArray a = acts.get(name);
        if (a == null) {
            HookPoints.check(model.config(), name);
            throw new IllegalArgumentException(name + " was not cached: add it to RunSpec.cache");
        }
        return a;
    }

    /**
     * A cached activation as a Java array (row-major).
     * @param name the hook name (see {@link HookName}); must be in the spec's cache list
     * @return a fresh copy of the activation's values, row-major
     */
    public float[] floats(String name) {
        return Buffers.toFloats(get(name));
    }

    /**
     * Back-propagates {@code dLogits} [B,T,V] through this run (which must be the model's last forward), keeping the
     * gradients the spec asked for; parameter gradients accumulate only when the spec turned them on.
     * @param dLogits the gradient of the metric with respect to the logits, [B, T, V]
     */
    public void backward(INDArray dLogits) {
        model.backward(this, dLogits, false);
    }

    /**
     * As {@link #backward} from the gradient of the {@link #rowLogits()} only [r, V].
     * @param dRowLogits the gradient of the metric with respect to {@link #rowLogits()}, [r, V]
     */
    public void backwardRows(INDArray dRowLogits) {
        model.backward(this, dRowLogits, true);
    }

    /**
     * The gradient of the metric with respect to a kept activation, after {@link #backward}.
     * @param name the hook name (see {@link HookName}); must be in the spec's grads list
     * @return the gradient, shaped like the activation, owned by this cache
     */
    public INDArray grad(String name) {
        INDArray g = grads.get(name);
        if (g == null) {
            HookPoints.check(model.config(), name);
            throw new IllegalArgumentException("no gradient of " + name + ": add it to RunSpec.grads and call backward first");
        }
        return g;
    }

    /**
     * A kept gradient as a Java array (row-major).
     * @param name the hook name (see {@link HookName}); must be in the spec's grads list
     * @return a fresh copy of the gradient's values, row-major
     */
    public float[] gradFloats(String name) {
        return Buffers.toFloats(grad(name));
    }

    /**
     * TransformerLens stack_head_results for one layer: each head's output in the residual stream, z_h W_O,h^T
     * (without b_O), as [H, B, T, C]. Needs that layer's hook_z in the cache.
     * @param layer the block index, 0 to L-1
     * @return the per-head outputs [H, B, T, C], owned by this cache
     */
    public INDArray stackHeadResults(int layer) {
        ModelConfig c = model.config();
        int n = pass.rows();
        INDArray res = model.ops().headResults(layer, get(HookName.z(layer)).reshape('c', n, (long) c.nHeads() * c.headDim()), arena);
        INDArray out = arena.own(res.reshape('c', pass.batch, pass.time, c.nHeads(), c.dModel()).permute(2, 0, 1, 3).dup('c'));
        res.close();
        return out;
    }

    /**
     * TransformerLens accumulated_resid: the residual stream entering each block and leaving the last one,
     * [L+1, B, T, C]. Needs every hook_resid_pre and the last hook_resid_post.
     * @return the stacked residual streams [L+1, B, T, C], owned by this cache
     */
    public INDArray accumulatedResid() {
        int layers = model.config().nLayers();
        List<INDArray> parts = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            parts.add(get(HookName.residPre(l)));
        }
        parts.add(get(HookName.residPost(layers - 1)));
        return stack(parts);
    }

    /**
     * Labels of {@link #accumulatedResid}'s rows: "{l}_pre" per block and "final_post".
     * @return L+1 labels, in row order
     */
    public List<String> accumulatedResidLabels() {
        List<String> out = new ArrayList<>();
        for (int l = 0; l < model.config().nLayers(); l++) {
            out.add(l + "_pre");
        }
        out.add("final_post");
        return out;
    }

    /**
     * TransformerLens decompose_resid: the pieces that sum to the final residual stream, [K, B, T, C]: the token
     * embedding, the position embedding (learned positions only), then per layer the attention and MLP outputs.
     * Labels in {@link #decomposeResidLabels}.
     * @return the stacked pieces [K, B, T, C], owned by this cache
     */
    public INDArray decomposeResid() {
        List<INDArray> parts = new ArrayList<>();
        parts.add(get(HookName.EMBED));
        if (model.config().positions() == ModelConfig.Positions.LEARNED) {
            parts.add(get(HookName.POS_EMBED));
        }
        for (int l = 0; l < model.config().nLayers(); l++) {
            parts.add(get(HookName.attnOut(l)));
            parts.add(get(HookName.mlpOut(l)));
        }
        return stack(parts);
    }

    /**
     * Labels of {@link #decomposeResid}'s rows: "embed", "pos_embed" (learned positions only), then per layer
     * "{l}_attn_out" and "{l}_mlp_out".
     * @return K labels, in row order
     */
    public List<String> decomposeResidLabels() {
        List<String> out = new ArrayList<>();
        out.add("embed");
        if (model.config().positions() == ModelConfig.Positions.LEARNED) {
            out.add("pos_embed");
        }
        for (int l = 0; l < model.config().nLayers(); l++) {
            out.add(l + "_attn_out");
            out.add(l + "_mlp_out");
        }
        return out;
    }

    /**
     * TransformerLens apply_ln_to_stack with ln_final: each component of {@code stack} [K, B, T, C] (pieces of the
     * final residual stream) centred (LayerNorm only) and divided by the final norm's scale at its position, the
     * scale computed from the cached final residual (the last hook_resid_post). Returns [K, B, T, C].
     * @param stack the components [K, B, T, C] to normalise; not modified
     * @return the normalised components [K, B, T, C], owned by this cache
     */
    public INDArray applyLnToStack(INDArray stack) {
        int k = (int) stack.size(0);
        int c = model.config().dModel();
        int n = pass.rows();
        float[] resid = floats(HookName.residPost(model.config().nLayers() - 1));
        float[] all = Buffers.toFloats(stack.dup('c'));
        float[] out = new float[all.length];
        for (int r = 0; r < n; r++) {
            List<float[]> parts = new ArrayList<>(k);
            for (int i = 0; i < k; i++) {
                float[] v = new float[c];
                System.arraycopy(all, (i * n + r) * c, v, 0, c);
                parts.add(v);
            }
            float[] x = new float[c];
            System.arraycopy(resid, r * c, x, 0, c);
            double[][] normed = model.ops().applyLnToStack("ln_final", parts, x);
            for (int i = 0; i < k; i++) {
                for (int e = 0; e < c; e++) {
                    out[(i * n + r) * c + e] = (float) normed[i][e];
                }
            }
        }
        return arena.own(Buffers.of(out, stack.shape()));
    }

    private INDArray stack(List<INDArray> parts) {
        long[] shape = parts.get(0).shape();
        long[] s = new long[shape.length + 1];
        s[0] = parts.size();
        System.arraycopy(shape, 0, s, 1, shape.length);
        INDArray out = arena.zeros(s);
        for (int i = 0; i < parts.size(); i++) {
            out.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).assign(parts.get(i));
        }
        return out;
    }

    /** Frees every array of this cache. */
    @Override
    public void close() {
        arrays.close();
        arena.close();
    }
}
