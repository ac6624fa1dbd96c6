package org.tinysql.interp.eap;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.interp.HeadName;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.model.HookName;
import org.tinysql.model.Hooks;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Kernels;
import org.tinysql.util.Progress;

/**
 * Greedy head-ablation search for a minimal set of attention heads: starting from every head, repeatedly ablates
 * (zero or mean of hook_z over the batch's real tokens) the head whose removal keeps the metric highest, while the
 * metric stays at least {@code fraction} of the unablated model's. Runs on the clean prompts.
 */
public final class MinimalCircuit {

    /** How a removed head is ablated. */
    public enum Ablation {
        /** hook_z columns set to zero. */
        ZERO,
        /** hook_z columns set to their mean over the batch's real tokens. */
        MEAN
    }

    /**
     * One greedy step: the head removed and the metric ratio afterwards.
     *
     * @param head  the head removed, {@code layer.head}
     * @param ratio the metric over the unablated metric after removing it
     */
    public record Step(String head, double ratio) {
    }

    /**
     * The heads kept, the ratio they reach, and the removal order.
     *
     * @param kept       the heads kept, {@code layer.head}
     * @param ratio      the metric ratio with only them (1 when none could be removed)
     * @param fullMetric the unablated metric
     * @param removals   the heads removed, in order
     * @param totalHeads L*H, the number of heads searched
     */
    public record Result(List<String> kept, double ratio, double fullMetric, List<Step> removals, int totalHeads) {
    }

    private MinimalCircuit() {
    }

    /**
     * Runs the search; each step tries every kept head, one forward pass each.
     *
     * @param model    the model
     * @param batch    the prompts; the clean ones are run
     * @param kind     the metric
     * @param ablation how removed heads are ablated
     * @param fraction the smallest metric ratio to keep, e.g. 0.9
     * @param progress advanced by one per step
     * @return the heads kept and the removal order
     * @throws IllegalArgumentException if the unablated metric is 0
     */
    public static Result search(Transformer model, PatchBatch batch, Metric.Kind kind, Ablation ablation, double fraction, Progress progress) {
        int L = model.config().nLayers();
        int H = model.config().nHeads();
        int D = model.config().headDim();
        float[][] cleanLogits = Metric.answerLogits(model.forward(batch.clean(), batch.mask()), batch);
        Metric metric = Metric.of(kind, cleanLogits);
        INDArray[] fill = ablatedZ(model, batch, ablation);
        Set<String> kept = new LinkedHashSet<>();
        for (int l = 0; l < L; l++) {
            for (int h = 0; h < H; h++) {
                kept.add(l + "." + h);
            }
        }
        double full = metric.value(cleanLogits, batch);
        if (Math.abs(full) < 1e-9) {
            throw new IllegalArgumentException("the unablated metric is 0: ratios are undefined");
        }
        List<Step> steps = new ArrayList<>();
        double ratio = 1;
        while (!kept.isEmpty()) {
            String best = null;
            double bestRatio = Double.NEGATIVE_INFINITY;
            for (String h : kept) {
                Set<String> trial = new LinkedHashSet<>(kept);
                trial.remove(h);
                double r = run(model, batch, metric, trial, fill, H, D) / full;
                if (r > bestRatio) {
                    bestRatio = r;
                    best = h;
                }
            }
            progress.advance(1);
            if (bestRatio < fraction) {
                break;
            }
            kept.remove(best);
            ratio = bestRatio;
            steps.add(new Step(HeadName.ofKey(best), bestRatio));
        }
        List<String> names = new ArrayList<>();
        kept.forEach(h -> names.add(HeadName.ofKey(h)));
        return new Result(names, ratio, full, steps, L * H);
    }

    /**
     * As the method with a {@code Progress} argument, without progress reporting.
     *
     * @param model    the model
     * @param batch    the prompts; the clean ones are run
     * @param kind     the metric
     * @param ablation how removed heads are ablated
     * @param fraction the smallest metric ratio to keep, e.g. 0.9
     * @return the heads kept and the removal order
     * @throws IllegalArgumentException if the unablated metric is 0
     */
    public static Result search(Transformer model, PatchBatch batch, Metric.Kind kind, Ablation ablation, double fraction) {
        return search(model, batch, kind, ablation, fraction, Progress.NONE);
    }

    /**
     * Per layer, the [N, H*D] values an ablated head's hook_z takes: zero, or each column's mean over the batch's real
     * tokens (arrays of the model's backend).
     */
    private static INDArray[] ablatedZ(Transformer model, PatchBatch batch, Ablation ablation) {
        Kernels k = model.kernels();
        int L = model.config().nLayers();
        int n = batch.size() * batch.length();
        long width = (long) model.config().nHeads() * model.config().headDim();
        INDArray[] fill = new INDArray[L];
        if (ablation == Ablation.ZERO) {
            java.util.Arrays.fill(fill, k.zeros(n, width));
            return fill;
        }
        int[] real = batch.realRows();
        Map<String, INDArray> cache = model.runWithCache(batch.clean(), batch.mask(), nm -> nm.endsWith("attn.hook_z"));
        INDArray mean = k.zeros(1, width);
        for (int l = 0; l < L; l++) {
            fill[l] = k.zeros(n, width);
            k.meanRows(cache.get(HookName.z(l)).reshape('c', n, width), real, mean);
            k.gatherRows(mean, new int[n], fill[l]);
        }
        return fill;
    }

    /** The metric with every head not in {@code kept} ablated (its hook_z columns set to {@code fill}'s). */
    static double run(Transformer model, PatchBatch batch, Metric metric, Set<String> kept, INDArray[] fill, int H, int D) {
        Kernels k = model.kernels();
        List<Hooks.Handle> hs = new ArrayList<>();
        try {
            for (int l = 0; l < fill.length; l++) {
                int li = l;
                hs.add(model.hooks().addForward(HookName.z(l), (a, nm) -> {
                    INDArray z = a.reshape('c', fill[li].size(0), (long) H * D);
                    for (int h = 0; h < H; h++) {
                        if (!kept.contains(li + "." + h)) {
                            k.copyColumns(fill[li], h * D, z, h * D, D, false);
                        }
                    }
                    return null;
                }));
            }
            INDArray logits = model.forward(batch.clean(), batch.mask());
            return metric.value(Metric.answerLogits(logits, batch), batch);
        } finally {
            hs.forEach(Hooks.Handle::close);
        }
    }
}
