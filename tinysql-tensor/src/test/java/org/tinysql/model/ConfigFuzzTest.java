package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tinysql.tensor.FuzzRunner.Expect.EITHER;
import static org.tinysql.tensor.FuzzRunner.Expect.FAIL;
import static org.tinysql.tensor.FuzzRunner.Expect.LOAD;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.tensor.CheckpointFormatException;
import org.tinysql.tensor.FuzzRunner;

/**
 * Seeded mutations of real config.json files (the four fixtures and a Llama-3 style config with rope_scaling): random
 * JSON values in each field, removed fields, size bombs, bit flips, truncations and malformed JSON. Each must be a
 * {@link CheckpointFormatException} naming the file and a config key, or a config that holds the mutated value
 * exactly (no silent truncation or default) and round-trips through config.json.
 */
class ConfigFuzzTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String INF = "\"@inf@\"";
    private static final String DEEP = "\"@deep@\"";
    /** Keys whose accepted value must appear unchanged in the loaded config's config.json. */
    private static final Set<String> CHECKED = Set.of("vocab_size", "hidden_size", "n_embd", "num_layers", "n_layer",
            "num_hidden_layers", "num_heads", "n_head", "num_attention_heads", "num_key_value_heads", "intermediate_size", "n_inner",
            "max_position_embeddings", "n_positions", "layer_norm_epsilon", "rms_norm_eps", "rope_theta", "bos_token_id",
            "eos_token_id", "tie_word_embeddings", "attention_bias", "factor", "low_freq_factor", "high_freq_factor",
            "original_max_position_embeddings");
    private static final String[] EXTRA_KEYS = {"head_dim", "rope_scaling", "attention_types", "attention_layers", "window_size",
        "mlp_bias", "use_sliding_window", "model_type", "hidden_act", "activation_function", "scale_attn_weights", "n_inner"};

    @TempDir
    Path dir;

    private final SplittableRandom rnd = new SplittableRandom(7);
    private int fileNo;

    @Test
    void everyMutantIsAClearErrorOrAFaithfulConfig() throws Exception {
        List<ObjectNode> bases = new ArrayList<>();
        for (String m : Fixtures.MODELS) {
            bases.add(ConfigHardeningTest.fixture(m));
        }
        ObjectNode scaled = ConfigHardeningTest.fixture("llama-tiny");
        scaled.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 16);
        bases.add(scaled);

        List<FuzzRunner.Input> in = new ArrayList<>();
        for (ObjectNode b : bases) {
            in.add(input("unchanged", LOAD, b, null, null));
        }
        for (int i = 0; i < 245; i++) {
            ObjectNode j = bases.get(rnd.nextInt(bases.size())).deepCopy();
            boolean nested = j.has("rope_scaling") && rnd.nextInt(4) == 0;
            ObjectNode target = nested ? (ObjectNode) j.get("rope_scaling") : j;
            String key = rnd.nextInt(5) == 0 ? EXTRA_KEYS[rnd.nextInt(EXTRA_KEYS.length)] : pick(target);
            JsonNode v = randomValue();
            target.set(key, v);
            in.add(input("set " + key + " = " + v, EITHER, j, key, v));
        }
        for (int i = 0; i < 40; i++) {
            ObjectNode j = bases.get(rnd.nextInt(bases.size())).deepCopy();
            String key = pick(j);
            j.remove(key);
            in.add(input("remove " + key, EITHER, j, null, null));
        }
        String[][] bombs = {{"num_hidden_layers", "1000000000"}, {"num_layers", "1000000000"}, {"n_layer", "2147483647"},
            {"hidden_size", "2147483647"}, {"n_embd", "65536"}, {"vocab_size", "2147483647"}, {"intermediate_size", "2147483647"},
            {"n_positions", "2147483647"}, {"max_position_embeddings", "99999999999"}, {"window_size", "2147483647"}};
        for (int i = 0; i < 30; i++) {
            ObjectNode j = bases.get(i % bases.size()).deepCopy();
            String[] bomb = bombs[i % bombs.length];
            j.set(bomb[0], F.numberNode(new BigInteger(bomb[1])));
            in.add(input("bomb " + bomb[0] + " = " + bomb[1], EITHER, j, bomb[0], j.get(bomb[0])));
        }
        for (int i = 0; i < 80; i++) {
            byte[] text = M.writeValueAsBytes(bases.get(rnd.nextInt(bases.size())));
            byte[] bad;
            String kind;
            switch (i % 4) {
                case 0 -> {
                    bad = java.util.Arrays.copyOf(text, rnd.nextInt(text.length));
                    kind = "truncated";
                }
                case 1 -> {
                    bad = text.clone();
                    bad[rnd.nextInt(bad.length)] ^= (byte) (1 << rnd.nextInt(8));
                    kind = "bit flip";
                }
                case 2 -> {
                    bad = (new String(text, StandardCharsets.UTF_8) + new String[] {" x", "{}", "]", " \"a\":1", "\u0000"}[rnd.nextInt(5)])
                            .getBytes(StandardCharsets.UTF_8);
                    kind = "trailing content";
                }
                default -> {
                    String s = new String(text, StandardCharsets.UTF_8);
                    String key = s.substring(1, s.indexOf(',') + 1);
                    bad = ("{" + key + s.substring(1)).getBytes(StandardCharsets.UTF_8);
                    kind = "duplicate " + key;
                }
            }
            in.add(raw(kind, i % 4 == 1 ? EITHER : FAIL, bad));
        }
        assertEquals(400, in.size());
        new FuzzRunner("config.json", 2000).run(in, e -> e instanceof CheckpointFormatException c && c.file().endsWith(".json")
                && c.getMessage().startsWith(c.file() + ": ") && namesAField(c.getMessage().substring(c.file().length())));
    }

    /** The message names a config key (or says the file is not JSON at all). */
    private static boolean namesAField(String msg) {
        if (msg.contains("not valid JSON") || msg.contains("not a JSON object") || msg.contains("model_type")) {
            return true;
        }
        for (String k : CHECKED) {
            if (msg.contains(k)) {
                return true;
            }
        }
        for (String k : EXTRA_KEYS) {
            if (msg.contains(k)) {
                return true;
            }
        }
        return msg.contains("eos_token_id") || msg.contains("rope_scaling") || msg.contains("attention_");
    }

    private FuzzRunner.Input input(String kind, FuzzRunner.Expect expect, ObjectNode j, String key, JsonNode value) throws IOException {
        String text = M.writeValueAsString(j).replace(INF, "1e999").replace(DEEP, "[".repeat(3000) + "]".repeat(3000));
        Path f = write(text.getBytes(StandardCharsets.UTF_8));
        return new FuzzRunner.Input(kind, expect, () -> faithful(ModelConfig.load(f), key, value));
    }

    private FuzzRunner.Input raw(String kind, FuzzRunner.Expect expect, byte[] bytes) throws IOException {
        Path f = write(bytes);
        return new FuzzRunner.Input(kind, expect, () -> faithful(ModelConfig.load(f), null, null));
    }

    private Path write(byte[] bytes) throws IOException {
        Path f = dir.resolve("config" + fileNo++ + ".json");
        Files.write(f, bytes);
        return f;
    }

    /** The oracle for accepted configs. */
    private static void faithful(ModelConfig c, String key, JsonNode value) {
        ObjectNode out = c.toJson();
        assertEquals(c, ModelConfig.fromJson(out), "round trip");
        assertTrue(ConfigValidator.parameterCount(c) <= ConfigValidator.MAX_PARAMETERS);
        if (key == null || value == null || value.isNull() || !CHECKED.contains(key)) {
            return;
        }
        JsonNode written = out.has(key) ? out.get(key) : out.path("rope_scaling").get(key);
        if (written == null) {
            return;
        }
        JsonNode given = key.equals("eos_token_id") && value.isArray() ? value.path(0) : value;
        boolean same = given.isNumber() && written.isNumber() ? given.decimalValue().compareTo(written.decimalValue()) == 0
                : given.equals(written);
        assertTrue(same, key + " = " + value + " was loaded as " + written);
    }

    private String pick(ObjectNode j) {
        List<String> keys = new ArrayList<>();
        j.fieldNames().forEachRemaining(keys::add);
        return keys.get(rnd.nextInt(keys.size()));
    }

    private JsonNode randomValue() {
        int[] ints = {-1, 0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 64, 96, 97, 1000, Integer.MAX_VALUE, Integer.MIN_VALUE};
        double[] doubles = {0.0, -0.0, 1e-12, 1e-5, 0.5, 1.5, 32.0, 1e308, -1e308, 1e10};
        String[] texts = {"", "32", "global", "local", "llama3", "silu", "gelu_new", "gpt2", "llama", "x".repeat(5000), "\u0000\n"};
        return switch (rnd.nextInt(12)) {
            case 0, 1, 2 -> F.numberNode(ints[rnd.nextInt(ints.length)]);
            case 3 -> F.numberNode(doubles[rnd.nextInt(doubles.length)]);
            case 4 -> F.numberNode(new long[] {1L << 31, 1L << 53, -(1L << 40)}[rnd.nextInt(3)]);
            case 5 -> F.numberNode(new BigInteger("1" + "0".repeat(30)));
            case 6 -> F.textNode(texts[rnd.nextInt(texts.length)]);
            case 7 -> rnd.nextBoolean() ? F.booleanNode(rnd.nextBoolean()) : F.nullNode();
            case 8 -> M.createArrayNode().add(rnd.nextInt(100)).add("local");
            case 9 -> M.createArrayNode().add(M.createArrayNode().add(M.createArrayNode().add("global").add("local")).add(rnd.nextInt(3)));
            case 10 -> M.createObjectNode().put("rope_type", "llama3").put("factor", rnd.nextInt(3));
            default -> F.textNode(rnd.nextBoolean() ? INF.replace("\"", "") : DEEP.replace("\"", ""));
        };
    }
}
