package org.tinysql.tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/** Checks on files from strangers before they are opened: a FIFO or device would block the reader, a folder mislead it. */
public final class FileChecks {
    private FileChecks() {
    }

    /**
     * The size of {@code file} (symbolic links followed), after checking that it exists, is a regular file and holds at
     * most {@code maxBytes} bytes.
     * @param file the file to check
     * @param maxBytes the largest size allowed, in bytes
     * @return the file's size in bytes
     * @throws IOException when the attributes cannot be read, or a {@link CheckpointFormatException} when a check fails
     */
    public static long regularFile(Path file, long maxBytes) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new CheckpointFormatException(file, "no such file", e);
        }
        if (!a.isRegularFile()) {
            throw new CheckpointFormatException(file, "not a regular file (" + (a.isDirectory() ? "a folder" : "a FIFO, socket or device")
                    + "); refusing to read it");
        }
        if (a.size() > maxBytes) {
            throw new CheckpointFormatException(file, "file is " + a.size() + " bytes, over the limit of " + maxBytes);
        }
        return a.size();
    }
}
