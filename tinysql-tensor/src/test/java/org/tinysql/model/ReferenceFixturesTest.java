package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Logits, loss, every parameter gradient and every hooked activation against PyTorch (float64 reference). */
class ReferenceFixturesTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt-neo-tiny", "gpt2-tiny", "llama-tiny", "qwen2-tiny"})
    void logitsLossGradientsAndHooksMatchPyTorch(String model) throws Exception {
        Transformer m = Transformer.fromPretrained(Fixtures.dir(model));
        Fixtures.Inputs in = Fixtures.inputs(model);
        Map<String, INDArray> exp = Fixtures.expected(model);

        Map<String, INDArray> cache = m.runWithCache(in.ids(), in.mask(), n -> true);
        double logitErr = Fixtures.relError(cache.get("logits"), exp.get("logits"));
        assertTrue(logitErr < 1e-4, model + " logits rel. error " + logitErr);
        int hooks = 0;
        for (Map.Entry<String, INDArray> e : exp.entrySet()) {
            if (!e.getKey().startsWith("hook.")) {
                continue;
            }
            String name = e.getKey().substring(5);
            INDArray got = cache.get(name);
            assertTrue(got != null, model + ": no cached activation for " + name);
            assertArrayEquals(e.getValue().shape(), got.shape(), model + " " + name + " shape");
            double err = name.endsWith("hook_attn_scores") ? maskedScoresError(got, e.getValue()) : Fixtures.relError(got, e.getValue());
            assertTrue(err < 1e-4, model + " " + name + " rel. error " + err);
            hooks++;
        }
        assertTrue(hooks >= 29, "compared " + hooks + " hooks");

        m.forward(in.ids(), in.mask());
        double loss = m.loss(in.labels(), true);
        assertEquals(exp.get("loss").getDouble(0), loss, 1e-5 * Math.abs(loss), model + " loss");
        m.zeroGrad();
        m.backward();
        Map<String, INDArray> grads = HfCheckpoint.toHf(m.gradients());
        int n = 0;
        for (Map.Entry<String, INDArray> e : exp.entrySet()) {
            if (!e.getKey().startsWith("grad.")) {
                continue;
            }
            String name = e.getKey().substring(5);
            INDArray got = grads.get(name);
            assertTrue(got != null, model + ": no gradient for " + name);
            double err = Fixtures.relError(got, e.getValue());
            assertTrue(err < 1e-3, model + " grad " + name + " rel. error " + err);
            n++;
        }
        assertEquals(grads.size(), n, "every parameter has a reference gradient");
    }

    /** Scores: masked entries must be float32 min exactly; the rest within tolerance of the largest unmasked score. */
    private static double maskedScoresError(INDArray got, INDArray want) {
        float[] a = org.tinysql.tensor.Buffers.toFloats(got);
        float[] b = org.tinysql.tensor.Buffers.toFloats(want.dup('c'));
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < a.length; i++) {
            if (b[i] == -Float.MAX_VALUE) {
                if (a[i] != -Float.MAX_VALUE) {
                    return Double.POSITIVE_INFINITY;
                }
                continue;
            }
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            maxRef = Math.max(maxRef, Math.abs(b[i]));
        }
        return maxDiff / maxRef;
    }
}
