package org.tinysql.train;

import java.util.Locale;
import org.bytedeco.javacpp.Pointer;
import org.tinysql.model.ModelConfig;

/**
 * What one training step holds in memory, estimated from the model's shape, and the cheapest settings that fit a
 * budget: F32 weights and gradients always (4 + 4 bytes per parameter: fine-tuning updates of 2e-5 are below BF16's
 * resolution, see docs/FINETUNING.md), AdamW moments in F32 (8 bytes) or BF16 (4 bytes), and the activations of every
 * block or, with recomputation, of one block plus each block's input. The estimate follows the buffers the engine
 * allocates ({@code ActivationBuffers}); measured peaks are in docs/FINETUNING.md.
 *
 * @param parameters      parameter count
 * @param weightBytes     the F32 weights
 * @param gradientBytes   the F32 gradients
 * @param momentBytes     AdamW's two moments
 * @param activationBytes activations, logits and backward work buffers of one step
 * @param recompute       whether activations are recomputed per block
 * @param moments         the moment storage
 */
public record MemoryPlan(long parameters, long weightBytes, long gradientBytes, long momentBytes, long activationBytes,
                         boolean recompute, AdamW.Moments moments) {
    /** Share of the budget a plan may use, after {@link #OVERHEAD}. */
    static final double USABLE = 0.95;
    /**
     * Memory besides the plan's tensors: the JVM, native libraries, tokenised data. Measured peaks were 0.5 to 0.7 GiB
     * above the plan (docs/FINETUNING.md).
     */
    static final long OVERHEAD = 1L << 30;

    /**
     * The estimated bytes of one training step: weights, gradients, moments and activations.
     * @return the sum, in bytes
     */
    public long totalBytes() {
        return weightBytes + gradientBytes + momentBytes + activationBytes;
    }

    /**
     * The plan for {@code cfg} on batches of {@code batch} rows of {@code time} tokens, {@code labelled} of which carry a
     * label (the rows the loss reads logits for), with these settings.
     * @param cfg the model's config
     * @param batch B, rows per step
     * @param time T, tokens per row
     * @param labelled the number of rows (of B*T) whose logits the loss reads
     * @param recompute whether activations are recomputed per block
     * @param moments the AdamW moment storage
     * @return the plan
     */
    public static MemoryPlan of(ModelConfig cfg, int batch, int time, int labelled, boolean recompute, AdamW.Moments moments) {
        long p = org.tinysql.model.ConfigValidator.parameterCount(cfg);
        return new MemoryPlan(p, 4 * p, 4 * p, AdamW.stateBytes(p, moments),
                activationBytes(cfg, batch, time, labelled, recompute), recompute, moments);
    }

    /**
     * Bytes of activations for a [batch, time] step: per block the stream, norm outputs, q/k/v (and rotated q/k), z, MLP
     * hidden activations and the [H, T, T] scores and pattern; the backward's work buffers (one block's worth); and the
     * logits, [N, V] plus the labelled rows' logits and their gradient.
     */
    static long activationBytes(ModelConfig c, int batch, int time, int labelled, boolean recompute) {
        long n = (long) batch * time;
        long cw = c.dModel();
        long qw = (long) c.nHeads() * c.headDim();
        long kw = (long) c.nKvHeads() * c.headDim();
        boolean rotary = c.positions() == ModelConfig.Positions.ROTARY;
        boolean swiglu = c.mlp() == ModelConfig.Mlp.SWIGLU;
        long perRow = 6 * cw + qw * (rotary ? 3 : 2) + kw * (rotary ? 3 : 2) + (long) c.dMlp() * (swiglu ? 3 : 2)
                + 2L * c.nHeads() * time;
        long layer = n * perRow * 4;
        long blocks = recompute ? layer + (c.nLayers() - 1) * n * cw * 4 : c.nLayers() * layer;
        long work = n * (2 * cw + qw * (rotary ? 3 : 2) + kw * (rotary ? 3 : 2) + (long) c.dMlp() * (swiglu ? 3 : 2)
                + 2L * c.nHeads() * time) * 4;
        long logits = (n + 2L * Math.min(n, labelled)) * c.vocabSize() * 4;
        long stream = n * cw * 4 * 3;
        return blocks + work + logits + stream;
    }

    /**
     * The cheapest plan that fits {@code budget}: all activations and F32 moments; else BF16 moments (they cost no time
     * and move each update by under 1%); else recomputation (about a third more compute) with F32, then BF16 moments.
     * {@code recompute} and {@code moments}, when not null, are taken as given. Throws with the estimate and how to
     * raise the budget when nothing fits.
     * @param cfg the model's config
     * @param batch B, rows per step
     * @param time T, tokens per row
     * @param labelled the number of rows (of B*T) whose logits the loss reads
     * @param budget the bytes available, e.g. {@link #budget()}
     * @param recompute whether to recompute activations, or null to choose
     * @param moments the AdamW moment storage, or null to choose
     * @return the first plan that fits
     * @throws IllegalStateException when no allowed plan fits the budget
     */
    public static MemoryPlan choose(ModelConfig cfg, int batch, int time, int labelled, long budget, Boolean recompute,
                                    AdamW.Moments moments) {
        MemoryPlan last = null;
        for (boolean r : recompute != null ? new boolean[] {recompute} : new boolean[] {false, true}) {
            for (AdamW.Moments m : moments != null ? new AdamW.Moments[] {moments} : AdamW.Moments.values()) {
                last = of(cfg, batch, time, labelled, r, m);
                if (last.totalBytes() <= budget * USABLE - OVERHEAD) {
                    return last;
                }
            }
        }
        if (recompute == null && moments == null) {
            last = of(cfg, batch, time, labelled, true, AdamW.Moments.BF16);
        }
        throw new IllegalStateException(String.format(Locale.ROOT, "a training step of %s with batch %d x %d tokens needs about %s"
                        + " (%s), more than %.0f%% of the %s this process may use, less 1 GiB for the JVM; lower the batch size or"
                        + " the maximum example length, or raise the limit: java -Dorg.bytedeco.javacpp.maxbytes=20g"
                        + " -Dorg.bytedeco.javacpp.maxphysicalbytes=22g ...", cfg, batch, time, gib(last.totalBytes()), last,
                USABLE * 100, gib(budget)));
    }

    /**
     * The memory this process may allocate for tensors: JavaCPP's off-heap limit ({@code org.bytedeco.javacpp.maxbytes},
     * by default the heap size) or what the machine has available now (plus what this process already holds),
     * whichever is smaller: on a shared machine other processes' memory is not ours to plan with.
     * @return the budget in bytes ({@link Long#MAX_VALUE} when neither is known)
     */
    public static long budget() {
        long limit = Pointer.maxBytes() > 0 ? Pointer.maxBytes() : Long.MAX_VALUE;
        long available = Pointer.availablePhysicalBytes() > 0 ? Pointer.availablePhysicalBytes() + Pointer.physicalBytes()
                : Long.MAX_VALUE;
        return Math.min(limit, available);
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%,d parameters: weights %s + gradients %s + %s moments %s + activations %s%s = %s",
                parameters, gib(weightBytes), gib(gradientBytes), moments.label(), gib(momentBytes), gib(activationBytes),
                recompute ? " (recomputed per block)" : "", gib(totalBytes()));
    }
}
