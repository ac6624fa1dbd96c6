package org.tinysql.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Strict reading of UTF-8 text files from untrusted sources. Lines end with {@code \n} or {@code \r\n}; a UTF-8
 * byte order mark at the start of the file is skipped; bytes that are not valid UTF-8 and lines longer than
 * {@value #MAX_LINE_BYTES} bytes fail with a {@link DataFormatException} naming the file and line, before the rest
 * of the file is read.
 */
public final class TextLines {
    /** The longest accepted line (dataset rows are a few kilobytes). */
    public static final int MAX_LINE_BYTES = 1 << 20;

    /** Receives each line, without its line ending. */
    @FunctionalInterface
    public interface Handler {
        /**
         * {@code number} is 1-based.
         *
         * @param number the line number
         * @param text   the line's text, without line ending
         * @throws IOException to stop reading; it propagates out of {@link #forEach}
         */
        void line(int number, String text) throws IOException;
    }

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private TextLines() {
    }

    /**
     * Calls {@code handler} for every line of {@code file}; a final line ending adds no empty line.
     *
     * @param file    the UTF-8 text file
     * @param handler receives each line in order
     * @throws IOException if the file cannot be read, a {@link DataFormatException} at the first invalid UTF-8 or
     *     overlong line, or whatever {@code handler} throws
     */
    public static void forEach(Path file, Handler handler) throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
        byte[] line = new byte[1024];
        int len = 0;
        int number = 1;
        try (InputStream in = open(file)) {
            byte[] chunk = new byte[1 << 16];
            int n;
            while ((n = in.read(chunk)) > 0) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (chunk[i] == '\n') {
                        line = append(file, number, line, len, chunk, start, i - start);
                        len += i - start;
                        emit(file, number, line, len, decoder, handler);
                        len = 0;
                        number++;
                        start = i + 1;
                    }
                }
                line = append(file, number, line, len, chunk, start, n - start);
                len += n - start;
            }
        }
        if (len > 0) {
            emit(file, number, line, len, decoder, handler);
        }
    }

    /**
     * The whole of {@code file} (at most {@code maxBytes}) as a string, decoded as strictly as lines are.
     *
     * @param file     the UTF-8 text file; a leading byte order mark is dropped
     * @param maxBytes the largest accepted file size in bytes
     * @return the decoded text, line endings kept
     * @throws IOException if the file cannot be read, or a {@link DataFormatException} if it is larger than
     *     {@code maxBytes} or not valid UTF-8
     */
    public static String readString(Path file, int maxBytes) throws IOException {
        byte[] bytes;
        try (InputStream in = open(file)) {
            bytes = in.readNBytes(maxBytes + 1);
        }
        if (bytes.length > maxBytes) {
            throw new DataFormatException(file, "larger than " + maxBytes + " bytes");
        }
        int off = startsWithBom(bytes, bytes.length) ? BOM.length : 0;
        return decode(file, 1, StandardCharsets.UTF_8.newDecoder(), bytes, off, bytes.length - off);
    }

    private static InputStream open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            // Opening a folder succeeds on Linux and fails at the first read with a bare "Is a directory".
            throw new DataFormatException(file, "is a folder, not a file");
        }
        try {
            return Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] append(Path file, int number, byte[] line, int len, byte[] src, int off, int n)
            throws DataFormatException {
        if (n > MAX_LINE_BYTES - len) {
            throw new DataFormatException(file, number, "line is longer than " + MAX_LINE_BYTES + " bytes");
        }
        byte[] out = line;
        if (len + n > out.length) {
            out = Arrays.copyOf(out, Math.min(MAX_LINE_BYTES, Math.max(len + n, 2 * out.length)));
        }
        System.arraycopy(src, off, out, len, n);
        return out;
    }

    private static void emit(Path file, int number, byte[] line, int len, CharsetDecoder decoder, Handler handler)
            throws IOException {
        int off = number == 1 && startsWithBom(line, len) ? BOM.length : 0;
        int end = len > off && line[len - 1] == '\r' ? len - 1 : len;
        handler.line(number, decode(file, number, decoder, line, off, end - off));
    }

    private static boolean startsWithBom(byte[] b, int len) {
        return len >= BOM.length && b[0] == BOM[0] && b[1] == BOM[1] && b[2] == BOM[2];
    }

    /** Decodes UTF-8, reporting the line (counted from {@code firstLine}) and byte of the first invalid sequence. */
    private static String decode(Path file, int firstLine, CharsetDecoder decoder, byte[] b, int off, int len)
            throws DataFormatException {
        ByteBuffer in = ByteBuffer.wrap(b, off, len);
        CharBuffer out = CharBuffer.allocate(len);
        decoder.reset();
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            int bad = in.position();
            int line = firstLine;
            int lineStart = off;
            for (int i = off; i < bad; i++) {
                if (b[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            throw new DataFormatException(file, line, String.format("invalid UTF-8 at byte %d of the line (0x%02X)",
                    bad - lineStart + 1, b[bad] & 0xFF));
        }
        return out.flip().toString();
    }
}
