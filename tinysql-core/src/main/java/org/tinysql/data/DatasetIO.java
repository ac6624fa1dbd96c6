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

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static String toJson(TinySqlExample e) {
        try {
            return WRITER.writeValueAsString(e);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot serialise example", ex);
        }
    }

    /** Writes the examples to {@code file} atomically (temp file in the same folder, then rename). */
    public static void write(Path file, List<TinySqlExample> examples) throws IOException {
        AtomicFiles.write(file, (AtomicFiles.StreamWriter) out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            for (TinySqlExample e : examples) {
                w.write(toJson(e));
                w.write('\n');
            }
            w.flush();
        });
    }

    /**
     * Reads a JSONL file strictly (see {@link TextLines} and {@link StrictJson}); blank lines are skipped. Any
     * problem, including a file without examples, is a {@link DataFormatException} naming the file and line.
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

    /** Reads {@code dir/train.jsonl} etc. */
    public static List<TinySqlExample> read(Path dir, Split split) {
        try {
            return read(dir.resolve(split.fileName()));
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
