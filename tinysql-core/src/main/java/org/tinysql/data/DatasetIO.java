package org.tinysql.data;

import java.io.OutputStreamWriter;
import java.io.Writer;
import org.tinysql.util.AtomicFiles;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** JSON Lines reading and writing of {@link TinySqlExample}s (one JSON object a line, UTF-8). */
public final class DatasetIO {
    private static final ObjectMapper MAPPER = StrictJson.mapper();
    private static final ObjectWriter WRITER = MAPPER.writerFor(TinySqlExample.class);
    private static final ObjectReader READER = StrictJson.reader(TinySqlExample.class);

    private DatasetIO() {
    }

    /**
     * The strict mapper the dataset is read and written with ({@link StrictJson#mapper()}).
     *
     * @return the shared mapper; do not reconfigure it
     */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * One example as a JSON Lines row.
     *
     * @param e the example
     * @return its JSON object on one line, without line ending; null fields are written as {@code null}
     * @throws IllegalStateException if Jackson cannot serialise it (not expected)
     */
    public static String toJson(TinySqlExample e) {
        try {
            return WRITER.writeValueAsString(e);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot serialise example", ex);
        }
    }

    /**
     * Writes the examples to {@code file} atomically (temp file in the same folder, then rename).
     *
     * @param file     the JSONL file, replaced if present
     * @param examples the rows, written in order, one a line
     * @throws IOException if the file cannot be written; it is then left as it was
     */
    public static void write(Path file, List<TinySqlExample> examples) throws IOException {
        writeLines(file, examples.size(), i -> toJson(examples.get(i)));
    }

    /** Produces line {@code i} of a JSON Lines file (one JSON object, no newline). */
    interface LineSource {
        String line(int i) throws IOException;
    }

    /**
     * Writes {@code count} lines, each {@code lines.line(i)} followed by a newline, as UTF-8 to {@code file} atomically
     * (temp file in the same folder, then rename): the JSON Lines writer of datasets and predictions.
     */
    static void writeLines(Path file, int count, LineSource lines) throws IOException {
        AtomicFiles.write(file, (AtomicFiles.StreamWriter) out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            for (int i = 0; i < count; i++) {
                w.write(lines.line(i));
                w.write('\n');
            }
            w.flush();
        });
    }

    /**
     * Reads a JSONL file strictly (see {@link TextLines} and {@link StrictJson}); blank lines are skipped. Any
     * problem, including a file without examples, is a {@link DataFormatException} naming the file and line.
     *
     * @param file the JSONL file
     * @return the examples in file order; at least one
     * @throws IOException if the file cannot be read, or a {@link DataFormatException} if its content is invalid
     */
    public static List<TinySqlExample> read(Path file) throws IOException {
        List<TinySqlExample> out = new ArrayList<>();
        TextLines.forEach(file, (n, line) -> {
            if (!line.isBlank()) {
                out.add(StrictJson.readLine(READER, file, n, line));
            }
        });
        if (out.isEmpty()) {
            throw new DataFormatException(file, "no examples (the file is empty or blank)");
        }
        return out;
    }

    /**
     * Reads {@code dir/train.jsonl} etc.
     *
     * @param dir   the dataset folder
     * @param split the split whose {@link Split#fileName()} is read
     * @return the examples in file order; at least one
     * @throws java.io.UncheckedIOException wrapping the {@link IOException} of {@link #read(Path)}
     */
    public static List<TinySqlExample> read(Path dir, Split split) {
        try {
            return read(dir.resolve(split.fileName()));
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
