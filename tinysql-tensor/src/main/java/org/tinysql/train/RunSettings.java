package org.tinysql.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The settings that make a run what it is (its data order, learning-rate schedule, optimiser and length), as a
 * checkpoint's trainer_state.json records them. A resume with other settings would not continue the same run, so
 * {@link Trainer} refuses it unless forced. Settings that a checkpoint of an older version does not record are not
 * compared.
 *
 * @param values setting name (as in trainer_state.json) to value: a Long for integral settings, a Double for reals, a
 *               String for names
 */
record RunSettings(Map<String, Object> values) {
    /** Integral settings, compared as longs. */
    static final List<String> INTEGRAL = List.of("steps", "batch_size", "warmup_steps", "seed", "max_length", "length_buckets",
            "train_examples", "curriculum_steps",
            "curriculum_max_items");
    /** Real settings, compared exactly (they go through JSON unchanged). */
    static final List<String> REAL = List.of("peak_lr", "min_lr", "weight_decay", "clip_norm", "adam_beta1", "adam_beta2",
            "adam_eps");
    /** Named settings (enum labels), compared exactly. */
    static final List<String> TEXT = List.of("lr_schedule", "optimizer_moments");
    /** Longest name read for a named setting. */
    static final int MAX_TEXT = 64;

    RunSettings {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** The settings of a run with configuration {@code c} over {@code trainExamples} training examples. */
    static RunSettings of(TrainerConfig c, int trainExamples) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("steps", (long) c.steps());
        v.put("batch_size", (long) c.batchSize());
        v.put("peak_lr", c.peakLr());
        v.put("min_lr", c.minLr());
        v.put("warmup_steps", (long) c.warmupSteps());
        v.put("weight_decay", c.weightDecay());
        v.put("clip_norm", c.clipNorm());
        v.put("seed", c.seed());
        v.put("max_length", (long) c.maxLength());
        v.put("length_buckets", (long) c.lengthBuckets());
        v.put("train_examples", (long) trainExamples);
        v.put("curriculum_steps", (long) c.curriculum().steps());
        v.put("curriculum_max_items", (long) c.curriculum().maxItems());
        v.put("adam_beta1", c.optimizer().beta1());
        v.put("adam_beta2", c.optimizer().beta2());
        v.put("adam_eps", c.optimizer().eps());
        v.put("lr_schedule", c.optimizer().schedule().label());
        v.put("optimizer_moments", c.optimizer().moments().label());
        return new RunSettings(v);
    }

    /** Reads the settings recorded in a trainer_state.json tree; a recorded setting must have the right type. */
    static RunSettings read(JsonNode root, Path file) throws CheckpointFormatException {
        Map<String, Object> v = new LinkedHashMap<>();
        for (String name : INTEGRAL) {
            JsonNode n = root.get(name);
            if (n != null) {
                if (!n.isIntegralNumber() || !n.canConvertToLong()) {
                    throw new CheckpointFormatException(file, name, "expected an integer, found " + abbreviate(n));
                }
                v.put(name, n.asLong());
            }
        }
        for (String name : REAL) {
            JsonNode n = root.get(name);
            if (n != null) {
                if (!n.isNumber() || !Double.isFinite(n.asDouble())) {
                    throw new CheckpointFormatException(file, name, "expected a finite number, found " + abbreviate(n));
                }
                v.put(name, n.asDouble());
            }
        }
        for (String name : TEXT) {
            JsonNode n = root.get(name);
            if (n != null) {
                if (!n.isTextual() || n.textValue().isEmpty() || n.textValue().length() > MAX_TEXT) {
                    throw new CheckpointFormatException(file, name, "expected a name of 1 to " + MAX_TEXT + " characters, found "
                            + abbreviate(n));
                }
                v.put(name, n.textValue());
            }
        }
        return new RunSettings(v);
    }

    /** Writes the settings into a trainer_state.json tree. */
    void writeTo(ObjectNode state) {
        values.forEach((name, value) -> {
            if (value instanceof Double d) {
                state.put(name, d);
            } else if (value instanceof String t) {
                state.put(name, t);
            } else {
                state.put(name, ((Number) value).longValue());
            }
        });
    }

    /** "name recorded -> requested" for every recorded setting that {@code requested} changes. */
    List<String> differences(RunSettings requested) {
        List<String> out = new ArrayList<>();
        values.forEach((name, value) -> {
            Object now = requested.values.get(name);
            if (!Objects.equals(value, now)) {
                out.add(name + " " + value + " -> " + now);
            }
        });
        return out;
    }

    /** Settings of {@code requested} that these (older) settings do not record. */
    List<String> unrecorded(RunSettings requested) {
        return requested.values.keySet().stream().filter(n -> !values.containsKey(n)).toList();
    }

    /** A JSON value for an error message: its kind for arrays and objects, else its text cut to 40 characters. */
    static String abbreviate(JsonNode n) {
        if (n.isContainerNode()) {
            return (n.isArray() ? "an array of " : "an object of ") + n.size();
        }
        String s = n.toString();
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
