package org.tinysql.interp.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.StrictJson;
import org.tinysql.model.NonFiniteWeights;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.CheckpointFormatException;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.Kernels;
import org.tinysql.tensor.SafeTensors;
import org.tinysql.util.AtomicFiles;

/**
 * An SAE folder: {@code sae.safetensors} (W_enc [C, S], W_dec [S, C], b_enc [S], b_dec [C], threshold [S] for JumpReLU
 * or [1] for BatchTopK) and {@code cfg.json}, with C = d_in and S = d_sae. Shapes are checked against cfg.json on load.
 */
final class SaeFiles {

    private SaeFiles() {
    }

    /** Writes {@code sae.safetensors} (W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec, threshold) and cfg.json. */
    static void save(Sae sae, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put("W_enc", sae.wEnc.transpose().dup('c'));
        t.put("W_dec", sae.wDec);
        t.put("b_enc", sae.bEnc);
        t.put("b_dec", sae.bDec);
        if (sae.threshold != null) {
            t.put("threshold", sae.threshold);
        } else if (sae.batchThreshold >= 0) {
            t.put("threshold", Buffers.of(new float[] {sae.batchThreshold}, 1));
        }
        SafeTensors.write(dir.resolve("sae.safetensors"), t, DType.F32, Map.of("format", "tinysql-sae"));
        AtomicFiles.writeString(dir.resolve("cfg.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(sae.cfg.toJson()));
    }

    /**
     * Loads an SAE folder from a stranger: cfg.json read strictly (at most 1 MiB, one object, typed fields, sizes
     * capped), every tensor's presence and shape checked from the safetensors header before anything is allocated, and
     * NaN or infinite weights refused (as {@link NonFiniteWeights#fromSystemProperty()} says). Errors name the file.
     */
    static Sae load(Path dir, Kernels kernels) throws IOException {
        Path cfgFile = dir.resolve("cfg.json");
        if (!Files.isRegularFile(cfgFile)) {
            throw new java.nio.file.NoSuchFileException(null, null, "no cfg.json in " + dir + " (an SAE folder has cfg.json and sae.safetensors)");
        }
        JsonNode json = StrictJson.readFile(StrictJson.reader(JsonNode.class), cfgFile, 1 << 20);
        SaeConfig cfg;
        try {
            cfg = SaeConfig.fromJson(json, cfgFile.toString());
        } catch (IllegalArgumentException e) {
            // a bad value in a stranger's cfg.json is a malformed file (an IOException naming it), as for model configs
            throw new org.tinysql.tensor.CheckpointFormatException(cfgFile, e.getMessage(), e);
        }
        Path file = dir.resolve("sae.safetensors");
        NonFiniteWeights nonFinite = NonFiniteWeights.fromSystemProperty();
        try (SafeTensors st = SafeTensors.open(file)) {
            boolean jump = cfg.architecture() == SaeConfig.Architecture.JUMPRELU;
            check(st, file, "W_enc", new long[] {cfg.dIn(), cfg.dSae()});
            check(st, file, "W_dec", new long[] {cfg.dSae(), cfg.dIn()});
            check(st, file, "b_enc", new long[] {cfg.dSae()});
            check(st, file, "b_dec", new long[] {cfg.dIn()});
            if (jump) {
                check(st, file, "threshold", new long[] {cfg.dSae()});
            } else if (st.entries().containsKey("threshold")) {
                check(st, file, "threshold", new long[] {1});
            }
            Sae s = new Sae(cfg, kernels);
            kernels.copy(read(st, file, "W_enc", nonFinite).transpose().dup('c'), s.wEnc);
            kernels.copy(read(st, file, "W_dec", nonFinite), s.wDec);
            kernels.copy(read(st, file, "b_enc", nonFinite), s.bEnc);
            kernels.copy(read(st, file, "b_dec", nonFinite), s.bDec);
            if (s.logThreshold != null) {
                // The file holds thresholds; training works on their logarithms (computed here, at the file boundary).
                float[] th = Buffers.toFloats(read(st, file, "threshold", nonFinite));
                for (int j = 0; j < th.length; j++) {
                    if (!(th[j] > 0)) {
                        throw new CheckpointFormatException(file, "JumpReLU threshold " + j + " is " + th[j] + ", not positive");
                    }
                    th[j] = (float) Math.log(th[j]);
                }
                Buffers.fb(s.logThreshold).put(0, th);
                s.thresholdChanged();
            } else if (st.entries().containsKey("threshold")) {
                s.batchThreshold = read(st, file, "threshold", nonFinite).getFloat(0);
            }
            return s;
        }
    }

    private static void check(SafeTensors st, Path file, String name, long[] shape) throws CheckpointFormatException {
        SafeTensors.Entry e = st.entries().get(name);
        if (e == null) {
            throw new CheckpointFormatException(file, "missing tensor '" + name + "'");
        }
        if (!Arrays.equals(e.shape(), shape)) {
            throw new CheckpointFormatException(file, "tensor '" + name + "' has shape " + Arrays.toString(e.shape())
                    + ", cfg.json implies " + Arrays.toString(shape));
        }
    }

    private static INDArray read(SafeTensors st, Path file, String name, NonFiniteWeights nonFinite) throws IOException {
        INDArray a = st.read(name);
        nonFinite.check(Buffers.fb(a), (int) a.length(), name, file);
        return a;
    }
}
