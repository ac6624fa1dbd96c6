package org.tinysql.interp.sae;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.model.Hooks;
import org.tinysql.tensor.Buffers;

/** Forward hooks that put an SAE into a model: splicing, feature ablation and steering. */
public final class SaeHooks {
    private SaeHooks() {
    }

    private static void check(Sae sae, INDArray a, String name) {
        long c = a.size(a.rank() - 1);
        if (c != sae.cfg.dIn()) {
            throw new IllegalArgumentException("SAE d_in " + sae.cfg.dIn() + " does not match " + name + "'s width " + c);
        }
    }

    /** Replaces the activation by its SAE reconstruction. */
    public static Hooks.Forward splice(Sae sae) {
        return (a, name) -> {
            check(sae, a, name);
            int n = (int) (a.length() / sae.cfg.dIn());
            Buffers.fb(a).put(0, sae.reconstruct(Buffers.toFloats(a), n));
            return null;
        };
    }

    /** Removes latent j's contribution (its activation times its decoder row) at every position. */
    public static Hooks.Forward ablate(Sae sae, int latent) {
        return edit(sae, latent, 0f, true);
    }

    /** Sets latent j's contribution to {@code value} times its decoder row at every position (steering). */
    public static Hooks.Forward steer(Sae sae, int latent, float value) {
        return edit(sae, latent, value, false);
    }

    private static Hooks.Forward edit(Sae sae, int latent, float value, boolean ablate) {
        if (latent < 0 || latent >= sae.cfg.dSae()) {
            throw new IllegalArgumentException("latent " + latent + " out of range [0, " + sae.cfg.dSae() + ")");
        }
        return (a, name) -> {
            check(sae, a, name);
            int c = sae.cfg.dIn();
            int n = (int) (a.length() / c);
            float[] x = Buffers.toFloats(a);
            Codes z = sae.encode(x, n);
            float[] dir = sae.decoderRow(latent);
            float inv = (float) (1 / sae.cfg.normScale());
            for (int r = 0; r < n; r++) {
                float cur = 0;
                for (int e = z.start[r]; e < z.start[r + 1]; e++) {
                    if (z.idx[e] == latent) {
                        cur = z.val[e];
                    }
                }
                float delta = (ablate ? -cur : value - cur) * inv;
                if (delta != 0) {
                    for (int i = 0; i < c; i++) {
                        x[r * c + i] += delta * dir[i];
                    }
                }
            }
            Buffers.fb(a).put(0, x);
            return null;
        };
    }
}
