package org.tinysql.interp.patching;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.HookName;
import org.tinysql.model.RunSpec;
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
        Predicate<String> swept = n -> {
            int l = HookName.layerOf(n);
            return n.equals(HookName.residPre(l)) || n.equals(HookName.z(l)) || n.equals(HookName.mlpOut(l));
        };
        Map<String, INDArray> cleanCache = model.runWithCache(batch.clean(), batch.mask(), swept);
        float[][] cleanLogits = Metric.answerLogits(cleanCache.get("logits"), batch);
        Metric metric = Metric.of(kind, cleanLogits);
        clean = metric.value(cleanLogits, batch);
        Map<String, float[]> corr = new HashMap<>();
        Map<String, float[]> grads = new HashMap<>();
        try (ActivationCache c = model.run(RunSpec.of(batch.corrupt(), batch.mask()).cache(swept).grads(swept))) {
            float[][] corrLogits = Metric.answerLogits(c.logits(), batch);
            corrupt = metric.value(corrLogits, batch);
            INDArray dl = Buffers.zeros(batch.size(), T, model.config().vocabSize());
            try {
                Metric.scatter(metric.gradient(corrLogits, batch), batch, dl);
                c.backward(dl);
            } finally {
                dl.close();
            }
            for (String name : c.names()) {
                corr.put(name, c.floats(name));
                grads.put(name, c.gradFloats(name));
            }
        }
        double span = clean - corrupt;
        if (Math.abs(span) < 1e-12) {
            throw new IllegalArgumentException("clean and corrupt metrics are equal (" + clean + "): nothing to attribute");
        }
        double[][] r = new double[L][T];
        double[][] m = new double[L][T];
        double[][] h = new double[L][H];
        for (int l = 0; l < L; l++) {
            String rp = HookName.residPre(l);
            String mo = HookName.mlpOut(l);
            String zn = HookName.z(l);
            positions(r[l], Buffers.toFloats(cleanCache.get(rp)), corr.get(rp), grads.get(rp), T, C, span);
            positions(m[l], Buffers.toFloats(cleanCache.get(mo)), corr.get(mo), grads.get(mo), T, C, span);
            float[] cz = Buffers.toFloats(cleanCache.get(zn));
            float[] xz = corr.get(zn);
            float[] gz = grads.get(zn);
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
