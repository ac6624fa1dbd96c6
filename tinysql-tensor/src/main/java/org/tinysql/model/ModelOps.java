package org.tinysql.model;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Kernels;

/**
 * The model's own maths as a service: norms, projections and the unembedding with the model's parameters, on the
 * model's {@link Kernels}. Interpretability code asks this object instead of re-deriving LayerNorm/RMSNorm or
 * per-head projections, so it runs on whatever backend the model runs on and follows the architecture's choices
 * ({@link ModelConfig#norm()} and the bias layout) without branching on them itself.
 *
 * <p>Norm names are the parameter prefixes {@code blocks.{i}.ln1}, {@code blocks.{i}.ln2} and {@code ln_final}.
 * Shape legend: N rows, C d_model, V vocabulary.
 */
public final class ModelOps {
    private final ModelConfig cfg;
    private final Parameters params;
    private final Kernels kernels;

    /**
     * The operations of a model's weights on a backend (a {@link Transformer} makes its own, see
     * {@link Transformer#ops()}).
     * @param params the weights, read on each call (shared, not copied)
     * @param kernels the backend the operations run on; it must be able to read the weights
     */
    public ModelOps(Parameters params, Kernels kernels) {
        this.cfg = params.config();
        this.params = params;
        this.kernels = kernels;
    }

    /**
     * The config of the weights.
     * @return the shape and components of the model
     */
    public ModelConfig config() {
        return cfg;
    }

    /**
     * The weights the operations read.
     * @return the live parameters (shared with the model)
     */
    public Parameters parameters() {
        return params;
    }

    /**
     * The backend the operations run on.
     * @return the kernels given at construction
     */
    public Kernels kernels() {
        return kernels;
    }

    /**
     * The parameter prefix of norm {@code which} ("ln1" or "ln2") of block {@code layer}.
     * @param layer the block index, 0 to L-1
     * @param which "ln1" (before attention) or "ln2" (before the MLP)
     * @return the prefix, e.g. {@code blocks.0.ln1}
     */
    public static String blockNorm(int layer, String which) {
        return HookName.block(layer) + which;
    }

    /**
     * y[N,C] = norm(x) with the weights of {@code norm}; mean[N] (LayerNorm only) and rstd[N], arrays of the model's
     * backend ({@link Kernels#zeros}), receive the statistics a backward pass needs.
     * @param norm the norm's parameter prefix, e.g. {@code blocks.0.ln1} or {@code ln_final}
     * @param x the input rows [N, C]
     * @param y the normalised rows [N, C], overwritten
     * @param mean receives the row means [N] (LayerNorm; ignored for RMSNorm)
     * @param rstd receives the reciprocal standard deviations / root mean squares [N]
     */
    public void norm(String norm, INDArray x, INDArray y, INDArray mean, INDArray rstd) {
        if (cfg.norm() == ModelConfig.Norm.LAYER_NORM) {
            kernels.layerNorm(x, params.get(norm + ".w"), params.get(norm + ".b"), y, mean, rstd, cfg.normEps());
        } else {
            kernels.rmsNorm(x, params.get(norm + ".w"), y, rstd, cfg.normEps());
        }
    }

    /**
     * dx += d norm(x)/dx^T dy with the statistics of {@link #norm}; with {@code grads} not null, the norm's weight
     * (and bias) gradients accumulate there too.
     * @param norm the norm's parameter prefix, e.g. {@code blocks.0.ln1} or {@code ln_final}
     * @param dy the gradient of the output [N, C]
     * @param x the forward input [N, C]
     * @param mean the row means [N] saved by {@link #norm} (LayerNorm; ignored for RMSNorm)
     * @param rstd the statistics [N] saved by {@link #norm}
     * @param dx the input gradient [N, C] to accumulate into
     * @param grads the parameter gradients to accumulate into, or null for none
     */
    public void normBackward(String norm, INDArray dy, INDArray x, INDArray mean, INDArray rstd, INDArray dx, Parameters grads) {
        INDArray dw = grads != null ? grads.get(norm + ".w") : null;
        if (cfg.norm() == ModelConfig.Norm.LAYER_NORM) {
            kernels.layerNormBackward(dy, x, params.get(norm + ".w"), mean, rstd, dx, dw, grads != null ? grads.get(norm + ".b") : null);
        } else {
            kernels.rmsNormBackward(dy, x, params.get(norm + ".w"), rstd, dx, dw);
        }
    }

    /**
     * TransformerLens's apply_ln_to_stack for one position: each component [C] of {@code stack} (pieces of the
     * residual stream that sum to {@code residual}) as it passes through norm {@code norm} with the norm's scale
     * frozen at its value on the full residual: centred (LayerNorm only) and divided by that scale, without the
     * norm's weight and bias. Computed in double.
     * @param norm the norm's parameter prefix (only the model's norm type and epsilon are used)
     * @param stack the components to normalise, each [C]
     * @param residual the full residual stream [C] at the position, whose scale is frozen
     * @return one normalised row [C] per component, in stack order
     */
    public double[][] applyLnToStack(String norm, List<float[]> stack, float[] residual) {
        int c = cfg.dModel();
        boolean center = cfg.norm() == ModelConfig.Norm.LAYER_NORM;
        double mean = 0;
        for (float v : residual) {
            mean += v / (double) c;
        }
        double var = 0;
        for (float v : residual) {
            double d = center ? v - mean : v;
            var += d * d / c;
        }
        double scale = Math.sqrt(var + cfg.normEps());
        double[][] out = new double[stack.size()][c];
        for (int i = 0; i < stack.size(); i++) {
            float[] v = stack.get(i);
            double m = 0;
            if (center) {
                for (float x : v) {
                    m += x / (double) c;
                }
            }
            for (int e = 0; e < c; e++) {
                out[i][e] = (v[e] - m) / scale;
            }
        }
        return out;
    }

