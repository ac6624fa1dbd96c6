package org.tinysql.interp.patching;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.model.Hooks;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;

/**
 * Attribution patching: the first-order estimate of every activation-patching sweep from one clean forward and one
 * corrupt forward + backward: (clean - corrupt activation) . d(metric)/d(activation) at the corrupt run, divided by
 * (clean - corrupt metric) so it estimates the normalized metric's change. Same sweeps as {@link ActivationPatching}.
 */
public final class AttributionPatching {
    private final PatchingResult resid;
    private final PatchingResult mlp;
    private final PatchingResult heads;
    private final double clean;
    private final double corrupt;

    public AttributionPatching(Transformer model, PatchBatch batch, Metric.Kind kind) {
        int L = model.config().nLayers();
        int H = model.config().nHeads();
        int D = model.config().headDim();
        int C = model.config().dModel();
        int T = batch.length();
        Map<String, INDArray> cleanCache = model.runWithCache(batch.clean(), batch.mask(),
                n -> n.endsWith("hook_resid_pre") || n.endsWith("attn.hook_z") || n.endsWith("hook_mlp_out"));
        float[][] cleanLogits = Metric.answerLogits(cleanCache.get("logits"), batch);
        Metric metric = Metric.of(kind, cleanLogits);
        clean = metric.value(cleanLogits, batch);
        Map<String, float[]> corr = new HashMap<>();
        Map<String, float[]> grads = new HashMap<>();
        List<Hooks.Handle> hs = new ArrayList<>();
        try {
            for (String name : cleanCache.keySet()) {
                if (name.equals("logits")) {
                    continue;
                }
                hs.add(model.hooks().addForward(name, (a, n) -> {
                    corr.put(n, Buffers.toFloats(a));
                    return null;
                }));
                hs.add(model.hooks().addBackward(name, (g, n) -> {
                    grads.put(n, Buffers.toFloats(g));
                    return null;
                }));
            }
            INDArray logits = model.forward(batch.corrupt(), batch.mask());
            float[][] corrLogits = Metric.answerLogits(logits, batch);
            corrupt = metric.value(corrLogits, batch);
            INDArray dl = Buffers.zeros(batch.size(), T, model.config().vocabSize());
            Metric.scatter(metric.gradient(corrLogits, batch), batch, dl);
            model.setParameterGradients(false);
            try {
                model.backward(dl);
            } finally {
                model.setParameterGradients(true);
                dl.close();
            }
        } finally {
            hs.forEach(Hooks.Handle::close);
        }
        double span = clean - corrupt;
        if (Math.abs(span) < 1e-12) {
            throw new IllegalArgumentException("clean and corrupt metrics are equal (" + clean + "): nothing to attribute");
        }
        double[][] r = new double[L][T];
        double[][] m = new double[L][T];
        double[][] h = new double[L][H];
        for (int l = 0; l < L; l++) {
            String p = "blocks." + l + ".";
            positions(r[l], Buffers.toFloats(cleanCache.get(p + "hook_resid_pre")), corr.get(p + "hook_resid_pre"), grads.get(p + "hook_resid_pre"), T, C, span);
            positions(m[l], Buffers.toFloats(cleanCache.get(p + "hook_mlp_out")), corr.get(p + "hook_mlp_out"), grads.get(p + "hook_mlp_out"), T, C, span);
            float[] cz = Buffers.toFloats(cleanCache.get(p + "attn.hook_z"));
            float[] xz = corr.get(p + "attn.hook_z");
            float[] gz = grads.get(p + "attn.hook_z");
            for (int i = 0; i < cz.length; i++) {
                int head = (i / D) % H;
                h[l][head] += (cz[i] - xz[i]) * (double) gz[i] / span;
            }
        }
        resid = new PatchingResult("resid_pre attribution (layer x position)", ActivationPatching.layerLabels(L), ActivationPatching.positionLabels(T), r);
        mlp = new PatchingResult("mlp_out attribution (layer x position)", ActivationPatching.layerLabels(L), ActivationPatching.positionLabels(T), m);
        heads = new PatchingResult("head output attribution (layer x head)", ActivationPatching.layerLabels(L), ActivationPatching.headLabels(H), h);
    }

    private static void positions(double[] out, float[] clean, float[] corr, float[] grad, int T, int C, double span) {
        for (int i = 0; i < clean.length; i++) {
            int t = (i / C) % T;
            out[t] += (clean[i] - corr[i]) * (double) grad[i] / span;
        }
    }

    public PatchingResult residualStream() {
        return resid;
    }

    public PatchingResult mlpOutputs() {
        return mlp;
    }

    public PatchingResult headOutputs() {
        return heads;
    }

    public double cleanMetric() {
        return clean;
    }

    public double corruptMetric() {
        return corrupt;
    }
}
