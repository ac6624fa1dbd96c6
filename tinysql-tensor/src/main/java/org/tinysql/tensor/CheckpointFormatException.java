package org.tinysql.tensor;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint file (config.json, a safetensors file, a shard index) that is malformed, unsafe or outside our limits.
 * The message starts with the file and names the field or tensor at fault.
 */
public class CheckpointFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The file at fault, as text (so the exception stays serialisable). */
    private final String file;

    /**
     * A problem in a file.
     * @param file the file at fault
     * @param problem what is wrong, naming the field or tensor
     */
    public CheckpointFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = String.valueOf(file);
    }

    /**
     * A problem in a file, found through another exception.
     * @param file the file at fault
     * @param problem what is wrong, naming the field or tensor
     * @param cause the exception that revealed it
     */
    public CheckpointFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = String.valueOf(file);
    }

    /**
     * A short printable rendering of a value from the file for an error message: at most 80 characters, control
     * characters escaped, so a hostile name cannot flood or forge log lines.
     * @param value any value read from the file (null allowed)
     * @return its string form, escaped and cut to 80 characters (then "...")
     */
    public static String excerpt(Object value) {
        String s = String.valueOf(value);
        StringBuilder b = new StringBuilder();
        int i = 0;
        for (; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return i < s.length() ? b.append("...").toString() : b.toString();
    }

    /**
     * The file at fault.
     * @return the path as given, as text
     */
    public String file() {
        return file;
    }
}
