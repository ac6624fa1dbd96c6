package org.tinysql.train;

/**
 * The optimiser of a run: AdamW's betas and epsilon, how it stores its moments, and the shape of the learning-rate
 * decay (the rates and steps are in {@link TrainerConfig}).
 *
 * @param beta1    first-moment decay
 * @param beta2    second-moment decay
 * @param eps      added to the second moment's square root
 * @param moments  F32 or BF16 moment storage (see {@link AdamW.Moments})
 * @param schedule cosine or linear decay after warmup
 */
public record OptimizerConfig(double beta1, double beta2, double eps, AdamW.Moments moments, LrSchedule.Shape schedule) {
    /** Training from scratch (our recipe): betas (0.9, 0.95) as nanoGPT, cosine decay, F32 moments. */
    public static final OptimizerConfig SCRATCH = new OptimizerConfig(0.9, 0.95, 1e-8, AdamW.Moments.F32, LrSchedule.Shape.COSINE);
    /**
     * Fine-tuning as the TinySQL models were: the HuggingFace Trainer's defaults ({@code adamw_torch}, betas (0.9,
     * 0.999), eps 1e-8, linear decay to 0), F32 moments.
     */
    public static final OptimizerConfig HF = new OptimizerConfig(0.9, 0.999, 1e-8, AdamW.Moments.F32, LrSchedule.Shape.LINEAR);

    /**
     * Checks the settings.
     * @param beta1 first-moment decay, in [0, 1)
     * @param beta2 second-moment decay, in [0, 1)
     * @param eps added to the second moment's square root; positive and finite
     * @param moments F32 or BF16 moment storage; not null
     * @param schedule cosine or linear decay after warmup; not null
     */
    public OptimizerConfig {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || Double.isInfinite(eps) || moments == null
                || schedule == null) {
            throw new IllegalArgumentException("bad optimizer settings: need 0 <= beta1, beta2 < 1, eps > 0 and finite: " + this);
        }
    }

    /**
     * The same settings with another moment storage.
     * @param m F32 or BF16 moment storage
     * @return a new config; this one is unchanged
     */
    public OptimizerConfig withMoments(AdamW.Moments m) {
        return new OptimizerConfig(beta1, beta2, eps, m, schedule);
    }
}
