package org.tinysql.interp.sae;

import java.util.Locale;
import java.util.function.IntFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.AdamStep;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.Kernels;
import org.tinysql.util.Progress;

/**
 * Trains an {@link Sae} with Adam on batches of normalized activations: MSE reconstruction loss (sum over C, mean over
 * rows) plus the architecture's sparsity term (ReLU: L1 of latents weighted by decoder row norms; JumpReLU: L0 with
 * straight-through threshold gradients) and, for TopK/BatchTopK, the AuxK loss on dead latents. Learning rate: linear
 * warmup, constant, linear decay to 0 over the last {@code decayFraction} of the steps. Latents that have not fired
 * for {@code deadWindow} tokens are dead.
 *
 * <p>Gradients, Adam moments and every batch array live on the SAE's {@link Kernels} backend; a step reads back only
 * its loss terms and which latents fired ([S], for the dead-latent counts).
 */
public final class SaeTrainer {

    /**
     * What one step measured (normalized space).
     *
     * @param loss         the total loss
     * @param mse          the reconstruction term
     * @param sparsity     the sparsity term (0 for TopK variants)
     * @param aux          the AuxK term (0 without dead latents or outside TopK variants)
     * @param l0           mean active latents per row
     * @param fvu          fraction of variance unexplained
     * @param deadFraction share of latents dead when the step began
     */
    public record StepStats(double loss, double mse, double sparsity, double aux, double l0, double fvu, double deadFraction) {
        /**
         * One line for progress displays: loss, MSE, L0, FVU and dead share.
         *
         * @return the line
         */
        public String describe() {
            return String.format(Locale.ROOT, "loss %.4f mse %.4f L0 %.1f fvu %.3f dead %.1f%%", loss, mse, l0, fvu, 100 * deadFraction);
        }
    }

    private final Sae sae;
    private final SaeTrainerConfig cfg;
    private final Kernels k;
    private final int S;
    /** Parameters, their gradients and Adam moments, in the same order: W_enc, b_enc, W_dec, b_dec (, log threshold). */
    private final INDArray[] params;
    private final INDArray[] grads;
    private final INDArray[] m;
    private final INDArray[] v;
    private final long[] sinceFired;
    private SaeLoss.Batch batch;
    private long step;

    /**
     * A trainer with zero Adam moments and gradient arrays on the SAE's backend.
     *
     * @param sae the SAE, trained in place
     * @param cfg the hyper-parameters
     */
    public SaeTrainer(Sae sae, SaeTrainerConfig cfg) {
        this.sae = sae;
        this.cfg = cfg;
        this.k = sae.kernels;
        this.S = sae.S;
        params = sae.logThreshold != null ? new INDArray[] {sae.wEnc, sae.bEnc, sae.wDec, sae.bDec, sae.logThreshold}
                : new INDArray[] {sae.wEnc, sae.bEnc, sae.wDec, sae.bDec};
        grads = new INDArray[params.length];
        m = new INDArray[params.length];
        v = new INDArray[params.length];
        for (int i = 0; i < params.length; i++) {
            grads[i] = k.zeros(params[i].shape());
            m[i] = k.zeros(params[i].shape());
            v[i] = k.zeros(params[i].shape());
        }
        sinceFired = new long[S];
    }

    /**
     * The SAE being trained.
     *
     * @return the SAE, updated in place by every step
     */
    public Sae sae() {
        return sae;
    }

    /**
     * The number of steps taken so far.
     *
     * @return the count
     */
    public long steps() {
        return step;
    }

    /**
     * Learning rate at step {@code s} of {@code total}.
     *
     * @param s     the step, 0-based
     * @param total the number of steps of the run
     * @return the scheduled learning rate
     */
    public double lrAt(long s, long total) {
        double warm = cfg.warmupSteps() > 0 ? Math.min(1.0, (s + 1) / (double) cfg.warmupSteps()) : 1.0;
        long decayStart = (long) (total * (1 - cfg.decayFraction()));
        double decay = s < decayStart ? 1.0 : Math.max(0.0, (total - s) / (double) Math.max(1, total - decayStart));
        return cfg.lr() * warm * decay;
    }

