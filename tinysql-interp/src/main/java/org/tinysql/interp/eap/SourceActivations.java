package org.tinysql.interp.eap;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.interp.Metric;
import org.tinysql.interp.ModelView;
import org.tinysql.interp.PatchBatch;
import org.tinysql.model.Hooks;
import org.tinysql.model.Transformer;
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
     * Runs {@code tokens} through the model recording activations. {@code inputEdit}, when not null, may replace the
     * input embedding (blocks.0.hook_resid_pre) before the model uses it (EAP-IG interpolation).
     */
    static SourceActivations record(ModelView mv, int[][] tokens, PatchBatch batch, UnaryOperator<float[]> inputEdit) {
        Transformer m = mv.model();
        int L = mv.layers();
        SourceActivations s = new SourceActivations(L, tokens.length * tokens[0].length);
        List<Hooks.Handle> hs = new ArrayList<>();
        try {
            hs.add(m.hooks().addForward("blocks.0.hook_resid_pre", (a, nm) -> {
                float[] x = Buffers.toFloats(a);
                if (inputEdit != null) {
                    x = inputEdit.apply(x);
                    Buffers.fb(a).put(0, x);
                }
                s.input = x;
                return null;
            }));
            for (int l = 0; l < L; l++) {
                int li = l;
                String p = "blocks." + l + ".";
                hs.add(m.hooks().addForward(p + "hook_resid_pre", (a, nm) -> {
                    s.residPre[li] = Buffers.toFloats(a);
                    return null;
                }));
                hs.add(m.hooks().addForward(p + "attn.hook_z", (a, nm) -> {
                    s.z[li] = Buffers.toFloats(a);
                    return null;
                }));
                hs.add(m.hooks().addForward(p + "hook_resid_mid", (a, nm) -> {
                    s.residMid[li] = Buffers.toFloats(a);
                    return null;
                }));
                hs.add(m.hooks().addForward(p + "hook_mlp_out", (a, nm) -> {
                    s.mlpOut[li] = Buffers.toFloats(a);
                    return null;
                }));
            }
            hs.add(m.hooks().addForward("blocks." + (L - 1) + ".hook_resid_post", (a, nm) -> {
                s.residFinal = Buffers.toFloats(a);
                return null;
            }));
            m.setLogitRows(batch.answerRows());
            INDArray logits = m.forward(tokens, batch.mask());
            s.answerLogits = Metric.answerLogits(logits, batch);
        } finally {
            m.setLogitRows(null);
            hs.forEach(Hooks.Handle::close);
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
