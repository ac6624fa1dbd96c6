package org.tinysql.model.arch;

import static org.tinysql.model.ConfigValidator.check;
import static org.tinysql.tensor.CheckpointFormatException.excerpt;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;

/**
 * GPT-Neo's per-layer attention types from config.json: {@code attention_layers} (one "global"/"local" per layer)
 * and {@code attention_types} (HF's run-length form {@code [[["global", "local"], 12]]}, which HF itself expands).
 * Unknown types are rejected, the expansion is bounded by the layer count before it is built, and when both are given
 * they must agree.
 */
final class GptNeoAttention {
    private GptNeoAttention() {
    }

    /** One "global" or "local" per layer, or null when the config gives neither list (all layers global). */
    static String[] layerTypes(JsonNode j, int layers) {
        String[] listed = j.hasNonNull("attention_layers") ? listed(j.get("attention_layers"), layers) : null;
        String[] expanded = j.hasNonNull("attention_types") ? expanded(j.get("attention_types"), layers) : null;
        check(listed == null || expanded == null || Arrays.equals(listed, expanded), "attention_layers " + Arrays.toString(listed)
                + " disagrees with attention_types, which expands to " + Arrays.toString(expanded));
        return listed != null ? listed : expanded;
    }

    private static String[] listed(JsonNode al, int layers) {
        check(al.isArray(), "attention_layers must be a list of \"global\" / \"local\"");
        check(al.size() == layers, "attention_layers has " + al.size() + " entries for " + layers + " layers");
        String[] out = new String[layers];
        for (int i = 0; i < layers; i++) {
            out[i] = kind("attention_layers[" + i + "]", al.get(i));
        }
        return out;
    }

    private static String[] expanded(JsonNode at, int layers) {
        check(at.isArray(), "attention_types must be a list of [[types...], repeat]");
        String[] out = new String[layers];
        int n = 0;
        for (int g = 0; g < at.size(); g++) {
            String key = "attention_types[" + g + "]";
            JsonNode group = at.get(g);
            check(group.isArray() && group.size() == 2 && group.get(0).isArray() && !group.get(0).isEmpty(),
                    key + " " + excerpt(group) + " is not [[types...], repeat]");
            int repeat = ConfigReader.intValue(key + "[1]", group.get(1));
            JsonNode kinds = group.get(0);
            check(repeat >= 1 && (long) repeat * kinds.size() <= layers - n, key + " repeats " + kinds.size() + " types " + repeat
                    + " times, which does not fit in " + layers + " layers");
            for (int r = 0; r < repeat; r++) {
                for (int k = 0; k < kinds.size(); k++) {
                    out[n++] = kind(key + "[0][" + k + "]", kinds.get(k));
                }
            }
        }
        check(n == layers, "attention_types expands to " + n + " layers for " + layers + " layers");
        return out;
    }

    private static String kind(String key, JsonNode v) {
        check(v.isTextual() && (v.textValue().equals("global") || v.textValue().equals("local")),
                key + " " + excerpt(v) + " is not an attention layer type (global, local)");
        return v.textValue();
    }
}