    /**
     * Latents that have not fired within the dead window.
     *
     * @return [S] {@code true} for each dead latent
     */
    public boolean[] deadLatents() {
        boolean[] d = new boolean[S];
        for (int j = 0; j < S; j++) {
            d[j] = sinceFired[j] >= cfg.deadWindow();
        }
        return d;
    }

    /**
     * {@code steps} steps on host batches (normalized rows [n, C]; the function gets the step index).
     *
     * @param batches  gives the rows of step s, row-major, a multiple of C floats
     * @param steps    the number of steps, also the schedule's length
     * @param progress advanced by one per step, its status the latest stats
     * @return the stats of the last step, or {@code null} for 0 steps
     * @throws IllegalStateException if the loss stops being finite
     */
    public StepStats train(IntFunction<float[]> batches, int steps, Progress progress) {
        try (Arena a = new Arena(k)) {
            INDArray[] dev = new INDArray[1];
            return trainArrays(s -> {
                float[] x = batches.apply(s);
                int n = x.length / sae.C;
                if (dev[0] == null || dev[0].size(0) != n) {
                    dev[0] = a.zeros(n, sae.C);
                }
                Buffers.fb(dev[0]).put(0, x);
                return dev[0];
            }, steps, progress);
        }
    }

    /**
     * As the method with a {@code Progress} argument, without progress reporting.
     *
     * @param batches  gives the rows of step s, row-major, a multiple of C floats
     * @param steps    the number of steps, also the schedule's length
     * @return the stats of the last step, or {@code null} for 0 steps
     * @throws IllegalStateException if the loss stops being finite
     */
    public StepStats train(IntFunction<float[]> batches, int steps) {
        return train(batches, steps, Progress.NONE);
    }

    /**
     * {@code steps} steps on batches of backend arrays (normalized rows [n, C]; the function gets the step index).
     *
     * @param batches  gives the [n, C] rows of step s on the SAE's backend
     * @param steps    the number of steps, also the schedule's length
     * @param progress advanced by one per step, its status the latest stats
     * @return the stats of the last step, or {@code null} for 0 steps
     * @throws IllegalStateException if the loss stops being finite
     */
    public StepStats trainArrays(IntFunction<INDArray> batches, int steps, Progress progress) {
        StepStats last = null;
        for (int s = 0; s < steps; s++) {
            last = step(batches.apply(s), s, steps);
            progress.advance(1);
            if (s % 10 == 0 || s == steps - 1) {
                progress.status(last.describe());
            }
        }
        return last;
    }

    /**
     * Step {@code s} of a {@code steps}-step schedule on normalized rows [n, C] (for SAEs trained side by side).
     *
     * @param x     [n, C] the rows, on the SAE's backend
     * @param s     the step index
     * @param steps the schedule's length
     * @return what the step measured
     * @throws IllegalStateException if the loss is not finite
     */
    public StepStats step(INDArray x, int s, int steps) {
        StepStats st = step(x, lrAt(s, steps));
        if (!Double.isFinite(st.loss())) {
            throw new IllegalStateException("SAE loss became " + st.loss() + " at step " + s + "; lower the learning rate");
        }
        return st;
    }

    /**
     * An SAE and the stats of its last training step.
     *
     * @param sae  the trained SAE
     * @param last the stats of its last step, or {@code null} for 0 steps
     */
    public record Trained(Sae sae, StepStats last) {
    }

    /**
     * The usual run on a store of activations, as the {@code sae} command, the study and the examples train: normalizes
     * the store (the SAE keeps the scale, so it reads and writes raw activations), initialises an SAE of {@code base}
     * with {@code seed}, sets its decoder bias to the store's mean (or median), and trains it with Adam at {@code lr}
     * ({@link SaeTrainerConfig#defaults()} otherwise) on batches of {@code batchRows} rows for {@code steps} steps.
     *
     * @param store     activations of {@code base}'s hook; normalized here
     * @param base      the architecture, widths, k and hook (its norm scale is set here)
     * @param median    whether the decoder bias is the median (else the mean)
     * @param lr        the peak learning rate
     * @param batchRows rows per step
     * @param steps     training steps
     * @param seed      the initialisation seed
     * @param kernels   the backend of the SAE
     * @param progress  advanced by one per step
     * @return the SAE and its last step's stats
     */
    public static Trained fit(ActivationStore store, SaeConfig base, boolean median, double lr, int batchRows, int steps, long seed,
                              Kernels kernels, Progress progress) {
        SaeTrainer t = prepare(store, base, median, lr, seed, kernels);
        StepStats last = t.trainArrays(store.batches(batchRows), steps, progress);
        return new Trained(t.sae(), last);
    }

