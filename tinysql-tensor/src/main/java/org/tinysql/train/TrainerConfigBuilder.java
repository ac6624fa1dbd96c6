package org.tinysql.train;

/**
 * Builds a {@link TrainerConfig} by name instead of 17 positional values. Every setting starts at
 * {@link TrainerConfig#defaults}: learning rate 1e-3 decaying to 1e-4 after 5% warmup, weight decay 0.01, gradient clip
 * 1.0, no validation (4 batches when enabled), a checkpoint only at the end (two kept), seed 1234, examples up to 512
 * tokens, plain shuffled batches, packed rows, no forced resume, {@link OptimizerConfig#SCRATCH}.
 *
 * <pre>{@code
 * TrainerConfig c = TrainerConfig.builder(3000, 32).lr(2e-3, 2e-4).checkpointEvery(200).evalEvery(300).build();
 * }</pre>
 */
public final class TrainerConfigBuilder {
    private int steps;
    private int batchSize;
    private double peakLr;
    private double minLr;
    private int warmupSteps;
    private double weightDecay;
    private double clipNorm;
    private int evalEvery;
    private int evalBatches;
    private int checkpointEvery;
    private int keepCheckpoints;
    private long seed;
    private int maxLength;
    private int lengthBuckets;
    private boolean pack;
    private boolean force;
    private OptimizerConfig optimizer;
    private Curriculum curriculum;

    TrainerConfigBuilder(TrainerConfig c) {
        steps = c.steps();
        batchSize = c.batchSize();
        peakLr = c.peakLr();
        minLr = c.minLr();
        warmupSteps = c.warmupSteps();
        weightDecay = c.weightDecay();
        clipNorm = c.clipNorm();
        evalEvery = c.evalEvery();
        evalBatches = c.evalBatches();
        checkpointEvery = c.checkpointEvery();
        keepCheckpoints = c.keepCheckpoints();
        seed = c.seed();
        maxLength = c.maxLength();
        lengthBuckets = c.lengthBuckets();
        pack = c.pack();
        force = c.force();
        optimizer = c.optimizer();
        curriculum = c.curriculum();
    }

    /**
     * @param n optimisation steps in total, at least 0
     * @return this builder
     */
    public TrainerConfigBuilder steps(int n) {
        steps = n;
        return this;
    }

    /**
     * @param n examples per step, at least 1
     * @return this builder
     */
    public TrainerConfigBuilder batchSize(int n) {
        batchSize = n;
        return this;
    }

    /**
     * @param peak learning rate after warmup
     * @param min  learning rate at the end of the decay
     * @return this builder
     */
    public TrainerConfigBuilder lr(double peak, double min) {
        peakLr = peak;
        minLr = min;
        return this;
    }

    /**
     * @param n linear warmup steps
     * @return this builder
     */
    public TrainerConfigBuilder warmupSteps(int n) {
        warmupSteps = n;
        return this;
    }

    /**
     * @param wd AdamW's decoupled weight decay
     * @return this builder
     */
    public TrainerConfigBuilder weightDecay(double wd) {
        weightDecay = wd;
        return this;
    }

    /**
     * @param norm global gradient-norm clip (0 disables)
     * @return this builder
     */
    public TrainerConfigBuilder clipNorm(double norm) {
        clipNorm = norm;
        return this;
    }

    /**
     * @param every steps between validation losses (0 disables)
     * @return this builder
     */
    public TrainerConfigBuilder evalEvery(int every) {
        evalEvery = every;
        return this;
    }

    /**
     * @param n validation batches per evaluation
     * @return this builder
     */
    public TrainerConfigBuilder evalBatches(int n) {
        evalBatches = n;
        return this;
    }

    /**
     * @param every steps between checkpoints (0: only at the end)
     * @return this builder
     */
    public TrainerConfigBuilder checkpointEvery(int every) {
        checkpointEvery = every;
        return this;
    }

    /**
     * @param n how many checkpoints to keep
     * @return this builder
     */
    public TrainerConfigBuilder keepCheckpoints(int n) {
        keepCheckpoints = n;
        return this;
    }

    /**
     * @param s data-order seed
     * @return this builder
     */
    public TrainerConfigBuilder seed(long s) {
        seed = s;
        return this;
    }

    /**
     * @param tokens longest example in tokens; longer ones are left out
     * @return this builder
     */
    public TrainerConfigBuilder maxLength(int tokens) {
        maxLength = tokens;
        return this;
    }

    /**
     * @param groups batches per group sorted by length (1: plain shuffled batches)
     * @return this builder
     */
    public TrainerConfigBuilder lengthBuckets(int groups) {
        lengthBuckets = groups;
        return this;
    }

    /**
     * @param on whether to pack several examples into each row
     * @return this builder
     */
    public TrainerConfigBuilder pack(boolean on) {
        pack = on;
        return this;
    }

    /**
     * @param on whether to resume from a checkpoint written with other settings
     * @return this builder
     */
    public TrainerConfigBuilder force(boolean on) {
        force = on;
        return this;
    }

    /**
     * @param o AdamW's betas, moment storage and decay shape
     * @return this builder
     */
    public TrainerConfigBuilder optimizer(OptimizerConfig o) {
        optimizer = o;
        return this;
    }

    /**
     * @param c which examples the first steps draw from ({@link Curriculum#NONE}: all of them)
     * @return this builder
     */
    public TrainerConfigBuilder curriculum(Curriculum c) {
        curriculum = c;
        return this;
    }

    /**
     * @return the configuration
     * @throws IllegalArgumentException when a value is out of range (see {@link TrainerConfig})
     */
    public TrainerConfig build() {
        return new TrainerConfig(steps, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches,
                checkpointEvery, keepCheckpoints, seed, maxLength, lengthBuckets, pack, force, optimizer, curriculum);
    }
}
