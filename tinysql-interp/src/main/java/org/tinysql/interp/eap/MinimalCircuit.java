package org.tinysql.interp.eap;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.model.HookName;
import org.tinysql.model.Hooks;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;
import org.tinysql.util.Progress;

/**
 * Greedy head-ablation search for a minimal set of attention heads: starting from every head, repeatedly ablates
 * (zero or mean of hook_z over the batch's real tokens) the head whose removal keeps the metric highest, while the
 * metric stays at least {@code fraction} of the unablated model's. Runs on the clean prompts.
 */
public final class MinimalCircuit {

    /** How a removed head is ablated. */
    public enum Ablation { ZERO, MEAN }

    /** One greedy step: the head removed and the metric ratio afterwards. */
    public record Step(String head, double ratio) {
    }

    /** The heads kept, the ratio they reach, and the removal order. */
    public record Result(List<String> kept, double ratio, double fullMetric, List<Step> removals, int totalHeads) {
    }

    private MinimalCircuit() {
    }

    public static Result search(Transformer model, PatchBatch batch, Metric.Kind kind, Ablation ablation, double fraction, Progress progress) {
        int L = model.config().nLayers();
        int H = model.config().nHeads();
        int D = model.config().headDim();
        float[][] means = new float[L][];
        float[][] cleanLogits = Metric.answerLogits(model.forward(batch.clean(), batch.mask()), batch);
        Metric metric = Metric.of(kind, cleanLogits);
        if (ablation == Ablation.MEAN) {
            var cache = model.runWithCache(batch.clean(), batch.mask(), n -> n.endsWith("attn.hook_z"));
            for (int l = 0; l < L; l++) {
                float[] z = Buffers.toFloats(cache.get(HookName.z(l)));
                float[] m = new float[H * D];
                int count = 0;
                for (int b = 0; b < batch.size(); b++) {
                    for (int t = 0; t < batch.length(); t++) {
                        if (batch.mask()[b][t] == 1) {
                            int o = (b * batch.length() + t) * H * D;
                            for (int i = 0; i < H * D; i++) {
                                m[i] += z[o + i];
                            }
                            count++;
                        }
                    }
                }
                for (int i = 0; i < m.length; i++) {
                    m[i] /= count;
                }
                means[l] = m;
            }
        }
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
                double r = run(model, batch, metric, trial, means, L, H, D) / full;
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
            steps.add(new Step(name(best), bestRatio));
        }
        List<String> names = new ArrayList<>();
        kept.forEach(h -> names.add(name(h)));
        return new Result(names, ratio, full, steps, L * H);
    }

    private static String name(String key) {
        String[] p = key.split("\\.");
        return "a" + p[0] + ".h" + p[1];
    }

    /** The metric with every head not in {@code kept} ablated. */
    static double run(Transformer model, PatchBatch batch, Metric metric, Set<String> kept, float[][] means, int L, int H, int D) {
        List<Hooks.Handle> hs = new ArrayList<>();
        try {
            for (int l = 0; l < L; l++) {
                int li = l;
                hs.add(model.hooks().addForward(HookName.z(l), (a, nm) -> {
                    float[] z = Buffers.toFloats(a);
                    int rows = z.length / (H * D);
                    for (int h = 0; h < H; h++) {
                        if (kept.contains(li + "." + h)) {
                            continue;
                        }
                        for (int r = 0; r < rows; r++) {
                            for (int d = 0; d < D; d++) {
                                z[(r * H + h) * D + d] = means[li] == null ? 0f : means[li][h * D + d];
                            }
                        }
                    }
                    Buffers.fb(a).put(0, z);
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
