package org.tinysql.model;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.tensor.CheckpointFormatException;

/**
 * What loading a checkpoint does with NaN or infinite weights. The default is {@link #FAIL}; set the system property
 * {@value #PROPERTY} to {@code warn} (or pass {@link #WARN} to {@link HfCheckpoint#load(Path, ModelConfig, NonFiniteWeights)})
 * to load such a checkpoint anyway, with a warning per tensor.
 */
public enum NonFiniteWeights {
    /** Refuse the checkpoint, naming the tensor and the file. */
    FAIL,
    /** Load it, logging a warning that names the tensor and the file. */
    WARN;

    /** The system property that chooses the default policy: {@code fail} or {@code warn}. */
    public static final String PROPERTY = "tinysql.checkpoint.nonFinite";
    private static final Logger LOG = LoggerFactory.getLogger(NonFiniteWeights.class);

    /**
     * The policy named by {@value #PROPERTY} ({@link #FAIL} when unset).
     * @return FAIL or WARN
     */
    public static NonFiniteWeights fromSystemProperty() {
        String v = System.getProperty(PROPERTY, "fail");
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "fail" -> FAIL;
            case "warn" -> WARN;
            default -> throw new IllegalArgumentException("system property " + PROPERTY + "=" + v + " (expected fail or warn)");
        };
    }

    /**
     * Applies the policy to elements [0, n) of a tensor just read from {@code file}.
     * @param values the tensor's values
     * @param n the number of elements to check
     * @param tensor the tensor's name, for the message
     * @param file the file it was read from, for the message
     * @throws CheckpointFormatException when a value is not finite and the policy is {@link #FAIL}
     */
    public void check(FloatBuffer values, int n, String tensor, Path file) throws CheckpointFormatException {
        int bad = 0;
        int first = -1;
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(values.get(i)) && bad++ == 0) {
                first = i;
            }
        }
        if (bad == 0) {
            return;
        }
        String what = "tensor '" + CheckpointFormatException.excerpt(tensor) + "' has " + bad + " non-finite values of " + n
                + " (first: " + values.get(first) + " at element " + first + ")";
        if (this == FAIL) {
            throw new CheckpointFormatException(file, what + "; refusing to load it (-D" + PROPERTY + "=warn loads it anyway)");
        }
        LOG.warn("{}: {}; loading it anyway because {}=warn", file, what, PROPERTY);
    }
}
