package org.tinysql.interp;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tinysql.model.HookName;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.ModelOps;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.Kernels;

/**
 * Per-head views of a model's weights and the small pieces of the forward/backward pass that interpretability
 * needs outside the engine: a head's output (hook_result), a head's q/k/v from its own input (split inputs), the
 * model's norms and their backward. Arrays are [N, C] with N = B*T rows (float[] row-major).
 *
 * <p>Shape legend: N rows (B*T), C d_model, H query heads, KV key/value heads, D head dim, V vocabulary.
 */
public final class ModelView {
    private final Transformer model;
    private final ModelConfig cfg;
    private final Parameters p;
    private final Kernels k;
    private final ModelOps ops;
    private final Map<String, INDArray> slices = new HashMap<>();

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

    /** Rows [h*D, (h+1)*D) of W_Q/W_K/W_V: [D, C] (cached). */
    private INDArray wIn(int layer, Qkv which, int h) {
        return slices.computeIfAbsent(layer + which.w + h, key -> {
            int d = cfg.headDim();
            return p.get(HookName.block(layer) + "attn." + which.w).get(NDArrayIndex.interval(h * d, (h + 1) * d), NDArrayIndex.all()).dup('c');
        });
    }

    private INDArray bIn(int layer, Qkv which, int h) {
        INDArray b = p.opt(HookName.block(layer) + "attn." + which.b);
        if (b == null) {
            return null;
        }
        return slices.computeIfAbsent(layer + which.b + h, key -> {
            int d = cfg.headDim();
            return b.get(NDArrayIndex.interval(h * d, (h + 1) * d)).dup('c');
        });
    }

    /** Columns [h*D, (h+1)*D) of W_O: [C, D] (cached). */
    public INDArray wOut(int layer, int h) {
        return slices.computeIfAbsent(layer + "W_O" + h, key -> {
            int d = cfg.headDim();
            return p.get(HookName.block(layer) + "attn.W_O").get(NDArrayIndex.all(), NDArrayIndex.interval(h * d, (h + 1) * d)).dup('c');
        });
    }

    /** Columns [h*D, (h+1)*D) of a [N, H*D] activation as a contiguous [N, D] array. */
    public INDArray headColumns(float[] act, int n, int nHeads, int h) {
        int d = cfg.headDim();
        float[] out = new float[n * d];
        for (int r = 0; r < n; r++) {
            System.arraycopy(act, (r * nHeads + h) * d, out, r * d, d);
        }
        return Buffers.of(out, n, d);
    }

    /** Head h's output in the residual stream (TransformerLens hook_result, without b_O): z_h W_O,h^T [N, C]. */
    public float[] headResult(int layer, float[] z, int n, int h) {
        INDArray zh = headColumns(z, n, cfg.nHeads(), h);
        INDArray out = Buffers.zeros(n, cfg.dModel());
        k.linear(zh, wOut(layer, h), null, out);
        float[] r = Buffers.toFloats(out);
        zh.close();
        out.close();
        return r;
    }

    /** The norm of {@code prefix} ("blocks.i.ln1", "blocks.i.ln2", "ln_final") applied to x [N, C]. */
    public float[] norm(String prefix, float[] x, int n) {
        INDArray xi = Buffers.of(x, n, cfg.dModel());
        INDArray y = Buffers.zeros(n, cfg.dModel());
        INDArray mean = k.zeros(n);
        INDArray rstd = k.zeros(n);
        normInto(prefix, xi, y, mean, rstd);
        mean.close();
        rstd.close();
        float[] r = Buffers.toFloats(y);
        xi.close();
        y.close();
        return r;
    }

    private void normInto(String prefix, INDArray x, INDArray y, INDArray mean, INDArray rstd) {
        ops.norm(prefix, x, y, mean, rstd);
    }

