package org.tinysql.train;

/**
 * The settings of a {@link Trainer} run. Make one with {@link #builder} (or {@link #defaults}) and derive others with
 * {@link #toBuilder} or the {@code with...} methods; a configuration never changes.
 *
 * @param steps           optimisation steps in total
 * @param batchSize       examples per step
 * @param peakLr          learning rate after warmup
 * @param minLr           learning rate at the end of the cosine decay
 * @param warmupSteps     linear warmup steps
 * @param weightDecay     AdamW decoupled weight decay
 * @param clipNorm        global gradient-norm clip (0 disables)
 * @param evalEvery       steps between validation losses (0 disables)
 * @param evalBatches     validation batches per evaluation
 * @param checkpointEvery steps between checkpoints (0: only at the end)
 * @param keepCheckpoints how many checkpoints to keep
 * @param seed            data-order seed
 * @param maxLength       longest example in tokens
 * @param lengthBuckets   batches per group sorted by length (1 = plain shuffled batches). Measured on CS1: 16
 *                        cut padding but made batches homogeneous in length (and so in the number of fields),
 *                        which slowed learning (73.6% exact match after 5000 steps against 94.0%); packing
 *                        removes the padding without that cost
 * @param pack            pack several examples into each row (segment-masked attention, positions restarting per
 *                        example): the same loss and gradients as one example per row, with almost no padding
 * @param force           resume from a checkpoint even if it was written with other settings (steps, batch size,
 *                        learning rates, schedule, seed, training set...; see {@link RunSettings}); without it such
 *                        a resume is refused with the list of differences
 * @param optimizer       AdamW's betas, moment storage and the decay shape
 * @param curriculum      which examples the first steps draw from ({@link Curriculum#NONE}: all of them)
 */
