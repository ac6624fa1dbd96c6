package org.tinysql.data;

import java.io.OutputStreamWriter;
import java.io.Writer;
import org.tinysql.util.AtomicFiles;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** JSON Lines reading and writing of {@link TinySqlExample}s (one JSON object a line, UTF-8). */
public final class DatasetIO {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final ObjectWriter WRITER = MAPPER.writerFor(TinySqlExample.class);
    private static final ObjectReader READER = MAPPER.readerFor(TinySqlExample.class);

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

    /** Reads a JSONL file; a malformed line fails with the file name and line number. */
    public static List<TinySqlExample> read(Path file) throws IOException {
        List<TinySqlExample> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                TinySqlExample e;
                try {
                    e = READER.readValue(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
                    throw new IOException(file + ":" + n + ": not a TinySQL example: " + ex.getOriginalMessage(), ex);
                }
                if (e.englishPrompt() == null || e.sqlStatement() == null || e.createStatement() == null) {
                    throw new IOException(file + ":" + n
                            + ": missing one of english_prompt, create_statement, sql_statement");
                }
                out.add(e);
            }
        }
        return out;
    }

    /** Reads {@code dir/train.jsonl} etc. */
    public static List<TinySqlExample> read(Path dir, Split split) {
        try {
            return read(dir.resolve(split.fileName()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
