package org.tinysql.train;

/** Linear warmup to the peak learning rate, then cosine decay to {@code minLr} at {@code totalSteps}. */
public record LrSchedule(double peakLr, double minLr, int warmupSteps, int totalSteps) {

    public LrSchedule {
        if (peakLr <= 0 || minLr < 0 || minLr > peakLr || warmupSteps < 0 || totalSteps <= 0) {
            throw new IllegalArgumentException("bad schedule: need 0 <= minLr <= peakLr, peakLr > 0, warmup >= 0, total > 0");
        }
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
        return minLr + 0.5 * (peakLr - minLr) * (1 + Math.cos(Math.PI * progress));
    }
}
