package org.tinysql.interp.eap;

import java.util.function.UnaryOperator;
import org.tinysql.interp.Metric;
import org.tinysql.interp.ModelView;
import org.tinysql.interp.PatchBatch;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.HookName;
import org.tinysql.model.RunSpec;
import org.tinysql.tensor.Buffers;

/**
 * What one forward pass wrote into and read from the residual stream, as [N, C] rows (N = B*T): the input
 * embedding, each layer's hook_z (heads' outputs before W_O), MLP outputs, the residual before each attention
 * (resid_pre) and MLP (resid_mid), the final residual, and the answer-position logits.
 */
final class SourceActivations {
    final int n;
    float[] input;
    final float[][] z;
    final float[][] mlpOut;
    final float[][] residPre;
    final float[][] residMid;
    float[] residFinal;
    float[][] answerLogits;

    SourceActivations(int layers, int n) {
        this.n = n;
        z = new float[layers][];
        mlpOut = new float[layers][];
        residPre = new float[layers][];
        residMid = new float[layers][];
    }

    /** The hook points a record reads: every source and the residual each destination reads from. */
    static boolean recorded(String name, int layers) {
        int l = HookName.layerOf(name);
        return name.equals(HookName.residPre(l)) || name.equals(HookName.z(l)) || name.equals(HookName.residMid(l))
                || name.equals(HookName.mlpOut(l)) || name.equals(HookName.residPost(layers - 1));
    }

    /**
     * The run that records {@code tokens}' activations, logits at the batch's answer rows only. {@code inputEdit}, when
     * not null, may replace the input embedding (blocks.0.hook_resid_pre) before the model uses it (EAP-IG
     * interpolation).
     */
    static RunSpec spec(int layers, int[][] tokens, PatchBatch batch, UnaryOperator<float[]> inputEdit) {
        RunSpec spec = RunSpec.of(tokens, batch.mask()).logitRows(batch.answerRows()).cache(n -> recorded(n, layers));
        if (inputEdit != null) {
            spec.edit(HookName.residPre(0), (a, nm) -> {
                Buffers.fb(a).put(0, inputEdit.apply(Buffers.toFloats(a)));
                return null;
            });
        }
        return spec;
    }

    /** The activations of a run made from {@link #spec}. */
    static SourceActivations from(ActivationCache c, int layers, PatchBatch batch) {
        SourceActivations s = new SourceActivations(layers, c.batch() * c.time());
        s.input = c.floats(HookName.residPre(0));
        for (int l = 0; l < layers; l++) {
            s.residPre[l] = l == 0 ? s.input : c.floats(HookName.residPre(l));
            s.z[l] = c.floats(HookName.z(l));
            s.residMid[l] = c.floats(HookName.residMid(l));
            s.mlpOut[l] = c.floats(HookName.mlpOut(l));
        }
        s.residFinal = c.floats(HookName.residPost(layers - 1));
        s.answerLogits = Metric.answerLogits(c.logits(), batch);
        return s;
    }

    /** Runs {@code tokens} through the model recording activations (see {@link #spec}). */
    static SourceActivations record(ModelView mv, int[][] tokens, PatchBatch batch, UnaryOperator<float[]> inputEdit) {
        try (ActivationCache c = mv.model().run(spec(mv.layers(), tokens, batch, inputEdit))) {
            return from(c, mv.layers(), batch);
        }
    }

    /** Source u's activation [N, C] (head outputs are computed from z and W_O). */
    float[] source(ModelView mv, EapGraph.Source u) {
        switch (u.kind()) {
            case INPUT:
                return input;
            case HEAD:
                return mv.headResult(u.layer(), z[u.layer()], n, u.head());
            case MLP:
                return mlpOut[u.layer()];
            default:
                throw new IllegalArgumentException("logits are not a source");
        }
    }
}
