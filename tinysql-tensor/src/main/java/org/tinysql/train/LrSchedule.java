package org.tinysql.train;

import java.util.Locale;

/**
 * Linear warmup to the peak learning rate, then a decay to {@code minLr} at {@code totalSteps}: cosine (our recipe for
 * training from scratch) or linear (the HuggingFace Trainer's default, which the TinySQL fine-tunes used).
 */
public record LrSchedule(double peakLr, double minLr, int warmupSteps, int totalSteps, Shape shape) {

    /** The decay after warmup. */
    public enum Shape {
        COSINE, LINEAR;

        /** The lower-case name used in trainer_state.json and on the command line. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Shape parse(String s) {
            for (Shape x : values()) {
                if (x.label().equals(s.toLowerCase(Locale.ROOT))) {
                    return x;
                }
            }
            throw new IllegalArgumentException("learning-rate schedule must be cosine or linear, not '" + s + "'");
        }
    }

    public LrSchedule {
        if (peakLr <= 0 || minLr < 0 || minLr > peakLr || warmupSteps < 0 || totalSteps <= 0 || shape == null) {
            throw new IllegalArgumentException("bad schedule: need 0 <= minLr <= peakLr, peakLr > 0, warmup >= 0, total > 0");
        }
    }

    /** The cosine schedule. */
    public LrSchedule(double peakLr, double minLr, int warmupSteps, int totalSteps) {
        this(peakLr, minLr, warmupSteps, totalSteps, Shape.COSINE);
    }

    /** Learning rate at step {@code s} (0-based). */
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
