package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.RawBytes;
import org.tinysql.tensor.SafeTensors;

class HfCheckpointTest {

    @Test
    void exportedCheckpointsLoadBackWithTheSameLogitsAndTensorNames(@TempDir Path dir) throws Exception {
        for (String model : Fixtures.MODELS) {
            Fixtures.Inputs in = Fixtures.inputs(model);
            Transformer m = Transformer.fromPretrained(Fixtures.dir(model));
            INDArray want = m.forward(in.ids(), in.mask()).dup();
            Path out = dir.resolve(model);
            HfCheckpoint.save(m.parameters(), out, DType.F32);
            try (SafeTensors orig = SafeTensors.open(Fixtures.dir(model).resolve("model.safetensors"));
                 SafeTensors saved = SafeTensors.open(out.resolve("model.safetensors"))) {
                assertEquals(orig.entries().keySet(), saved.entries().keySet(), model + ": same HF tensor names");
                for (String n : orig.entries().keySet()) {
                    assertTrue(java.util.Arrays.equals(orig.entry(n).shape(), saved.entry(n).shape()), n);
                    assertEquals(orig.entry(n).dtype(), saved.entry(n).dtype(), n);
                    assertArrayEquals(RawBytes.tensor(orig.file(), n), RawBytes.tensor(saved.file(), n),
                            model + " " + n + " round-trips byte for byte");
                }
            }
            assertEquals(ModelConfig.load(Fixtures.dir(model)), ModelConfig.load(out));
            INDArray got = Transformer.fromPretrained(out).forward(in.ids(), in.mask());
            RawBytes.assertSameBits(want, got, model + " logits");
        }
    }

    /** Every architecture saves and reloads every config it accepts (untied GPT models included) with the same logits. */
    @Test
    void configsBuiltInCodeRoundTripThroughTheirArchitecture(@TempDir Path dir) throws Exception {
        int[][] ids = {{1, 4, 2, 7}, {3, 3, 9, 0}};
        for (ModelConfig cfg : new ModelConfig[] {
                new ModelConfig("gpt2", 20, 16, 2, 2, 2, 32, 8, 1e-5, true, new int[2], 0, true, true, false, -1, -1),
                new ModelConfig("gpt_neo", 20, 16, 2, 2, 2, 32, 8, 1e-5, false, new int[] {0, 3}, 0, false, true, true, 1, 2),
                new ModelConfig("llama", 20, 16, 2, 4, 2, 24, 8, 1e-6, true, new int[2], 500000, false, false, false, -1, 3),
                new ModelConfig("qwen2", 20, 16, 1, 4, 1, 24, 8, 1e-6, true, new int[1], 1e6, true, false, true, -1, -1)}) {
            Transformer m = new Transformer(Parameters.init(cfg, 11));
            INDArray want = m.forward(ids, null).dup();
            Path out = dir.resolve(cfg.modelType());
            HfCheckpoint.save(m.parameters(), out, DType.F32);
            assertEquals(cfg, ModelConfig.load(out), cfg.modelType());
            assertEquals(cfg.norm(), ModelConfig.load(out).norm());
            RawBytes.assertSameBits(want, Transformer.fromPretrained(out).forward(ids, null), cfg.modelType());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelConfig("gpt2",
                ModelConfig.Norm.RMS_NORM, ModelConfig.Positions.LEARNED, ModelConfig.Mlp.GELU, 20, 16, 1, 2, 2, 32, 8, 1e-5, true,
                new int[1], 0, true, true, true, -1, -1, null));
        assertTrue(e.getMessage().contains("LayerNorm"), "gpt2's config.json cannot describe RMSNorm: " + e.getMessage());
    }

    @Test
    void bf16AndF16CheckpointsMatchWithinTheirPrecision(@TempDir Path dir) throws Exception {
        for (String model : Fixtures.MODELS) {
            Fixtures.Inputs in = Fixtures.inputs(model);
            Map<String, INDArray> exp = Fixtures.expected(model);
            Transformer m = Transformer.fromPretrained(Fixtures.dir(model));
            for (DType dt : new DType[] {DType.BF16, DType.F16}) {
                Path out = dir.resolve(model + "-" + dt);
                HfCheckpoint.save(m.parameters(), out, dt);
                try (SafeTensors st = SafeTensors.open(out.resolve("model.safetensors"))) {
                    assertEquals(dt, st.entries().values().iterator().next().dtype());
                }
                double err = Fixtures.relError(Transformer.fromPretrained(out).forward(in.ids(), in.mask()), exp.get("logits"));
                double tol = dt == DType.BF16 ? 5e-2 : 5e-3;
                assertTrue(err < tol, model + " " + dt + " logits rel. error " + err);
            }
        }
    }