public record TrainerConfig(int steps, int batchSize, double peakLr, double minLr, int warmupSteps, double weightDecay,
                            double clipNorm, int evalEvery, int evalBatches, int checkpointEvery, int keepCheckpoints, long seed,
                            int maxLength, int lengthBuckets, boolean pack, boolean force, OptimizerConfig optimizer,
                            Curriculum curriculum) {

    /**
     * Checks the settings: the optimiser is required, and steps, batch size, buckets and length must be usable.
     * @param steps optimisation steps in total, at least 0
     * @param batchSize examples per step, at least 1
     * @param peakLr learning rate after warmup
     * @param minLr learning rate at the end of the decay
     * @param warmupSteps linear warmup steps
     * @param weightDecay AdamW decoupled weight decay
     * @param clipNorm global gradient-norm clip (0 disables)
     * @param evalEvery steps between validation losses (0 disables)
     * @param evalBatches validation batches per evaluation
     * @param checkpointEvery steps between checkpoints (0: only at the end)
     * @param keepCheckpoints how many checkpoints to keep
     * @param seed data-order seed
     * @param maxLength longest example in tokens, at least 2
     * @param lengthBuckets batches per group sorted by length, at least 1 (1 = plain shuffled batches)
     * @param pack whether to pack several examples into each row
     * @param force whether to resume from a checkpoint written with other settings
     * @param optimizer AdamW's betas, moment storage and the decay shape; not null
     * @param curriculum short examples first, or null (read as {@link Curriculum#NONE}); at most {@code steps} steps
     */
    public TrainerConfig {
        if (optimizer == null) {
            throw new IllegalArgumentException("optimizer settings are required");
        }
        if (curriculum == null) {
            curriculum = Curriculum.NONE;
        }
        if (curriculum.steps() > steps) {
            throw new IllegalArgumentException("the curriculum's " + curriculum.steps() + " steps exceed the run's " + steps);
        }
        if (steps < 0 || batchSize < 1 || lengthBuckets < 1 || maxLength < 2) {
            throw new IllegalArgumentException("need steps >= 0, batchSize >= 1, lengthBuckets >= 1 and maxLength >= 2: steps "
                    + steps + ", batchSize " + batchSize + ", lengthBuckets " + lengthBuckets + ", maxLength " + maxLength);
        }
    }

    /**
     * Settings with plain shuffled batches (one length bucket), packed rows, no forced resume,
     * {@link OptimizerConfig#SCRATCH} and no curriculum.
     * @param steps optimisation steps in total, at least 0
     * @param batchSize examples per step, at least 1
     * @param peakLr learning rate after warmup
     * @param minLr learning rate at the end of the decay
     * @param warmupSteps linear warmup steps
     * @param weightDecay AdamW decoupled weight decay
     * @param clipNorm global gradient-norm clip (0 disables)
     * @param evalEvery steps between validation losses (0 disables)
     * @param evalBatches validation batches per evaluation
     * @param checkpointEvery steps between checkpoints (0: only at the end)
     * @param keepCheckpoints how many checkpoints to keep
     * @param seed data-order seed
     * @param maxLength longest example in tokens, at least 2
     */
    public TrainerConfig(int steps, int batchSize, double peakLr, double minLr, int warmupSteps, double weightDecay,
                  double clipNorm, int evalEvery, int evalBatches, int checkpointEvery, int keepCheckpoints, long seed,
                  int maxLength) {
        this(steps, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches, checkpointEvery,
                keepCheckpoints, seed, maxLength, 1, true, false, OptimizerConfig.SCRATCH, Curriculum.NONE);
    }

    /**
     * The from-scratch recipe: learning rate 1e-3 to 1e-4, 5% warmup, weight decay 0.01, clip 1.0, no validation,
     * a checkpoint only at the end (two kept), seed 1234, examples up to 512 tokens.
     * @param steps optimisation steps in total
     * @param batchSize examples per step
     * @return the settings
     */
    public static TrainerConfig defaults(int steps, int batchSize) {
        return new TrainerConfig(steps, batchSize, 1e-3, 1e-4, Math.max(1, steps / 20), 0.01, 1.0, 0, 4, 0, 2, 1234, 512);
    }

    /**
     * A builder that starts from {@link #defaults}.
     * @param steps optimisation steps in total
     * @param batchSize examples per step
     * @return a builder; {@link TrainerConfigBuilder#build} makes the configuration
     */
    public static TrainerConfigBuilder builder(int steps, int batchSize) {
        return new TrainerConfigBuilder(defaults(steps, batchSize));
    }

    /** @return a builder that starts from this configuration */
    public TrainerConfigBuilder toBuilder() {
        return new TrainerConfigBuilder(this);
    }

    /**
     * The same settings with another number of length buckets.
     * @param groups batches per group sorted by length, at least 1 (1 = plain shuffled batches)
     * @return a new config; this one is unchanged
     */
    public TrainerConfig withLengthBuckets(int groups) {
        return new TrainerConfig(steps, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches,
                checkpointEvery, keepCheckpoints, seed, maxLength, groups, pack, force, optimizer, curriculum);
    }

    /**
     * The same settings with other learning rates.
     * @param peak learning rate after warmup
     * @param min learning rate at the end of the decay
     * @return a new config; this one is unchanged
     */
    public TrainerConfig withLr(double peak, double min) {
        return new TrainerConfig(steps, batchSize, peak, min, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches,
                checkpointEvery, keepCheckpoints, seed, maxLength, lengthBuckets, pack, force, optimizer, curriculum);
    }

    /**
     * The same configuration that resumes even from a checkpoint with other settings (see {@code force}).
     * @param on true to resume despite different settings
     * @return a new config; this one is unchanged
     */
    public TrainerConfig withForce(boolean on) {
        return new TrainerConfig(steps, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches,
                checkpointEvery, keepCheckpoints, seed, maxLength, lengthBuckets, pack, on, optimizer, curriculum);
    }

    /**
     * The same settings with other checkpoint and validation intervals.
     * @param every steps between checkpoints (0: only at the end)
     * @param eval steps between validation losses (0 disables)
     * @return a new config; this one is unchanged
     */
    public TrainerConfig withCheckpoints(int every, int eval) {
        return new TrainerConfig(steps, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, eval, evalBatches, every,
                keepCheckpoints, seed, maxLength, lengthBuckets, pack, force, optimizer, curriculum);
    }

    /**
     * The same settings with another optimiser.
     * @param o AdamW's betas, moment storage and decay shape; not null
     * @return a new config; this one is unchanged
     */
    public TrainerConfig withOptimizer(OptimizerConfig o) {
        return new TrainerConfig(steps, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches,
                checkpointEvery, keepCheckpoints, seed, maxLength, lengthBuckets, pack, force, o, curriculum);
    }

    /**
     * The same settings with another curriculum.
     * @param c which examples the first steps draw from; {@link Curriculum#NONE} for all of them
     * @return a new config; this one is unchanged
     */
    public TrainerConfig withCurriculum(Curriculum c) {
        return new TrainerConfig(steps, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches,
                checkpointEvery, keepCheckpoints, seed, maxLength, lengthBuckets, pack, force, optimizer, c);
    }
}
