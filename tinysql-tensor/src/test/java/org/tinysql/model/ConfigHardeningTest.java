package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tinysql.tensor.CheckpointFormatException;

/** Regression tests for config.json from strangers (issue item 5): each config here was accepted, crashed or hung before. */
class ConfigHardeningTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path dir;

    static ObjectNode fixture(String model) {
        try {
            return (ObjectNode) M.readTree(Fixtures.dir(model).resolve("config.json").toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path write(ObjectNode j) throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, M.writeValueAsString(j));
        return f;
    }

    private static CheckpointFormatException rejected(Path f, String key) {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> ModelConfig.load(f));
        assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains(key), "expected the file and '" + key + "' in: "
                + e.getMessage());
        return e;
    }

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                bad("llama-tiny", "hidden_size", j -> j.put("hidden_size", 32.5)),
                bad("llama-tiny", "max_position_embeddings", j -> j.put("max_position_embeddings", "lots")),
                bad("gpt2-tiny", "n_positions", j -> j.put("n_positions", -5)),
                bad("llama-tiny", "max_position_embeddings", j -> j.put("max_position_embeddings", 0)),
                bad("llama-tiny", "rms_norm_eps", j -> j.put("rms_norm_eps", 0.0)),
                bad("gpt-neo-tiny", "layer_norm_epsilon", j -> j.put("layer_norm_epsilon", -1e-5)),
                bad("gpt-neo-tiny", "layer_norm_epsilon", j -> j.put("layer_norm_epsilon", Double.POSITIVE_INFINITY)),
                bad("qwen2-tiny", "rope_theta", j -> j.put("rope_theta", 0.0)),
                bad("llama-tiny", "rope_theta", j -> j.put("rope_theta", -10000.0)),
                bad("gpt-neo-tiny", "window_size", j -> j.put("window_size", -3)),
                bad("gpt-neo-tiny", "window_size", j -> j.put("window_size", 0)),
                bad("gpt-neo-tiny", "attention_layers[1]", j -> j.putArray("attention_layers").add("global").add("sparse")),
                bad("gpt-neo-tiny", "attention_types", j -> j.putArray("attention_layers").add("local").add("global")),
                bad("gpt-neo-tiny", "attention_types[0]", j -> j.putArray("attention_types").addArray()
                        .add(M.createArrayNode().add("global")).add(Integer.MAX_VALUE)),
                bad("llama-tiny", "bos_token_id", j -> j.put("bos_token_id", 500)),
                bad("gpt2-tiny", "eos_token_id", j -> j.put("eos_token_id", -7)),
                bad("llama-tiny", "num_attention_heads", j -> j.put("num_attention_heads", 0).put("head_dim", 8)),
                bad("llama-tiny", "num_attention_heads 3", j -> j.put("num_attention_heads", 3)),
                bad("llama-tiny", "vocab_size x hidden_size", j -> j.put("vocab_size", 1 << 24).put("hidden_size", 1 << 16)
                        .put("num_attention_heads", 64).put("num_key_value_heads", 64)),
                bad("llama-tiny", "parameters", j -> j.put("hidden_size", 16384).put("num_attention_heads", 128)
                        .put("num_key_value_heads", 128).put("intermediate_size", 53248).put("num_hidden_layers", 200)),
                bad("llama-tiny", "rope_scaling.high_freq_factor", j -> j.putObject("rope_scaling").put("rope_type", "llama3")
                        .put("factor", 8.0).put("low_freq_factor", 2.0).put("high_freq_factor", 2.0)),
                bad("llama-tiny", "rope_scaling.factor", j -> j.putObject("rope_scaling").put("rope_type", "llama3").put("factor", -1.0)),
                bad("llama-tiny", "mlp_bias", j -> j.put("mlp_bias", true)),
                bad("llama-tiny", "attention_bias", j -> j.put("attention_bias", true)),
                bad("qwen2-tiny", "use_sliding_window", j -> j.put("use_sliding_window", true)),
                bad("gpt2-tiny", "activation_function", j -> j.put("activation_function", "relu")),
                bad("llama-tiny", "tie_word_embeddings", j -> j.put("tie_word_embeddings", "yes")));
    }

    private static Arguments bad(String model, String key, Consumer<ObjectNode> mutate) {
        ObjectNode j = fixture(model);
        mutate.accept(j);
        return Arguments.of(model, key, j);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("badConfigs")
    void badFieldsAreRejectedNamingTheFileAndTheField(String model, String key, ObjectNode config) throws IOException {
        rejected(write(config), key);
    }

    @Test
    void aBillionLayersFailInMillisecondsWithoutAllocating() throws IOException {
        ObjectNode llama = fixture("llama-tiny").put("hidden_size", 4096).put("num_hidden_layers", 1_000_000_000);
        Path f = write(llama);
        assertTimeoutPreemptively(Duration.ofMillis(500), () -> rejected(f, "num_hidden_layers 1000000000 is out of range"));
        Path g = write(fixture("gpt-neo-tiny").put("num_layers", 1_000_000_000).putNull("attention_layers").putNull("attention_types"));
        assertTimeoutPreemptively(Duration.ofMillis(500), () -> rejected(g, "num_layers 1000000000 is out of range"));
    }

    @Test
    void trailingContentDuplicateKeysAndNonObjectsAreRejected() throws IOException {
        String text = Files.readString(Fixtures.dir("llama-tiny").resolve("config.json"));
        Path f = dir.resolve("config.json");
        Files.writeString(f, text + " {\"hidden_size\": 64}");
        rejected(f, "not valid JSON");
        Files.writeString(f, text.replaceFirst("\\{", "{\"hidden_size\": 64,"));
        rejected(f, "Duplicate field 'hidden_size'");
        Files.writeString(f, "[1, 2]");
        rejected(f, "not a JSON object");
        // 1e999 parses to Infinity.
        Files.writeString(f, text.replace("1e-06", "1e999"));
        rejected(f, "rms_norm_eps Infinity is not a finite number");
    }

    @Test
    void aFifoIsRefusedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("config.json");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(p.waitFor() == 0 && Files.exists(fifo), "mkfifo is not available");
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> rejected(fifo, "not a regular file"));
    }

    @Test
    void realConfigsStillLoad() throws IOException {
        for (String model : Fixtures.MODELS) {
            ModelConfig c = ModelConfig.load(Fixtures.dir(model));
            assertEquals(c, ModelConfig.fromJson(c.toJson()), model);
        }
        assertEquals(4, ModelConfig.load(Fixtures.dir("gpt-neo-tiny")).localWindows()[1]);
    }
}