    /**
     * y[N,M] = x W^T (+ b) for the parameter {@code weight} and, when the model has it, {@code bias}.
     * @param x the input rows [N, K]
     * @param weight the weight's parameter name, e.g. {@code blocks.0.attn.W_Q}, a [M, K] matrix
     * @param bias the bias's parameter name, or null for none; skipped when the model has no such tensor
     * @param y the output [N, M], overwritten
     */
    public void linear(INDArray x, String weight, String bias, INDArray y) {
        kernels.linear(x, params.get(weight), bias == null ? null : params.opt(bias), y);
    }

    /**
     * logits[N,V] = x W_U^T (the tied embedding when the model ties them).
     * @param x the final normalised residual stream [N, C]
     * @param logits the output [N, V], overwritten
     */
    public void unembed(INDArray x, INDArray logits) {
        kernels.linear(x, params.unembed(), null, logits);
    }

    /**
     * dx[N,C] += dLogits W_U; the unembedding's gradient accumulates in {@code grads} when not null.
     * @param dLogits the gradient of the logits [N, V]
     * @param x the forward input [N, C] of the unembedding
     * @param dx the input gradient [N, C] to accumulate into
     * @param grads the parameter gradients to accumulate W_U's (or the tied W_E's) into, or null for none
     */
    public void unembedBackward(INDArray dLogits, INDArray x, INDArray dx, Parameters grads) {
        INDArray dw = grads == null ? null : grads.get(cfg.tiedEmbeddings() ? "embed.W_E" : "unembed.W_U");
        kernels.linearBackward(dLogits, x, params.unembed(), dx, dw, null);
    }

    /**
     * Each head's output in the residual stream (TransformerLens hook_result, without b_O): [N, H, C] from
     * z [N, H*D] of block {@code layer}; the result is owned by {@code arena}.
     * @param layer the block index, 0 to L-1
     * @param z the attention's hook_z as [N, H*D]
     * @param arena owns the result
     * @return the per-head outputs [N, H, C]
     */
    public INDArray headResults(int layer, INDArray z, Arena arena) {
        int n = (int) z.size(0);
        int c = cfg.dModel(), nh = cfg.nHeads();
        INDArray res = arena.zeros(n, nh, c);
        INDArray flat = res.reshape('c', n, (long) nh * c);
        try (Arena tmp = new Arena(kernels)) {
            INDArray y = tmp.zeros(n, c);
            for (int h = 0; h < nh; h++) {
                headResult(layer, z, h, y);
                kernels.copyColumns(y, 0, flat, h * c, c, false);
            }
        }
        return res;
    }

    /**
     * Head h's output z_h W_O,h^T [N, C] (overwritten) from z [N, H*D] of block {@code layer}.
     * @param layer the block index, 0 to L-1
     * @param z the attention's hook_z as [N, H*D]
     * @param h the head index, 0 to H-1
     * @param out the head's output [N, C], overwritten
     */
    public void headResult(int layer, INDArray z, int h, INDArray out) {
        int n = (int) z.size(0);
        int d = cfg.headDim();
        try (Arena tmp = new Arena(kernels)) {
            INDArray zh = tmp.zeros(n, d);
            kernels.copyColumns(z, h * d, zh, 0, d, false);
            kernels.linear(zh, outColumns(layer, h, tmp), null, out);
        }
    }

    /** Columns [h*D, (h+1)*D) of block {@code layer}'s W_O as a [C, D] array owned by {@code arena}. */
    INDArray outColumns(int layer, int h, Arena arena) {
        int d = cfg.headDim();
        INDArray wo = params.get(HookName.block(layer) + "attn.W_O");
        INDArray woh = arena.zeros(cfg.dModel(), d);
        kernels.copyColumns(wo, h * d, woh, 0, d, false);
        return woh;
    }

    /**
     * Rows [h*D, (h+1)*D) of a [heads*D, ...] projection weight or bias (a view, no copy), or null for null.
     * @param w a q/k/v projection weight [heads*D, C] or bias [heads*D], or null
     * @param h the head index (a KV head for k and v)
     * @return the view of head h's rows, or null when {@code w} is null
     */
    public INDArray headRows(INDArray w, int h) {
        if (w == null) {
            return null;
        }
        int d = cfg.headDim();
        return w.rank() == 1 ? w.get(NDArrayIndex.interval(h * d, (h + 1) * d))
                : w.get(NDArrayIndex.interval(h * d, (h + 1) * d), NDArrayIndex.all());
    }
}
