package org.tinysql.train;

import java.util.Locale;

/**
 * Linear warmup to the peak learning rate, then a decay to {@code minLr} at {@code totalSteps}: cosine (our recipe for
 * training from scratch) or linear (the HuggingFace Trainer's default, which the TinySQL fine-tunes used).
 * @param peakLr the learning rate at the end of warmup; positive
 * @param minLr the learning rate from {@code totalSteps} on, in [0, peakLr]
 * @param warmupSteps the linear warmup steps, at least 0
 * @param totalSteps the step at which the decay reaches {@code minLr}; positive
 * @param shape the decay after warmup; not null
 */
public record LrSchedule(double peakLr, double minLr, int warmupSteps, int totalSteps, Shape shape) {

    /** The decay after warmup. */
    public enum Shape {
        /** Half a cosine from the peak down to {@code minLr}. */
        COSINE,
        /** A straight line from the peak down to {@code minLr}. */
        LINEAR;

        /**
         * The lower-case name used in trainer_state.json and on the command line.
         * @return "cosine" or "linear"
         */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The shape named by a label, ignoring case.
         * @param s "cosine" or "linear" (any case)
         * @return the shape
         * @throws IllegalArgumentException for any other name
         */
        public static Shape parse(String s) {
            for (Shape x : values()) {
                if (x.label().equals(s.toLowerCase(Locale.ROOT))) {
                    return x;
                }
            }
            throw new IllegalArgumentException("learning-rate schedule must be cosine or linear, not '" + s + "'");
        }
    }

    /**
     * Checks the schedule: 0 &lt;= minLr &lt;= peakLr, peakLr &gt; 0, warmup &gt;= 0, total &gt; 0, shape given.
     * @param peakLr the learning rate at the end of warmup; positive
     * @param minLr the learning rate from {@code totalSteps} on, in [0, peakLr]
     * @param warmupSteps the linear warmup steps, at least 0
     * @param totalSteps the step at which the decay reaches {@code minLr}; positive
     * @param shape the decay after warmup; not null
     */
    public LrSchedule {
        if (peakLr <= 0 || minLr < 0 || minLr > peakLr || warmupSteps < 0 || totalSteps <= 0 || shape == null) {
            throw new IllegalArgumentException("bad schedule: need 0 <= minLr <= peakLr, peakLr > 0, warmup >= 0, total > 0");
        }
    }

    /**
     * The cosine schedule.
     * @param peakLr the learning rate at the end of warmup; positive
     * @param minLr the learning rate from {@code totalSteps} on, in [0, peakLr]
     * @param warmupSteps the linear warmup steps, at least 0
     * @param totalSteps the step at which the decay reaches {@code minLr}; positive
     */
    public LrSchedule(double peakLr, double minLr, int warmupSteps, int totalSteps) {
        this(peakLr, minLr, warmupSteps, totalSteps, Shape.COSINE);
    }

    /**
     * Learning rate at step {@code s} (0-based).
     * @param s the step, 0-based
     * @return the learning rate: rising to the peak over warmup, then decaying, then {@code minLr}
     */
    public double at(long s) {
        if (s < warmupSteps) {
            return peakLr * (s + 1) / warmupSteps;
        }
        if (s >= totalSteps) {
            return minLr;
        }
        double progress = (double) (s - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return shape == Shape.COSINE ? minLr + 0.5 * (peakLr - minLr) * (1 + Math.cos(Math.PI * progress))
                : minLr + (peakLr - minLr) * (1 - progress);
    }
}