    /**
     * {@link #fit}'s set-up without the training: normalizes the store, initialises the SAE with its norm scale and
     * the decoder bias at the buffer's mean (or median); train it with {@link #step(INDArray, int, int)}.
     *
     * @param store   the activations, normalized by this call
     * @param base    the SAE's configuration
     * @param median  the decoder bias at the coordinate-wise median instead of the mean
     * @param lr      the peak learning rate
     * @param seed    seeds the initialisation
     * @param kernels the backend
     * @return the trainer
     */
    public static SaeTrainer prepare(ActivationStore store, SaeConfig base, boolean median, double lr, long seed, Kernels kernels) {
        double scale = store.normalize();
        Sae sae = Sae.init(base.withNormScale(scale), seed, kernels);
        sae.setDecoderBias(store.center(median));
        return new SaeTrainer(sae, SaeTrainerConfig.defaults().withLr(lr));
    }

    /**
     * As the method with a {@code Progress} argument, without progress reporting.
     *
     * @param batches  gives the [n, C] rows of step s on the SAE's backend
     * @param steps    the number of steps, also the schedule's length
     * @return the stats of the last step, or {@code null} for 0 steps
     * @throws IllegalStateException if the loss stops being finite
     */
    public StepStats trainArrays(IntFunction<INDArray> batches, int steps) {
        return trainArrays(batches, steps, Progress.NONE);
    }

    /**
     * One Adam step on host normalized rows x [n, C].
     *
     * @param x  [n, C] row-major normalized rows
     * @param n  the number of rows
     * @param lr the learning rate of this step
     * @return what the step measured
     */
    public StepStats step(float[] x, int n, double lr) {
        try (Arena a = new Arena(k)) {
            return step(sae.upload(a, x, n), lr);
        }
    }

    /**
     * One Adam step on normalized rows x [n, C], an array of the SAE's backend.
     *
     * @param x  [n, C] normalized rows on the SAE's backend
     * @param lr the learning rate of this step
     * @return what the step measured
     */
    public StepStats step(INDArray x, double lr) {
        StepStats st = gradients(x);
        float[] fired = Buffers.toFloats(batch.firedMass);
        int n = sae.rowsOf(x);
        for (int j = 0; j < S; j++) {
            sinceFired[j] = fired[j] > 0 ? 0 : sinceFired[j] + n;
        }
        AdamStep as = AdamStep.of(lr, cfg.beta1(), cfg.beta2(), cfg.eps(), 0, step + 1);
        for (int i = 0; i < params.length; i++) {
            k.adamW(params[i], grads[i], m[i], v[i], as);
        }
        if (sae.cfg.architecture().unitNormDecoder()) {
            sae.normalizeDecoder();
        }
        sae.thresholdChanged();
        step++;
        return st;
    }

    /** Gradient arrays of the last {@link #gradients} call: W_enc, b_enc, W_dec, b_dec (, log threshold). */
    INDArray[] gradientArrays() {
        return grads;
    }

    /** The codes of the last {@link #gradients} call. */
    SparseCodes lastCodes() {
        return batch.z;
    }

    /** Loss and gradients (into the gradient arrays) of normalized rows x [n, C]; no parameter changes. */
    StepStats gradients(INDArray x) {
        int n = sae.rowsOf(x);
        if (batch == null || batch.n != n) {
            if (batch != null) {
                batch.close();
            }
            batch = new SaeLoss.Batch(k, n, sae.C, S);
        }
        for (INDArray g : grads) {
            k.zero(g);
        }
        return new SaeLoss(sae, cfg, batch, grads, deadLatents()).compute(x);
    }
}
