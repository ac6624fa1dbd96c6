package org.tinysql.interp;

/**
 * The normalised patching metric {@code (patched - corrupt) / (clean - corrupt)} of a {@link Metric} (e.g. the logit
 * difference): 1 when patching restores the clean behaviour, 0 when it has no effect.
 */
public final class PatchingMetric {

    private PatchingMetric() {
    }

    /**
     * {@code (patched - corrupt) / (clean - corrupt)}.
     *
     * @param patched the metric of the patched run
     * @param clean   the metric of the clean run
     * @param corrupt the metric of the corrupt run
     * @return the normalised metric; may lie outside [0, 1] when patching overshoots
     * @throws IllegalArgumentException when clean and corrupt metrics coincide (nothing to restore)
     */
    public static double normalized(double patched, double clean, double corrupt) {
        double span = clean - corrupt;
        if (Math.abs(span) < 1e-12) {
            throw new IllegalArgumentException("clean and corrupt metrics are equal (" + clean
                    + "): the normalised metric is undefined for this pair");
        }
        return (patched - corrupt) / span;
    }
}
