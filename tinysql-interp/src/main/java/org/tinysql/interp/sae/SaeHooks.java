package org.tinysql.interp.sae;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tinysql.model.Hooks;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.Kernels;

/**
 * Forward hooks that put an SAE into a model: splicing, feature ablation and steering. They compute on the hook's
 * activation array with the SAE's kernels (the model's backend) and write the result back in place.
 */
public final class SaeHooks {
    private SaeHooks() {
    }

    /**
     * Replaces the activation by its SAE reconstruction.
     *
     * @param sae the SAE trained on the hooked activation; its kernels must be the model's
     * @return the hook, to register on that activation
     */
    public static Hooks.Forward splice(Sae sae) {
        return (a, name) -> {
            INDArray x = rows(sae, a);
            sae.reconstruct(x, x);
            return null;
        };
    }

    /**
     * Removes latent j's contribution (its activation times its decoder row) at every position.
     *
     * @param sae    the SAE trained on the hooked activation
     * @param latent j, 0..dSae-1
     * @return the hook
     * @throws IllegalArgumentException if {@code latent} is out of range
     */
    public static Hooks.Forward ablate(Sae sae, int latent) {
        return edit(sae, latent, 0f, true);
    }

    /**
     * Sets latent j's contribution to {@code value} times its decoder row at every position (steering).
     *
     * @param sae    the SAE trained on the hooked activation
     * @param latent j, 0..dSae-1
     * @param value  the latent activation to impose, in the activation's own units
     * @return the hook
     * @throws IllegalArgumentException if {@code latent} is out of range
     */
    public static Hooks.Forward steer(Sae sae, int latent, float value) {
        return edit(sae, latent, value, false);
    }

    private static Hooks.Forward edit(Sae sae, int latent, float value, boolean ablate) {
        if (latent < 0 || latent >= sae.cfg.dSae()) {
            throw new IllegalArgumentException("latent " + latent + " out of range [0, " + sae.cfg.dSae() + ")");
        }
        Kernels k = sae.kernels;
        float inv = (float) (1 / sae.cfg.normScale());
        // One-hot [S, 1]: decoding the codes with it reads latent j's activation per row. target [1] = value / s.
        INDArray oneHot = k.zeros(sae.S, 1);
        Buffers.fb(oneHot).put(latent, 1f);
        INDArray target = k.zeros(1);
        Buffers.fb(target).put(0, value * inv);
        INDArray dir = sae.wDec.get(NDArrayIndex.interval(latent, latent + 1), NDArrayIndex.all());
        return (a, name) -> {
            INDArray x = rows(sae, a);
            int n = (int) x.size(0);
            SparseCodes z = sae.encodeShared(x);
            try (Arena ar = new Arena(k)) {
                INDArray cur = ar.zeros(n, 1);
                k.sparseDecode(z.start(), z.idx(), z.val(), oneHot, null, cur);
                // delta = (value - current) / s per row (ablation: -current / s); x += delta W_dec[j].
                k.scaleAddRow(cur, -inv, ablate ? null : target, 1f, cur);
                k.gemm(cur, dir, x, false, false, 1f, 1f);
            }
            return null;
        };
    }

    /** The activation as [N, C] rows (a view: the hooks write into it). */
    private static INDArray rows(Sae sae, INDArray a) {
        int n = sae.rowsOf(a);
        return a.reshape('c', n, sae.C);
    }
}
