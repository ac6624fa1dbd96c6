package org.tinysql.train;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A checkpoint's trainer_state.json: the step reached, the optimizer's step count, the run's settings and the loss of
 * every step so far. {@link #read} validates a file that may come from anyone before using any of it.
 *
 * @param step          optimisation steps done
 * @param optimizerStep AdamW's step count (its bias correction), at most {@code step}
 * @param settings      the run's settings
 * @param packed        whether rows were packed (for information: the data order does not depend on it)
 * @param losses        the training loss of each step, {@code step} of them
 */
record TrainerState(long step, long optimizerStep, RunSettings settings, boolean packed, double[] losses) {
    /** Largest trainer_state.json read: about two million steps of history. */
    static final long MAX_BYTES = 64L << 20;
    static final String FILE = "trainer_state.json";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Reads and validates {@code file}; every problem is a {@link CheckpointFormatException} naming the file and field. */
    static TrainerState read(Path file) throws IOException {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointFormatException(file, "(file)", "missing");
        }
        if (size > MAX_BYTES) {
            throw new CheckpointFormatException(file, "(file)", size + " bytes, more than the " + MAX_BYTES + " a trainer state may have");
        }
        byte[] bytes = Files.readAllBytes(file);
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new CheckpointFormatException(file, "(file)", "not valid JSON" + (at == null ? "" : " at line " + at.getLineNr()
                    + ", column " + at.getColumnNr()) + ": " + e.getOriginalMessage());
        } catch (IOException e) { // the bytes are in memory: any other error is a bad encoding
            throw new CheckpointFormatException(file, "(file)", "not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointFormatException(file, "(root)", "expected a JSON object");
        }
        long step = count(root, "step", file);
        long optimizerStep = count(root, "optimizer_step", file);
        if (optimizerStep > step) {
            throw new CheckpointFormatException(file, "optimizer_step", optimizerStep + " is more than step " + step);
        }
        JsonNode history = root.get("loss_history");
        if (history == null || !history.isArray()) {
            throw new CheckpointFormatException(file, "loss_history", "missing or not an array");
        }
        if (history.size() != step) {
            throw new CheckpointFormatException(file, "loss_history", history.size() + " losses for step " + step);
        }
        double[] losses = new double[history.size()];
        for (int i = 0; i < losses.length; i++) {
            JsonNode l = history.get(i);
            if (!l.isNumber() || !Double.isFinite(l.asDouble())) {
                throw new CheckpointFormatException(file, "loss_history[" + i + "]", "expected a finite number, found "
                        + RunSettings.abbreviate(l));
            }
            losses[i] = l.asDouble();
        }
        JsonNode packed = root.get("packed");
        if (packed != null && !packed.isBoolean()) {
            throw new CheckpointFormatException(file, "packed", "expected true or false, found " + RunSettings.abbreviate(packed));
        }
        return new TrainerState(step, optimizerStep, RunSettings.read(root, file), packed == null || packed.asBoolean(), losses);
    }

    private static long count(JsonNode root, String field, Path file) throws CheckpointFormatException {
        JsonNode n = root.get(field);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
            throw new CheckpointFormatException(file, field, "expected a non-negative integer, found "
                    + (n == null ? "nothing" : RunSettings.abbreviate(n)));
        }
        return n.asLong();
    }

    /** The trainer_state.json text. */
    String toJson() throws IOException {
        ObjectNode state = MAPPER.createObjectNode();
        state.put("step", step);
        state.put("optimizer_step", optimizerStep);
        settings.writeTo(state);
        state.put("packed", packed);
        ArrayNode h = state.putArray("loss_history");
        for (double l : losses) {
            h.add(l);
        }
        return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(state);
    }
}
