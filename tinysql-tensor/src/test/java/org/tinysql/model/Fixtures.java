package org.tinysql.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.SafeTensors;

/** The PyTorch reference fixtures in the test resources (fixtures/README.md: provenance; fixtures/make_model_fixtures.py). */
final class Fixtures {
    static final String[] MODELS = {"gpt-neo-tiny", "gpt2-tiny", "llama-tiny", "qwen2-tiny"};

    private Fixtures() {
    }

    static Path dir(String model) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/models/" + model + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    record Inputs(int[][] ids, int[][] mask, int[][] labels) {
    }

    static Inputs inputs(String model) throws IOException {
        JsonNode j = new ObjectMapper().readTree(dir(model).resolve("inputs.json").toFile());
        ObjectMapper m = new ObjectMapper();
        return new Inputs(m.convertValue(j.get("input_ids"), int[][].class), m.convertValue(j.get("attention_mask"), int[][].class),
                m.convertValue(j.get("labels"), int[][].class));
    }

    static Map<String, INDArray> expected(String model) throws IOException {
        return SafeTensors.readAll(dir(model).resolve("expected.safetensors"));
    }

    /** max |a - b| / max |b|. */
    static double relError(INDArray got, INDArray want) {
        float[] a = Buffers.toFloats(got.dup('c'));
        float[] b = Buffers.toFloats(want.dup('c'));
        if (a.length != b.length) {
            throw new AssertionError("sizes differ: " + a.length + " vs " + b.length);
        }
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) a[i] - b[i]));
            maxRef = Math.max(maxRef, Math.abs(b[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
