package org.tinysql.interp;

/**
 * Metrics of patching experiments on the answer position's logits.
 *
 * <p>Logit difference: {@code logit[clean answer] - logit[corrupt answer]}. Normalised patching metric:
 * {@code (patched - corrupt) / (clean - corrupt)}, 1 when patching restores the clean behaviour, 0 when it has
 * no effect.
 */
public final class PatchingMetric {

    private PatchingMetric() {
    }

    /** {@code logits[cleanToken] - logits[corruptToken]} of one position's logits [V]. */
    public static double logitDiff(float[] logits, int cleanToken, int corruptToken) {
        checkToken(logits, cleanToken, "clean answer token");
        checkToken(logits, corruptToken, "corrupt answer token");
        return (double) logits[cleanToken] - logits[corruptToken];
    }

    /**
     * {@code (patched - corrupt) / (clean - corrupt)}.
     *
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

    private static void checkToken(float[] logits, int token, String what) {
        if (token < 0 || token >= logits.length) {
            throw new IllegalArgumentException(what + " " + token + " is outside the vocabulary [0, " + logits.length + ")");
        }
    }
}