    private static Path copyFixture(String model, Path dir) throws IOException {
        Path d = dir.resolve(model);
        Files.createDirectories(d);
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(Fixtures.dir(model).resolve(f), d.resolve(f));
        }
        return d;
    }

    @Test
    void missingTensorsWrongShapesAndUnknownArchitecturesAreNamed(@TempDir Path dir) throws Exception {
        Path d = copyFixture("llama-tiny", dir);
        Map<String, INDArray> t = new LinkedHashMap<>(SafeTensors.readAll(d.resolve("model.safetensors")));
        t.remove("model.layers.1.mlp.up_proj.weight");
        SafeTensors.write(d.resolve("model.safetensors"), t, DType.F32, null);
        IOException e = assertThrows(IOException.class, () -> Transformer.fromPretrained(d));
        assertTrue(e.getMessage().contains("missing tensor 'model.layers.1.mlp.up_proj.weight'"), e.getMessage());

        t.put("model.layers.1.mlp.up_proj.weight", org.tinysql.tensor.Buffers.zeros(64, 31));
        SafeTensors.write(d.resolve("model.safetensors"), t, DType.F32, null);
        e = assertThrows(IOException.class, () -> Transformer.fromPretrained(d));
        assertTrue(e.getMessage().contains("has shape [64, 31], expected [64, 32]"), e.getMessage());

        Files.writeString(d.resolve("config.json"), "{\"model_type\": \"mamba\", \"architectures\": [\"MambaForCausalLM\"]}");
        e = assertThrows(IOException.class, () -> Transformer.fromPretrained(d));
        assertTrue(e.getMessage().contains("unsupported architecture") && e.getMessage().contains("Qwen2ForCausalLM"), e.getMessage());

        Path trunc = copyFixture("gpt2-tiny", dir.resolve("t"));
        byte[] bytes = Files.readAllBytes(trunc.resolve("model.safetensors"));
        Files.write(trunc.resolve("model.safetensors"), java.util.Arrays.copyOf(bytes, bytes.length - 100));
        e = assertThrows(IOException.class, () -> Transformer.fromPretrained(trunc));
        assertTrue(e.getMessage().contains("corrupt safetensors file") && e.getMessage().contains("truncated"), e.getMessage());
    }

    /** A sharded checkpoint loads exactly like the single file it was split from (F32 and BF16 alike). */
    @Test
    void shardedCheckpointsLoadThroughTheIndex(@TempDir Path dir) throws Exception {
        String model = "qwen2-tiny";
        Fixtures.Inputs in = Fixtures.inputs(model);
        Map<String, INDArray> all = SafeTensors.readAll(Fixtures.dir(model).resolve("model.safetensors"));
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            Path single = dir.resolve("single-" + dt);
            Files.createDirectories(single);
            SafeTensors.write(single.resolve("model.safetensors"), all, dt, null);
            Files.copy(Fixtures.dir(model).resolve("config.json"), single.resolve("config.json"));
            INDArray want = Transformer.fromPretrained(single).forward(in.ids(), in.mask()).dup();
            Path d = sharded(all, dir.resolve("sharded-" + dt), dt, model);
            RawBytes.assertSameBits(want, Transformer.fromPretrained(d).forward(in.ids(), in.mask()), "sharded " + dt + " logits");
            if (dt == DType.F32) {
                RawBytes.assertSameBits(Transformer.fromPretrained(Fixtures.dir(model)).forward(in.ids(), in.mask()).dup(),
                        want, "F32 shards equal the fixture itself");
            }
        }
    }

    /** The tensors in two shards (alternating) with a model.safetensors.index.json, plus the fixture's config.json. */
    private static Path sharded(Map<String, INDArray> all, Path d, DType dt, String model) throws IOException {
        Map<String, INDArray> a = new LinkedHashMap<>();
        Map<String, INDArray> b = new LinkedHashMap<>();
        StringBuilder idx = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        int i = 0;
        for (Map.Entry<String, INDArray> e : all.entrySet()) {
            String shard = i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (shard.contains("00001-of") ? a : b).put(e.getKey(), e.getValue());
            idx.append(i > 1 ? "," : "").append('"').append(e.getKey()).append("\": \"").append(shard).append('"');
        }
        idx.append("}}");
        Files.createDirectories(d);
        SafeTensors.write(d.resolve("model-00001-of-00002.safetensors"), a, dt, null);
        SafeTensors.write(d.resolve("model-00002-of-00002.safetensors"), b, dt, null);
        Files.writeString(d.resolve("model.safetensors.index.json"), idx);
        Files.copy(Fixtures.dir(model).resolve("config.json"), d.resolve("config.json"));
        return d;
    }
}
