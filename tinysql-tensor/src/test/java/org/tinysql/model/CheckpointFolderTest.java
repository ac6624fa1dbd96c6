package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.CheckpointFormatException;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.SafeTensors;

/**
 * Regression tests for checkpoint folders from strangers (issue item 5): shard names leaving the folder, FIFOs,
 * non-finite weights and configs that promise more than the files hold were loaded, hung or allocated before.
 */
class CheckpointFolderTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path tmp;

    /** A qwen2-tiny folder whose index maps every tensor to {@code shardName}; the shard itself is written elsewhere. */
    private Path indexedFolder(String shardName) throws IOException {
        Path d = tmp.resolve("model");
        Files.createDirectories(d);
        Files.copy(Fixtures.dir("qwen2-tiny").resolve("config.json"), d.resolve("config.json"));
        ObjectNode idx = M.createObjectNode();
        ObjectNode wm = idx.putObject("weight_map");
        try (SafeTensors st = SafeTensors.open(Fixtures.dir("qwen2-tiny").resolve("model.safetensors"))) {
            st.entries().keySet().forEach(n -> wm.put(n, shardName));
        }
        Files.writeString(d.resolve("model.safetensors.index.json"), M.writeValueAsString(idx));
        return d;
    }

    /** A complete, valid copy of the qwen2-tiny weights outside the model folder. */
    private Path outsideShard() throws IOException {
        Path o = tmp.resolve("elsewhere");
        Files.createDirectories(o);
        Path f = o.resolve("weights.safetensors");
        Files.copy(Fixtures.dir("qwen2-tiny").resolve("model.safetensors"), f);
        return f;
    }

    private static void refused(Path d, String... parts) {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> HfCheckpoint.load(d));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
    }

    @Test
    void shardNamesMustStayInsideTheModelFolder() throws IOException {
        Path outside = outsideShard();
        refused(indexedFolder("../elsewhere/weights.safetensors"), "model.safetensors.index.json", "weight_map shard", "'..'");
        deleteModel();
        refused(indexedFolder(outside.toString()), "model.safetensors.index.json", "relative to the model folder");
        deleteModel();
        Path d = indexedFolder("model-00001-of-00001.safetensors");
        Files.createSymbolicLink(d.resolve("model-00001-of-00001.safetensors"), outside);
        refused(d, "model.safetensors.index.json", "symbolic link to a file outside the model folder");
    }

    @Test
    void secretsOutsideTheFolderDoNotLeakIntoErrors() throws IOException {
        Path secret = tmp.resolve("secret.txt");
        Files.writeString(secret, "root:x:0:0:TOPSECRET:/root:/bin/bash\n");
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
                () -> HfCheckpoint.load(indexedFolder("../secret.txt")));
        // The old loader opened the file and printed its first 8 bytes as a "header length".
        assertFalse(e.getMessage().contains("header length") || e.getMessage().contains("TOPSECRET"), e.getMessage());
    }

    @Test
    void linksInsideTheFolderStillLoad() throws IOException {
        Path d = indexedFolder("model-00001-of-00001.safetensors");
        Files.copy(Fixtures.dir("qwen2-tiny").resolve("model.safetensors"), d.resolve("real.safetensors"));
        Files.createSymbolicLink(d.resolve("model-00001-of-00001.safetensors"), Path.of("real.safetensors"));
        assertEquals(ModelConfig.load(d), HfCheckpoint.load(d).config());
    }

    @Test
    void aFifoShardIsRefusedWithoutBlocking() throws Exception {
        Path d = indexedFolder("model-00001-of-00001.safetensors");
        Process p = new ProcessBuilder("mkfifo", d.resolve("model-00001-of-00001.safetensors").toString()).start();
        Assumptions.assumeTrue(p.waitFor() == 0, "mkfifo is not available");
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> refused(d, "model-00001-of-00001.safetensors", "not a regular file"));
    }

    private void deleteModel() throws IOException {
        Path d = tmp.resolve("model");
        try (var s = Files.list(d)) {
            for (Path f : s.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(d);
    }

    /** A copy of a fixture folder with one element of one tensor replaced. */
    static Path withValue(Path root, String model, String tensor, float value) throws IOException {
        Path d = root.resolve(model);
        Files.createDirectories(d);
        Files.copy(Fixtures.dir(model).resolve("config.json"), d.resolve("config.json"));
        Map<String, INDArray> t = new LinkedHashMap<>(SafeTensors.readAll(Fixtures.dir(model).resolve("model.safetensors")));
        t.get(tensor).putScalar(3, value);
        SafeTensors.write(d.resolve("model.safetensors"), t, DType.F32, null);
        return d;
    }

    @Test
    void nonFiniteWeightsFailNamingTheTensorAndTheFile() throws IOException {
        Path d = withValue(tmp, "llama-tiny", "model.layers.0.mlp.up_proj.weight", Float.NaN);
        refused(d, d.resolve("model.safetensors").toString(), "tensor 'model.layers.0.mlp.up_proj.weight' has 1 non-finite values",
                "-Dtinysql.checkpoint.nonFinite=warn");
        // GPT-2's fused, transposed c_attn goes through a different path.
        Path g = withValue(tmp, "gpt2-tiny", "transformer.h.1.attn.c_attn.weight", Float.NEGATIVE_INFINITY);
        refused(g, "tensor 'transformer.h.1.attn.c_attn.weight'", "-Infinity");
    }

    @Test
    void aConfigPromisingMoreThanTheFilesHoldFailsBeforeAllocating() throws IOException {
        Path d = tmp.resolve("big");
        Files.createDirectories(d);
        Files.copy(Fixtures.dir("llama-tiny").resolve("model.safetensors"), d.resolve("model.safetensors"));
        // About 6.7 billion parameters (27 GB as FLOAT): the old loader allocated them all before reading a tensor.
        ObjectNode cfg = ConfigHardeningTest.fixture("llama-tiny").put("vocab_size", 32000).put("hidden_size", 4096)
                .put("num_attention_heads", 32).put("num_key_value_heads", 32).put("intermediate_size", 11008)
                .put("num_hidden_layers", 32);
        Files.writeString(d.resolve("config.json"), M.writeValueAsString(cfg));
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> refused(d, "tensor 'model.embed_tokens.weight' has shape [97, 32], "
                + "expected [32000, 4096]"));
    }
}
