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
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.data.TextLines;
import org.tinysql.util.AtomicFiles;

/**
 * The study's results on disk, one JSON file per (model, analysis): {@code results/{model}/{analysis}.json} holding the
 * settings it was computed with, the seconds it took and the result. A re-run reuses a file whose settings match and
 * recomputes (and replaces) one whose settings differ or that cannot be read. Files are written atomically, so an
 * interrupted study loses at most the analysis it was running. The store adds up the seconds per model and analysis
 * family ({@link #seconds()}; a reused result counts the time it took when it was computed).
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
    private final Map<String, Map<String, Double>> seconds = new LinkedHashMap<>();
    private int reused;
    private int computed;

    ResultStore(Path root) {
        this.root = root;
    }

    /** @return where a model's circuit figure of one corruption kind is kept, beside its result */
    Path circuitSvg(String model, String kind) {
        return folder(model).resolve(Analysis.CIRCUIT.file(kind) + ".svg");
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
            long t0 = System.nanoTime();
            value = compute.get();
            put(model, analysis, settings, value, (System.nanoTime() - t0) / 1e9);
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
                        JsonNode took = node.path("seconds");
                        if (took.isNumber() && took.asDouble() >= 0 && Double.isFinite(took.asDouble())) {
                            count(model, analysis, took.asDouble());
                        }
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

    /**
     * Stores a computed result of {@code analysis} for {@code model} with its settings and the seconds it took
     * (atomically).
     */
    <T> void put(String model, String analysis, String settings, T value, double seconds) throws IOException {
        Path file = file(model, analysis);
        ObjectNode out = JSON.createObjectNode();
        out.put("settings", settings);
        out.put("seconds", seconds);
        out.set("result", JSON.valueToTree(value));
        Files.createDirectories(file.getParent());
        AtomicFiles.writeString(file, JSON.writeValueAsString(out));
        computed++;
        count(model, analysis, seconds);
    }

    private void count(String model, String analysis, double s) {
        seconds.computeIfAbsent(model, k -> new LinkedHashMap<>()).merge(family(analysis), s, Double::sum);
    }

    /** The family an analysis belongs to: its name up to the first '-' ({@code circuit-context-table} is a {@link Analysis#CIRCUIT}). */
    static String family(String analysis) {
        int dash = analysis.indexOf('-');
        return dash < 0 ? analysis : analysis.substring(0, dash);
    }

    /**
     * @return per model, the seconds its results took per analysis family ({@code accuracy}, {@code circuit},
     *         {@code minimal}, {@code lens}, {@code sae}, {@code probe}, {@code heuristic}), computed or reused
     */
    Map<String, Map<String, Double>> seconds() {
        Map<String, Map<String, Double>> copy = new LinkedHashMap<>();
        seconds.forEach((m, byFamily) -> copy.put(m, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byFamily))));
        return copy;
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
