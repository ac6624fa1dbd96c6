package org.tinysql.util;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The one place where files are written atomically: the content goes to a temporary file in the same folder,
 * is forced to disk, and is then renamed over the target. A reader therefore sees either the old file or the
 * complete new one, never a torn write; a failure leaves the old file untouched and no temporary file behind.
 * Every I/O error names the file being written.
 */
public final class AtomicFiles {
    /** Writes content into an open channel. */
    @FunctionalInterface
    public interface ChannelWriter {
        /**
         * Writes the whole content.
         *
         * @param channel the temporary file's channel, open for writing at position 0
         * @throws IOException to abandon the write; the target is left as it was
         */
        void write(FileChannel channel) throws IOException;
    }

    /** Writes content into an output stream. */
    @FunctionalInterface
    public interface StreamWriter {
        /**
         * Writes the whole content.
         *
         * @param out the temporary file's stream; buffered, flushed by the caller, not to be closed
         * @throws IOException to abandon the write; the target is left as it was
         */
        void write(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Refuses an output path that is a folder, as {@link #write} does before writing: callers that do long work before
     * their write check their outputs up front with it.
     *
     * @param file an output file the caller will write (may not exist yet)
     * @throws java.nio.file.FileSystemException "PATH: is a folder, not a file" when {@code file} is a folder
     */
    public static void refuseFolder(Path file) throws java.nio.file.FileSystemException {
        if (Files.isDirectory(file)) {
            throw new java.nio.file.FileSystemException(file.toString(), null, "is a folder, not a file");
        }
    }

    /**
     * Writes {@code file} atomically through a file channel (for large binary content).
     *
     * @param file   the target; its folder is created if missing, an existing file replaced
     * @param writer writes the content
     * @throws IOException if {@code file} is a folder, the folder or temporary file cannot be made, {@code writer}
     *     fails, or the rename fails; the message names {@code file}
     */
    public static void write(Path file, ChannelWriter writer) throws IOException {
        refuseFolder(file); // before any work: the rename would fail only after the content was written
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot create folder " + dir + ": " + e, e);
        }
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + e, e);
        }
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Writes {@code file} atomically through a buffered output stream.
     *
     * @param file   the target; its folder is created if missing, an existing file replaced
     * @param writer writes the content
     * @throws IOException if writing or renaming fails; the message names {@code file}
     */
    public static void write(Path file, StreamWriter writer) throws IOException {
        write(file, (ChannelWriter) ch -> {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            writer.write(out);
            out.flush();
        });
    }

    /**
     * Writes {@code text} as UTF-8 to {@code file} atomically.
     *
     * @param file the target; its folder is created if missing, an existing file replaced
     * @param text the whole content
     * @throws IOException if writing or renaming fails; the message names {@code file}
     */
    public static void writeString(Path file, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(file, (StreamWriter) out -> out.write(bytes));
    }
}
