package org.tinysql.interp;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.model.Hooks;

/**
 * The common interventions as forward hooks, so that no ND4J indexing is needed for them: zero, mean-ablate or patch one
 * attention head, or one token position of any activation. Register them for one run with
 * {@code RunSpec.edit(name, hook)} or until closed with {@code model.hooks().addForward(name, hook)}; for SAE latents
 * see {@code org.tinysql.interp.sae.SaeHooks} (ablate, steer, splice).
 *
 * <pre>{@code
 * model.run(RunSpec.of(ids, mask).edit(HookName.z(1), Interventions.zeroHead(3)));       // knock out head 1.3
 * model.run(RunSpec.of(ids, mask).edit(HookName.z(1), Interventions.patchHead(3, zFromCorruptRun)));
 * model.run(RunSpec.of(ids, mask).edit(HookName.residPre(1), Interventions.patchPosition(7, residFromOtherRun)));
 * }</pre>
 *
 * Head hooks expect a per-head activation [B, T, H, D] or [B, T, H, C]: {@code hook_q}, {@code hook_z},
 * {@code attn.hook_result}, the {@code hook_*_input} points. Positions index the padded sequence as the model sees it
 * (prompts are left-padded by {@code TinySqlModel.encodePrompts}).
 */
public final class Interventions {
    private Interventions() {
    }

    /**
     * Sets head {@code head} to zero at every position (zero ablation).
     * @param head the head index, 0..H-1
     * @return the hook, for a per-head hook point
     */
    public static Hooks.Forward zeroHead(int head) {
        return (a, name) -> {
            checkHead(a, head, name);
            forEachHeadElement(a, head, (i, v) -> a.putScalar(i, 0));
            return null;
        };
    }

    /**
     * Replaces head {@code head} by its mean over the batch and positions of this run (mean ablation over the batch).
     * Padding positions count as well: for left-padded batches use {@link #setHead} with a mean taken over real tokens.
     * @param head the head index, 0..H-1
     * @return the hook, for a per-head hook point
     */
    public static Hooks.Forward meanHead(int head) {
        return (a, name) -> {
            checkHead(a, head, name);
            double[] sum = new double[(int) a.size(3)];
            forEachHeadElement(a, head, (i, v) -> sum[(int) i[3]] += v);
            double n = (double) a.size(0) * a.size(1);
            forEachHeadElement(a, head, (i, v) -> a.putScalar(i, sum[(int) i[3]] / n));
            return null;
        };
    }

    /**
     * Sets head {@code head} to a fixed vector at every position (e.g. a mean over a reference dataset).
     * @param head  the head index, 0..H-1
     * @param value the head's value, [D] (or [C] for the per-head inputs and results)
     * @return the hook, for a per-head hook point
     */
    public static Hooks.Forward setHead(int head, INDArray value) {
        return (a, name) -> {
            checkHead(a, head, name);
            if (value.length() != a.size(3)) {
                throw new IllegalArgumentException(name + ": a value of " + value.length() + " numbers for head " + head
                        + " of width " + a.size(3));
            }
            forEachHeadElement(a, head, (i, v) -> a.putScalar(i, value.getDouble(i[3])));
            return null;
        };
    }

    /**
     * Copies head {@code head} from another run's activation at the same hook point (activation patching).
     * @param head   the head index, 0..H-1
     * @param source the other run's activation, the same shape as this run's (e.g. from an {@code ActivationCache})
     * @return the hook, for a per-head hook point
     */
    public static Hooks.Forward patchHead(int head, INDArray source) {
        return (a, name) -> {
            checkHead(a, head, name);
            sameShape(a, source, name);
            forEachHeadElement(a, head, (i, v) -> a.putScalar(i, source.getDouble(i)));
            return null;
        };
    }

    /**
     * Sets position {@code pos} of an activation [B, T, ...] to zero in every batch row.
     * @param pos the position, 0..T-1
     * @return the hook, for any hook point whose second dimension is positions
     */
    public static Hooks.Forward zeroPosition(int pos) {
        return (a, name) -> {
            forEachPositionElement(a, pos, name, i -> a.putScalar(i, 0));
            return null;
        };
    }