    /** d(loss)/dx [N, C] for the norm at x, given dy: the norm's input gradient (weights' gradients discarded). */
    public float[] normBackward(String prefix, float[] x, float[] dy, int n) {
        int c = cfg.dModel();
        INDArray xi = Buffers.of(x, n, c);
        INDArray yi = Buffers.zeros(n, c);
        INDArray mean = k.zeros(n);
        INDArray rstd = k.zeros(n);
        normInto(prefix, xi, yi, mean, rstd);
        INDArray dyi = Buffers.of(dy, n, c);
        INDArray dx = Buffers.zeros(n, c);
        ops.normBackward(prefix, dyi, xi, mean, rstd, dx, null);
        float[] r = Buffers.toFloats(dx);
        for (INDArray a : new INDArray[] {xi, yi, dyi, dx, mean, rstd}) {
            a.close();
        }
        return r;
    }

    /** A norm's input [N, C] with its statistics, for repeated backward passes through the same norm. */
    public record NormInput(String prefix, INDArray x, INDArray mean, INDArray rstd) implements AutoCloseable {
        @Override
        public void close() {
            x.close();
            mean.close();
            rstd.close();
        }
    }

    /** Computes the statistics of norm {@code prefix} at x [N, C] once. */
    public NormInput normInput(String prefix, float[] x, int n) {
        INDArray xi = Buffers.of(x, n, cfg.dModel());
        INDArray y = Buffers.zeros(n, cfg.dModel());
        INDArray mean = k.zeros(n);
        INDArray rstd = k.zeros(n);
        normInto(prefix, xi, y, mean, rstd);
        y.close();
        return new NormInput(prefix, xi, mean, rstd);
    }

    /** dx += the norm's input gradient for dy (both [N, C]; dx may be a view); weight gradients are discarded. */
    public void normBackward(NormInput in, INDArray dy, INDArray dx) {
        ops.normBackward(in.prefix(), dy, in.x(), in.mean(), in.rstd(), dx, null);
    }

    /** d(loss)/d(normed input of head h's q/k/v) [N, C] = dAct_h W_h, from dAct [N, heads*D]. */
    public INDArray projectionBackward(int layer, Qkv which, int h, float[] dAct, int n) {
        int nh = which == Qkv.Q ? cfg.nHeads() : cfg.nKvHeads();
        INDArray dh = headColumns(dAct, n, nh, h);
        INDArray dln = Buffers.zeros(n, cfg.dModel());
        k.linearBackward(dh, null, wIn(layer, which, h), dln, null, null);
        dh.close();
        return dln;
    }

    /** Head h's q, k or v [N, D] computed from its own (already normalized) input lnX [N, C]. */
    public float[] project(int layer, Qkv which, int h, float[] lnX, int n) {
        INDArray x = Buffers.of(lnX, n, cfg.dModel());
        INDArray y = Buffers.zeros(n, cfg.headDim());
        k.linear(x, wIn(layer, which, h), bIn(layer, which, h), y);
        float[] r = Buffers.toFloats(y);
        x.close();
        y.close();
        return r;
    }

    /**
     * The gradient with respect to head h's q/k/v input in the residual stream (TransformerLens hook_q_input etc.),
     * from the gradient of that head's q/k/v (dAct [N, heads*D], before RoPE) and the residual x [N, C] that fed it.
     */
    public float[] inputGradient(int layer, Qkv which, int h, float[] dAct, float[] x, int n) {
        try (NormInput in = normInput(ModelOps.blockNorm(layer, "ln1"), x, n)) {
            INDArray dln = projectionBackward(layer, which, h, dAct, n);
            INDArray dx = Buffers.zeros(n, cfg.dModel());
            normBackward(in, dln, dx);
            float[] r = Buffers.toFloats(dx);
            dln.close();
            dx.close();
            return r;
        }
    }

    /** The model's final norm and unembedding applied to x [N, C]: logits [N, V]. */
    public float[] unembed(float[] x, int n) {
        float[] y = norm("ln_final", x, n);
        INDArray yi = Buffers.of(y, n, cfg.dModel());
        INDArray out = Buffers.zeros(n, cfg.vocabSize());
        ops.unembed(yi, out);
        float[] r = Buffers.toFloats(out);
        yi.close();
        out.close();
        return r;
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
