package org.tinysql.interp.sae;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.interp.eap.GraphExport;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.SafeTensors;

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
        t.put("W_enc", Buffers.of(sae.wEnc, sae.S, sae.C).transpose().dup('c'));
        t.put("W_dec", Buffers.of(sae.wDec, sae.S, sae.C));
        t.put("b_enc", Buffers.of(sae.bEnc, sae.S));
        t.put("b_dec", Buffers.of(sae.bDec, sae.C));
        if (sae.logThreshold != null) {
            float[] th = new float[sae.S];
            for (int j = 0; j < sae.S; j++) {
                th[j] = (float) Math.exp(sae.logThreshold[j]);
            }
            t.put("threshold", Buffers.of(th, sae.S));
        } else if (sae.batchThreshold >= 0) {
            t.put("threshold", Buffers.of(new float[] {sae.batchThreshold}, 1));
        }
        SafeTensors.write(dir.resolve("sae.safetensors"), t, DType.F32, Map.of("format", "tinysql-sae"));
        GraphExport.write(dir.resolve("cfg.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(sae.cfg.toJson()));
    }

    static Sae load(Path dir) throws IOException {
        Path cfgFile = dir.resolve("cfg.json");
        if (!Files.exists(cfgFile)) {
            throw new IOException("no cfg.json in " + dir + " (an SAE folder has cfg.json and sae.safetensors)");
        }
        SaeConfig cfg = SaeConfig.fromJson(new ObjectMapper().readTree(cfgFile.toFile()), cfgFile.toString());
        Map<String, INDArray> t = SafeTensors.readAll(dir.resolve("sae.safetensors"));
        Sae s = new Sae(cfg);
        copy(t, "W_enc", new long[] {cfg.dIn(), cfg.dSae()}, null, dir);
        float[] we = Buffers.toFloats(t.get("W_enc").transpose().dup('c'));
        System.arraycopy(we, 0, s.wEnc, 0, we.length);
        copy(t, "W_dec", new long[] {cfg.dSae(), cfg.dIn()}, s.wDec, dir);
        copy(t, "b_enc", new long[] {cfg.dSae()}, s.bEnc, dir);
        copy(t, "b_dec", new long[] {cfg.dIn()}, s.bDec, dir);
        if (s.logThreshold != null) {
            float[] th = new float[cfg.dSae()];
            copy(t, "threshold", new long[] {cfg.dSae()}, th, dir);
            for (int j = 0; j < th.length; j++) {
                s.logThreshold[j] = (float) Math.log(th[j]);
            }
        } else if (t.containsKey("threshold")) {
            s.batchThreshold = t.get("threshold").getFloat(0);
        }
        return s;
    }

    private static void copy(Map<String, INDArray> t, String name, long[] shape, float[] into, Path dir) {
        INDArray a = t.get(name);
        if (a == null) {
            throw new IllegalArgumentException(dir + "/sae.safetensors: missing tensor '" + name + "'");
        }
        if (!Arrays.equals(a.shape(), shape)) {
            throw new IllegalArgumentException(dir + "/sae.safetensors: tensor '" + name + "' has shape " + Arrays.toString(a.shape())
                    + ", cfg.json implies " + Arrays.toString(shape));
        }
        if (into != null) {
            Buffers.fb(a).get(0, into);
        }
    }
}
