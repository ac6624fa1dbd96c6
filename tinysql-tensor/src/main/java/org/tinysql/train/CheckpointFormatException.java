package org.tinysql.train;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint file that cannot be used; the message names the file and the field. */
public final class CheckpointFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * A problem in one field of a file.
     * @param file the file at fault
     * @param field the field or tensor at fault
     * @param problem what is wrong with it
     */
    public CheckpointFormatException(Path file, String field, String problem) {
        super(file + ": " + field + ": " + problem);
    }
}
