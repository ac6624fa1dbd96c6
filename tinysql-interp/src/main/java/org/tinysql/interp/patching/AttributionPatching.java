package org.tinysql.interp.patching;

import java.util.Map;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.HookName;
import org.tinysql.model.RunSpec;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.Kernels;

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

    /**
     * Runs the clean forward and the corrupt forward and backward, and computes all three sweeps.
     *
     * @param model the model
     * @param batch the clean/corrupt pairs
     * @param kind  the metric whose change is estimated
     * @throws IllegalArgumentException if the clean and corrupt metrics are equal
     */
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
        double[][] r = new double[L][T];
        double[][] m = new double[L][T];
        double[][] h = new double[L][H];
        try (ActivationCache cleanCache = model.run(RunSpec.of(batch.clean(), batch.mask()).cache(swept).logitRows(batch.answerRows()))) {
            float[][] cleanLogits = Metric.answerLogits(cleanCache, batch);
            Metric metric = Metric.of(kind, cleanLogits);
            clean = metric.value(cleanLogits, batch);
            try (ActivationCache c = model.run(RunSpec.of(batch.corrupt(), batch.mask()).cache(swept).grads(swept)
                    .logitRows(batch.answerRows()));
                 Arena tmp = new Arena(model.kernels())) {
                float[][] corrLogits = Metric.answerLogits(c, batch);
                corrupt = metric.value(corrLogits, batch);
                Metric.backward(c, metric.gradient(corrLogits, batch), batch, tmp);
                double span = clean - corrupt;
                if (Math.abs(span) < 1e-12) {
                    throw new IllegalArgumentException("clean and corrupt metrics are equal (" + clean + "): nothing to attribute");
                }
                int n = batch.size() * T;
                Kernels k = model.kernels();
                INDArray diff = tmp.zeros(batch.size(), (long) T * C);
                INDArray diffZ = tmp.zeros(n, (long) H * D);
                INDArray byPosition = tmp.zeros(T);
                INDArray byHead = tmp.zeros(H);
                for (int l = 0; l < L; l++) {
                    for (String name : new String[] {HookName.residPre(l), HookName.mlpOut(l)}) {
                        k.sub(cleanCache.get(name), c.get(name), diff);
                        k.blockDots(diff, c.grad(name).reshape('c', batch.size(), (long) T * C), C, byPosition);
                        divide(Buffers.toFloats(byPosition), span, name.equals(HookName.residPre(l)) ? r[l] : m[l]);
                    }
                    String zn = HookName.z(l);
                    k.sub(cleanCache.get(zn), c.get(zn), diffZ);
                    k.blockDots(diffZ, c.grad(zn).reshape('c', n, (long) H * D), D, byHead);
                    divide(Buffers.toFloats(byHead), span, h[l]);
                }
            }
        }
        resid = new PatchingResult("resid_pre attribution (layer x position)", ActivationPatching.layerLabels(L), ActivationPatching.positionLabels(T), r);
        mlp = new PatchingResult("mlp_out attribution (layer x position)", ActivationPatching.layerLabels(L), ActivationPatching.positionLabels(T), m);
        heads = new PatchingResult("head output attribution (layer x head)", ActivationPatching.layerLabels(L), ActivationPatching.headLabels(H), h);
    }

    /** out[i] = sums[i] / span. */
    private static void divide(float[] sums, double span, double[] out) {
        for (int i = 0; i < sums.length; i++) {
            out[i] = sums[i] / span;
        }
    }

    /**
     * The estimate of {@link ActivationPatching#residualStream}.
     *
     * @return [L][T] estimated normalised metrics
     */
    public PatchingResult residualStream() {
        return resid;
    }

    /**
     * The estimate of {@link ActivationPatching#mlpOutputs}.
     *
     * @return [L][T] estimated normalised metrics
     */
    public PatchingResult mlpOutputs() {
        return mlp;
    }

    /**
     * The estimate of {@link ActivationPatching#headOutputs}.
     *
     * @return [L][H] estimated normalised metrics
     */
    public PatchingResult headOutputs() {
        return heads;
    }

    /**
     * The metric of the clean run.
     *
     * @return its value
     */
    public double cleanMetric() {
        return clean;
    }

    /**
     * The metric of the corrupt run.
     *
     * @return its value
     */
    public double corruptMetric() {
        return corrupt;
    }
}
