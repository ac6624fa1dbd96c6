package org.tinysql.interp.eap;

import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.interp.Metric;
import org.tinysql.interp.ModelView;
import org.tinysql.interp.PatchBatch;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.HookName;
import org.tinysql.model.RunSpec;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.ArrayPool;
import org.tinysql.tensor.Kernels;

/**
 * What one forward pass wrote into and read from the residual stream, as [N, C] arrays of the model's backend
 * (N = B*T): the input embedding, each layer's hook_z ([N, H*D], heads' outputs before W_O), MLP outputs, the residual
 * before each attention (resid_pre) and MLP (resid_mid), the final residual, and the answer-position logits (host).
 * The arrays are copies owned by this object until {@link #close()}.
 */
final class SourceActivations implements AutoCloseable {
    final int n;
    private final Kernels k;
    private final Arena arena;
    INDArray input;
    final INDArray[] z;
    final INDArray[] mlpOut;
    final INDArray[] residPre;
    final INDArray[] residMid;
    INDArray residFinal;
    float[][] answerLogits;

    SourceActivations(Kernels k, int layers, int n) {
        this(k, null, layers, n);
    }

    /** Activations whose arrays come from {@code pool} (back there on close), or fresh ones when it is null. */
    SourceActivations(Kernels k, ArrayPool pool, int layers, int n) {
        this.n = n;
        this.k = k;
        this.arena = pool != null ? new Arena(pool) : new Arena(k);
        z = new INDArray[layers];
        mlpOut = new INDArray[layers];
        residPre = new INDArray[layers];
        residMid = new INDArray[layers];
    }

    /** A copy of activation {@code a} as [N, length / N], owned by this object. */
    INDArray keep(INDArray a) {
        INDArray c = arena.zeros(n, a.length() / n);
        k.copy(a, c);
        return c;
    }

    /** A zero-filled [rows, cols] array owned by this object. */
    INDArray scratch(long rows, long cols) {
        return arena.zeros(rows, cols);
    }

    /**
     * The run that records {@code tokens}' activations into {@code s} as the forward reaches them (one copy each, on
     * the backend), logits at the batch's answer rows only. {@code inputEdit}, when not null, may overwrite the input
     * embedding (blocks.0.hook_resid_pre) before the model uses it (EAP-IG interpolation).
     */
    static RunSpec spec(SourceActivations s, int layers, int[][] tokens, PatchBatch batch, Consumer<INDArray> inputEdit) {
        RunSpec spec = RunSpec.of(tokens, batch.mask()).logitRows(batch.answerRows());
        spec.edit(HookName.residPre(0), (a, nm) -> {
            if (inputEdit != null) {
                inputEdit.accept(a);
            }
            s.input = s.keep(a);
            return null;
        });
        for (int l = 0; l < layers; l++) {
            int li = l;
            spec.edit(HookName.residPre(l), (a, nm) -> {
                s.residPre[li] = li == 0 ? s.input : s.keep(a);
                return null;
            });
            spec.edit(HookName.z(l), (a, nm) -> {
                s.z[li] = s.keep(a);
                return null;
            });
            spec.edit(HookName.residMid(l), (a, nm) -> {
                s.residMid[li] = s.keep(a);
                return null;
            });
            spec.edit(HookName.mlpOut(l), (a, nm) -> {
                s.mlpOut[li] = s.keep(a);
                return null;
            });
        }
        spec.edit(HookName.residPost(layers - 1), (a, nm) -> {
            s.residFinal = s.keep(a);
            return null;
        });
        return spec;
    }

    /** Runs {@code tokens} through the model recording activations (see {@link #spec}). */
    static SourceActivations record(ModelView mv, int[][] tokens, PatchBatch batch, Consumer<INDArray> inputEdit) {
        return record(mv, null, tokens, batch, inputEdit);
    }

    /** As {@link #record(ModelView, int[][], PatchBatch, Consumer)}, the arrays from {@code pool} (null: fresh ones). */
    static SourceActivations record(ModelView mv, ArrayPool pool, int[][] tokens, PatchBatch batch, Consumer<INDArray> inputEdit) {
        SourceActivations s = new SourceActivations(mv.kernels(), pool, mv.layers(), tokens.length * tokens[0].length);
        try (ActivationCache c = mv.model().run(spec(s, mv.layers(), tokens, batch, inputEdit))) {
            s.answerLogits = Metric.answerLogits(c, batch);
        }
        return s;
    }

    /**
     * Source u's activation [N, C]: the recorded array, or for a head its output computed from z and W_O into
     * {@code scratch} [N, C] (which is then returned).
     */
    INDArray source(ModelView mv, EapGraph.Source u, INDArray scratch) {
        switch (u.kind()) {
            case INPUT:
                return input;
            case HEAD:
                mv.headResult(u.layer(), z[u.layer()], u.head(), scratch);
                return scratch;
            case MLP:
                return mlpOut[u.layer()];
            default:
                throw new IllegalArgumentException("logits are not a source");
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
