package org.tinysql.interp.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.SafeTensors;

/** SAE folders from strangers: cfg.json and sae.safetensors are validated before anything is allocated. */
class SaeFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path saved(Path dir, SaeConfig cfg) throws IOException {
        Sae.init(cfg, 3).save(dir);
        return dir;
    }

    private static void writeCfg(Path dir, String text) throws IOException {
        Files.writeString(dir.resolve("cfg.json"), text, StandardCharsets.UTF_8);
    }

    /**
     * Folders written by the SAE code before it computed on Kernels (src/test/resources/sae-legacy, one per architecture,
     * with inputs and the reconstructions and codes that code produced) load and give the same codes and, to float
     * rounding, the same reconstructions; saving them again writes the same tensors.
     */
    @Test
    void foldersOfThePreviousCodeLoadAndRoundTrip(@TempDir Path dir) throws Exception {
        for (SaeConfig.Architecture a : SaeConfig.Architecture.values()) {
            Path legacy = Path.of(getClass().getResource("/sae-legacy/" + a.key + "/cfg.json").toURI()).getParent();
            Map<String, INDArray> want = SafeTensors.readAll(legacy.resolve("expected.safetensors"));
            Sae sae = Sae.load(legacy);
            float[] x = Buffers.toFloats(want.get("x"));
            assertArrayEquals(Buffers.toFloats(want.get("code_dense")), sae.encode(x, 10).dense(16), 1e-6f, a.key + " codes");
            assertArrayEquals(Buffers.toFloats(want.get("x_hat")), sae.reconstruct(x, 10), 1e-6f, a.key + " reconstruction");
            sae.save(dir.resolve(a.key));
            Map<String, INDArray> before = SafeTensors.readAll(legacy.resolve("sae.safetensors"));
            Map<String, INDArray> after = SafeTensors.readAll(dir.resolve(a.key).resolve("sae.safetensors"));
            assertEquals(before.keySet(), after.keySet(), a.key);
            for (String t : before.keySet()) {
                if (!t.equals("threshold") || a != SaeConfig.Architecture.JUMPRELU) {
                    assertArrayEquals(Buffers.toFloats(before.get(t)), Buffers.toFloats(after.get(t)), 0f, a.key + " " + t);
                } else { // stored as log thresholds in between: exp(log(t)) is t to float rounding
                    assertArrayEquals(Buffers.toFloats(before.get(t)), Buffers.toFloats(after.get(t)), 1e-6f, a.key + " " + t);
                }
            }
            assertEquals(sae.config(), Sae.load(dir.resolve(a.key)).config());
        }
    }

    @Test
    void savedSaesLoadBackExactly(@TempDir Path dir) throws Exception {
        for (SaeConfig.Architecture a : SaeConfig.Architecture.values()) {
            Path d = saved(dir.resolve(a.key), SaeConfig.of(a, 8, 16, 3, 1e-3));
            Sae back = Sae.load(d);
            assertEquals(Sae.init(SaeConfig.of(a, 8, 16, 3, 1e-3), 3).config(), back.config());
            float[] x = new float[16];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.sin(i);
            }
            assertArrayEquals(Sae.init(SaeConfig.of(a, 8, 16, 3, 1e-3), 3).reconstruct(x, 2), back.reconstruct(x, 2), 1e-6f, a.key);
        }
    }

    @Test
    void absurdSizesFailBeforeAllocating(@TempDir Path dir) throws Exception {
        saved(dir, SaeConfig.topK(8, 16, 3));
        writeCfg(dir, "{\"architecture\": \"topk\", \"d_in\": 1000000000, \"d_sae\": 1000000000, \"k\": 3}");
        // a malformed file: an IOException naming it (before: a bare IllegalArgumentException)
        Exception e = assertThrows(org.tinysql.tensor.CheckpointFormatException.class,
                () -> assertTimeoutPreemptively(Duration.ofSeconds(2), () -> Sae.load(dir)));
        assertTrue(e.getMessage().contains("cfg.json") && e.getMessage().contains("d_in"), e.getMessage());
        writeCfg(dir, "{\"architecture\": \"topk\", \"d_in\": 131072, \"d_sae\": 4194304, \"k\": 3}");
        e = assertThrows(Exception.class, () -> Sae.load(dir));
        assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
    }

    @Test
    void mistypedFieldsAreClearErrors(@TempDir Path dir) throws Exception {
        saved(dir, SaeConfig.topK(8, 16, 3));
        for (String bad : List.of("{\"architecture\": \"topk\", \"d_in\": 8.5, \"d_sae\": 16, \"k\": 3}",
                "{\"architecture\": \"topk\", \"d_in\": \"8\", \"d_sae\": 16, \"k\": 3}",
                "{\"architecture\": 7, \"d_in\": 8, \"d_sae\": 16, \"k\": 3}",
                "{\"architecture\": \"topk\", \"d_in\": 8, \"d_sae\": 16, \"k\": 3, \"norm_scale\": 1e999}",
                "{\"architecture\": \"topk\", \"d_in\": 8, \"d_sae\": 16, \"k\": 3} {}",
                "{\"architecture\": \"topk\", \"d_in\": 8, \"d_in\": 9, \"d_sae\": 16, \"k\": 3}")) {
            writeCfg(dir, bad);
            Exception e = assertThrows(Exception.class, () -> Sae.load(dir), bad);
            assertTrue(e instanceof IOException || e instanceof IllegalArgumentException, bad + ": " + e);
            assertTrue(e.getMessage().contains("cfg.json"), bad + ": " + e.getMessage());
        }
    }

    @Test
    void nonFiniteOrMisshapenWeightsAreRefusedNamingTheTensor(@TempDir Path dir) throws Exception {
        saved(dir, SaeConfig.topK(8, 16, 3));
        Map<String, INDArray> t = SafeTensors.readAll(dir.resolve("sae.safetensors"));
        t.get("b_dec").putScalar(2, Float.NaN);
        SafeTensors.write(dir.resolve("sae.safetensors"), t, DType.F32, null);
        IOException e = assertThrows(IOException.class, () -> Sae.load(dir));
        assertTrue(e.getMessage().contains("b_dec") && e.getMessage().contains("sae.safetensors"), e.getMessage());
        t.put("b_dec", Buffers.zeros(9));
        SafeTensors.write(dir.resolve("sae.safetensors"), t, DType.F32, null);
        e = assertThrows(IOException.class, () -> Sae.load(dir));
        assertTrue(e.getMessage().contains("b_dec") && e.getMessage().contains("shape"), e.getMessage());
    }

    /** Seeded mutations of a valid cfg.json: every one loads correctly or fails with a clear error naming cfg.json. */
    @Test
    void fuzzCfgJson(@TempDir Path dir) throws Exception {
        saved(dir, SaeConfig.topK(8, 16, 3));
        ObjectNode valid = (ObjectNode) JSON.readTree(dir.resolve("cfg.json").toFile());
        Random r = new Random(7);
        String[] keys = {"architecture", "d_in", "d_sae", "k", "l1_coefficient", "bandwidth", "init_threshold", "hook_name", "norm_scale"};
        Object[] values = {-1, 0, 1, 3, 8, 16, 2.5, 1e9, -1e300, "8", "", "topk", "jumprelu", "batchtopk", true, null, Long.MAX_VALUE,
                List.of(1), Map.of("a", 1)};
        int errors = 0;
        int accepted = 0;
        int n = 250;
        for (int i = 0; i < n; i++) {
            ObjectNode j = valid.deepCopy();
            for (int m = 0; m < 1 + r.nextInt(3); m++) {
                String key = keys[r.nextInt(keys.length)];
                if (r.nextInt(6) == 0) {
                    j.remove(key);
                } else {
                    j.set(key, JSON.valueToTree(values[r.nextInt(values.length)]));
                }
            }
            String text = j.toString();
            if (r.nextInt(10) == 0) {
                text = text.substring(0, r.nextInt(text.length()));
            }
            writeCfg(dir, text);
            String in = text;
            try {
                Sae s = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> Sae.load(dir), in);
                assertEquals(8, s.config().dIn(), "only the saved widths can load: " + in);
                assertEquals(16, s.config().dSae(), in);
                accepted++;
            } catch (Exception e) {
                assertTrue(e instanceof IllegalArgumentException || e instanceof IOException, in + " -> " + e);
                assertTrue(e.getMessage() != null && (e.getMessage().contains("cfg.json") || e.getMessage().contains("sae.safetensors")),
                        in + " -> " + e);
                errors++;
            }
        }
        System.out.println("fuzz SAE cfg.json: " + n + " inputs, " + errors + " clear errors, " + accepted
                + " accepted (correct loads), 0 crashes, 0 hangs");
        assertEquals(n, errors + accepted);
    }

    /** Each way an SAE folder can be broken gives an error that names the file (and the tensor, where there is one). */
    @Test
    void brokenFoldersAreClearErrorsNamingTheFile(@TempDir Path dir) throws Exception {
        Path d = saved(dir.resolve("ok"), SaeConfig.of(SaeConfig.Architecture.JUMPRELU, 8, 16, 3, 1e-3));
        Path st = d.resolve("sae.safetensors");
        byte[] good = Files.readAllBytes(st);
        Map<String, INDArray> tensors = SafeTensors.readAll(st);

        Files.delete(st);
        assertLoadFails(d, st.toString());

        Files.write(st, java.util.Arrays.copyOf(good, good.length - 40));
        assertLoadFails(d, st.toString(), "truncated");

        Map<String, INDArray> noDecoder = new java.util.LinkedHashMap<>(tensors);
        noDecoder.remove("W_dec");
        SafeTensors.write(st, noDecoder, DType.F32, null);
        assertLoadFails(d, st.toString(), "missing tensor 'W_dec'");

        Map<String, INDArray> zeroThreshold = new java.util.LinkedHashMap<>(tensors);
        zeroThreshold.put("threshold", Buffers.zeros(16));
        SafeTensors.write(st, zeroThreshold, DType.F32, null);
        assertLoadFails(d, st.toString(), "threshold 0 is 0.0, not positive");

        Files.delete(st);
        Files.createDirectory(st);
        assertLoadFails(d, st.toString());
        Files.delete(st);
        Files.write(st, good);
        assertEquals(16, Sae.load(d).config().dSae(), "the repaired folder loads");

        Path cfg = d.resolve("cfg.json");
        Files.delete(cfg);
        assertLoadFails(d, "no cfg.json in " + d);

        Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
        assertLoadFails(file, file.toString());
    }

    private static void assertLoadFails(Path dir, String... expected) {
        Exception e = assertThrows(Exception.class, () -> Sae.load(dir));
        assertTrue(e instanceof IOException || e instanceof IllegalArgumentException, e.toString());
        for (String x : expected) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(x), "expected '" + x + "' in: " + e.getMessage());
        }
    }
}
