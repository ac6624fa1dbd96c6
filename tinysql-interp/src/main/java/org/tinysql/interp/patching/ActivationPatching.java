package org.tinysql.interp.patching;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.PatchingMetric;
import org.tinysql.model.HookName;
import org.tinysql.model.Hooks;
import org.tinysql.model.Transformer;
import org.tinysql.util.Progress;

/**
 * Activation patching (denoising): run the corrupt prompts, overwrite one activation with its value on the clean
 * prompts, and report the normalized metric (patched - corrupt) / (clean - corrupt): 1 where the patch restores the
 * clean answer. Sweeps: residual stream before each layer x position, each head's output (hook_z, all positions),
 * and MLP output x position. Positions are absolute token indices (pairs of one template line up best).
 */
public final class ActivationPatching {
    private final Transformer model;
    private final PatchBatch batch;
    private final Metric metric;
    private final double clean;
    private final double corrupt;
    private final Map<String, INDArray> cleanCache;

    /**
     * Runs the clean pass (caching residuals, hook_z and MLP outputs) and the corrupt pass once.
     *
     * @param model the model
     * @param batch the clean/corrupt pairs
     * @param kind  the metric patched runs are scored with
     */
    public ActivationPatching(Transformer model, PatchBatch batch, Metric.Kind kind) {
        this.model = model;
        this.batch = batch;
        this.cleanCache = model.runWithCache(batch.clean(), batch.mask(),
                n -> n.endsWith("hook_resid_pre") || n.endsWith("attn.hook_z") || n.endsWith("hook_mlp_out"));
        float[][] cleanLogits = Metric.answerLogits(cleanCache.get("logits"), batch);
        this.metric = Metric.of(kind, cleanLogits);
        this.clean = metric.value(cleanLogits, batch);
        this.corrupt = metric.value(Metric.answerLogits(model.forward(batch.corrupt(), batch.mask()), batch), batch);
    }

    /**
     * The metric of the clean run.
     *
     * @return its value, the normalised metric's 1
     */
    public double cleanMetric() {
        return clean;
    }

    /**
     * The metric of the corrupt run.
     *
     * @return its value, the normalised metric's 0
     */
    public double corruptMetric() {
        return corrupt;
    }

    /**
     * The corrupt run with columns [from, from + width) of hook {@code hook}'s activation, read as [rows, ...]
     * (rows = B for a position of [B, T*C], B*T for a head of [B*T, H*D]), copied from the clean run; normalized.
     */
    private double patched(String hook, int rows, int from, int width) {
        INDArray cleanAct = cleanCache.get(hook);
        Hooks.Forward f = (a, n) -> {
            model.kernels().copyColumns(cleanAct.reshape('c', rows, cleanAct.length() / rows), from,
                    a.reshape('c', rows, a.length() / rows), from, width, false);
            return null;
        };
        INDArray logits = model.runWithHooks(batch.corrupt(), batch.mask(), Map.of(hook, f));
        double m = metric.value(Metric.answerLogits(logits, batch), batch);
        return PatchingMetric.normalized(m, clean, corrupt);
    }

    private PatchingResult positionSweep(String name, java.util.function.IntFunction<String> hookOfLayer, Progress progress) {
        int L = model.config().nLayers();
        int T = batch.length();
        int C = model.config().dModel();
        double[][] v = new double[L][T];
        for (int l = 0; l < L; l++) {
            for (int t = 0; t < T; t++) {
                v[l][t] = patched(hookOfLayer.apply(l), batch.size(), t * C, C);
                progress.advance(1);
            }
        }
        return new PatchingResult(name, layerLabels(L), positionLabels(T), v);
    }

    /**
     * Residual stream before each layer x position.
     *
     * @param progress advanced by one per patched run (L*T in all)
     * @return [L][T] normalised metrics
     */
    public PatchingResult residualStream(Progress progress) {
        return positionSweep("resid_pre (layer x position)", HookName::residPre, progress);
    }

    /**
     * As the method with a {@code Progress} argument, without progress reporting.
     *
     * @return [L][T] normalised metrics
     */
    public PatchingResult residualStream() {
        return residualStream(Progress.NONE);
    }

    /**
     * MLP output x position.
     *
     * @param progress advanced by one per patched run (L*T in all)
     * @return [L][T] normalised metrics
     */
    public PatchingResult mlpOutputs(Progress progress) {
        return positionSweep("mlp_out (layer x position)", HookName::mlpOut, progress);
    }

    /**
     * As the method with a {@code Progress} argument, without progress reporting.
     *
     * @return [L][T] normalised metrics
     */
    public PatchingResult mlpOutputs() {
        return mlpOutputs(Progress.NONE);
    }

    /**
     * Each head's output (its hook_z slice at every position).
     *
     * @param progress advanced by one per patched run (L*H in all)
     * @return [L][H] normalised metrics
     */
    public PatchingResult headOutputs(Progress progress) {
        int L = model.config().nLayers();
        int H = model.config().nHeads();
        int D = model.config().headDim();
        double[][] v = new double[L][H];
        for (int l = 0; l < L; l++) {
            for (int h = 0; h < H; h++) {
                v[l][h] = patched(HookName.z(l), batch.size() * batch.length(), h * D, D);
                progress.advance(1);
            }
        }
        return new PatchingResult("head output (layer x head)", layerLabels(L), headLabels(H), v);
    }

    /**
     * As the method with a {@code Progress} argument, without progress reporting.
     *
     * @return [L][H] normalised metrics
     */
    public PatchingResult headOutputs() {
        return headOutputs(Progress.NONE);
    }

    static List<String> layerLabels(int L) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < L; i++) {
            l.add("L" + i);
        }
        return l;
    }

    static List<String> positionLabels(int T) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < T; i++) {
            l.add(String.valueOf(i));
        }
        return l;
    }

    static List<String> headLabels(int H) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < H; i++) {
            l.add("H" + i);
        }
        return l;
    }
}
