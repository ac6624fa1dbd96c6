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

    /**
     * The run that records {@code tokens}' activations into {@code s} as the forward reaches them (straight into Java
     * arrays: one copy), logits at the batch's answer rows only. {@code inputEdit}, when not null, may replace the input
     * embedding (blocks.0.hook_resid_pre) before the model uses it (EAP-IG interpolation).
     */
    static RunSpec spec(SourceActivations s, int layers, int[][] tokens, PatchBatch batch, UnaryOperator<float[]> inputEdit) {
        RunSpec spec = RunSpec.of(tokens, batch.mask()).logitRows(batch.answerRows());
        spec.edit(HookName.residPre(0), (a, nm) -> {
            float[] x = Buffers.toFloats(a);
            if (inputEdit != null) {
                x = inputEdit.apply(x);
                Buffers.fb(a).put(0, x);
            }
            s.input = x;
            return null;
        });
        for (int l = 0; l < layers; l++) {
            int li = l;
            spec.edit(HookName.residPre(l), (a, nm) -> {
                s.residPre[li] = li == 0 ? s.input : Buffers.toFloats(a);
                return null;
            });
            spec.edit(HookName.z(l), (a, nm) -> {
                s.z[li] = Buffers.toFloats(a);
                return null;
            });
            spec.edit(HookName.residMid(l), (a, nm) -> {
                s.residMid[li] = Buffers.toFloats(a);
                return null;
            });
            spec.edit(HookName.mlpOut(l), (a, nm) -> {
                s.mlpOut[li] = Buffers.toFloats(a);
                return null;
            });
        }
        spec.edit(HookName.residPost(layers - 1), (a, nm) -> {
            s.residFinal = Buffers.toFloats(a);
            return null;
        });
        return spec;
    }

    /** Runs {@code tokens} through the model recording activations (see {@link #spec}). */
    static SourceActivations record(ModelView mv, int[][] tokens, PatchBatch batch, UnaryOperator<float[]> inputEdit) {
        SourceActivations s = new SourceActivations(mv.layers(), tokens.length * tokens[0].length);
        try (ActivationCache c = mv.model().run(spec(s, mv.layers(), tokens, batch, inputEdit))) {
            s.answerLogits = Metric.answerLogits(c.logits(), batch);
        }
        return s;
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
