package org.tinysql.interp.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.data.TextLines;
import org.tinysql.util.AtomicFiles;

/**
 * The study's results on disk, one JSON file per (model, analysis): {@code results/{model}/{analysis}.json} holding the
 * settings it was computed with and the result. A re-run reuses a file whose settings match and recomputes (and
 * replaces) one whose settings differ or that cannot be read. Files are written atomically, so an interrupted study
 * loses at most the analysis it was running.
 */
final class ResultStore {
    /** Snake-case JSON of the result records, shared by the store and {@code study.json}. */
    static final ObjectMapper JSON = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final int MAX_BYTES = 64 << 20;
    private static final Logger LOG = LoggerFactory.getLogger(ResultStore.class);

    /** A computation that may fail with an I/O error. */
    interface Compute<T> {
        T get() throws IOException;
    }

    private final Path root;
    private int reused;
    private int computed;

    ResultStore(Path root) {
        this.root = root;
    }

    /** @return the folder of one model's results (created on first write) */
    Path folder(String model) {
        return root.resolve(model);
    }

    /**
     * The stored result of {@code analysis} for {@code model} if it was computed with {@code settings}, else
     * {@code compute}'s, stored.
     */
    <T> T get(String model, String analysis, String settings, Class<T> type, Compute<T> compute) throws IOException {
        T value = find(model, analysis, settings, type);
        if (value == null) {
            value = compute.get();
            put(model, analysis, settings, value);
        }
        return value;
    }

    /** The stored result of {@code analysis} for {@code model} if it was computed with {@code settings}, else null. */
    <T> T find(String model, String analysis, String settings, Class<T> type) {
        Path file = file(model, analysis);
        if (Files.isRegularFile(file)) {
            try {
                JsonNode node = JSON.readTree(TextLines.readString(file, MAX_BYTES));
                if (settings.equals(node.path("settings").asText(null))) {
                    T value = JSON.treeToValue(node.get("result"), type);
                    if (value != null) {
                        reused++;
                        return value;
                    }
                }
                LOG.info("{}: computed with other settings, recomputing", file);
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: unreadable ({}), recomputing", file, e.getMessage());
            }
        }
        return null;
    }

    /** Stores a computed result of {@code analysis} for {@code model} with its settings (atomically). */
    <T> void put(String model, String analysis, String settings, T value) throws IOException {
        Path file = file(model, analysis);
        ObjectNode out = JSON.createObjectNode();
        out.put("settings", settings);
        out.set("result", JSON.valueToTree(value));
        Files.createDirectories(file.getParent());
        AtomicFiles.writeString(file, JSON.writeValueAsString(out));
        computed++;
    }

    private Path file(String model, String analysis) {
        return folder(model).resolve(analysis + ".json");
    }

    /** @return results read back from earlier runs */
    int reused() {
        return reused;
    }

    /** @return results computed in this run */
    int computed() {
        return computed;
    }
}
