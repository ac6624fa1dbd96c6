package org.tinysql.train;

import java.nio.file.Path;

/**
 * A training checkpoint file (trainer_state.json, optimizer.safetensors) that cannot be used; the message names the
 * file and the field. A kind of {@link org.tinysql.tensor.CheckpointFormatException}, so one catch of that type covers
 * model and training checkpoints alike.
 */
public final class CheckpointFormatException extends org.tinysql.tensor.CheckpointFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * A problem in one field of a file.
     * @param file the file at fault
     * @param field the field or tensor at fault
     * @param problem what is wrong with it
     */
    public CheckpointFormatException(Path file, String field, String problem) {
        super(file, field + ": " + problem);
    }
}