    /**
     * Copies position {@code pos} from another run's activation at the same hook point, in every batch row.
     * @param pos    the position, 0..T-1
     * @param source the other run's activation, the same shape as this run's
     * @return the hook, for any hook point whose second dimension is positions
     */
    public static Hooks.Forward patchPosition(int pos, INDArray source) {
        return (a, name) -> {
            sameShape(a, source, name);
            forEachPositionElement(a, pos, name, i -> a.putScalar(i, source.getDouble(i)));
            return null;
        };
    }

    /** Visits the elements of one head with their index [b, t, head, d] and value (explicit indices: no views). */
    private interface HeadVisitor {
        void visit(long[] index, double value);
    }

    private static void forEachHeadElement(INDArray a, int head, HeadVisitor v) {
        long[] i = new long[4];
        i[2] = head;
        for (i[0] = 0; i[0] < a.size(0); i[0]++) {
            for (i[1] = 0; i[1] < a.size(1); i[1]++) {
                for (i[3] = 0; i[3] < a.size(3); i[3]++) {
                    v.visit(i, a.getDouble(i));
                }
            }
        }
    }

    private static void forEachPositionElement(INDArray a, int pos, String name, java.util.function.Consumer<long[]> v) {
        if (a.rank() < 3 || pos < 0 || pos >= a.size(1)) {
            throw new IllegalArgumentException(name + ": position " + pos + " is not in an activation of shape "
                    + Arrays.toString(a.shape()) + " (need [B, T, ...] with 0 <= position < T)");
        }
        long[] shape = a.shape();
        long[] i = new long[shape.length];
        long rest = 1;
        for (int k = 2; k < shape.length; k++) {
            rest *= shape[k];
        }
        for (long b = 0; b < shape[0]; b++) {
            for (long r = 0; r < rest; r++) {
                i[0] = b;
                i[1] = pos;
                long q = r;
                for (int k = shape.length - 1; k >= 2; k--) {
                    i[k] = q % shape[k];
                    q /= shape[k];
                }
                v.accept(i);
            }
        }
    }

    /**
     * Replaces heads {@code heads} at every position t by their value in row t of {@code means} (mean ablation per token
     * position, as the TinySQL paper ablates heads: means over a batch of prompts of one length). Positions past the last
     * row of {@code means} take its last row. Unpadded batches only: position t is the t-th column of every row. A
     * positional hook: it also runs when generating with the KV cache (each step then replaces the new position's row).
     * @param heads   the heads to ablate, each in 0..H-1
     * @param means   [T_max, H*D] per-position means of the hook point, on the model's backend
     * @param kernels the model's kernels
     * @return the hook, for a per-head hook point such as {@code hook_z}
     */
    public static Hooks.PositionalForward positionMeanHeads(int[] heads, INDArray means, org.tinysql.tensor.Kernels kernels) {
        return (a, name, start) -> {
            for (int h : heads) {
                checkHead(a, h, name);
            }
            int b = (int) a.size(0);
            int t = (int) a.size(1);
            int d = (int) a.size(3);
            int hd = (int) (a.size(2) * d);
            if (means.rank() != 2 || means.size(1) != hd) {
                throw new IllegalArgumentException(name + ": means of shape " + Arrays.toString(means.shape()) + " for heads of width " + hd);
            }
            int[] rows = new int[b * t];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = (int) Math.min(start + i % t, means.size(0) - 1);
            }
            INDArray fill = kernels.zeros(b * t, hd);
            try {
                kernels.gatherRows(means, rows, fill);
                INDArray flat = a.reshape('c', (long) b * t, hd);
                for (int h : heads) {
                    kernels.copyColumns(fill, h * d, flat, h * d, d, false);
                }
            } finally {
                fill.close();
            }
            return null;
        };
    }

    private static void checkHead(INDArray a, int head, String name) {
        if (a.rank() != 4) {
            throw new IllegalArgumentException(name + " is not a per-head activation [B, T, H, D]: shape "
                    + Arrays.toString(a.shape()));
        }
        if (head < 0 || head >= a.size(2)) {
            throw new IllegalArgumentException(name + ": head " + head + " out of range [0, " + a.size(2) + ")");
        }
    }

    private static void sameShape(INDArray a, INDArray source, String name) {
        if (!Arrays.equals(a.shape(), source.shape())) {
            throw new IllegalArgumentException(name + ": the source activation has shape " + Arrays.toString(source.shape())
                    + ", this run's " + Arrays.toString(a.shape()));
        }
    }
}
