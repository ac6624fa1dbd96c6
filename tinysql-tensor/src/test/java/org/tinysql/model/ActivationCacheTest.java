package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;

/** RunSpec + ActivationCache: the same values as plain hooks, scoped edits, and TransformerLens's cache helpers. */
class ActivationCacheTest {
    static final int[][] IDS = {{1, 5, 7, 9, 2}, {3, 8, 6, 4, 11}};
    static final int[][] MASK = {{1, 1, 1, 1, 1}, {0, 1, 1, 1, 1}};

    static List<ModelConfig> configs() {
        return List.of(ModelConfig.gpt2(30, 32, 2, 4, 64),
                new ModelConfig("qwen2", 30, 32, 2, 4, 2, 48, 64, 1e-5, true, new int[2], 10000, true, false, false, -1, -1));
    }

    static INDArray dLogits(ModelConfig cfg) {
        float[] g = new float[2 * 5 * cfg.vocabSize()];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) Math.sin(i * 0.37) * 0.1f;
        }
        return Buffers.of(g, 2, 5, cfg.vocabSize());
    }

    @Test
    void cachedValuesAndGradientsEqualThoseOfPlainHooks() {
        for (ModelConfig cfg : configs()) {
            Transformer m = new Transformer(Parameters.init(cfg, 4));
            // reference with hooks
            Map<String, float[]> fwd = new HashMap<>();
            Map<String, float[]> bwd = new HashMap<>();
            String[] names = {HookName.residPre(0), HookName.z(1), HookName.mlpOut(0), HookName.normalized(1, "ln2")};
            for (String n : names) {
                m.hooks().addForward(n, (a, nm) -> {
                    fwd.put(nm, Buffers.toFloats(a));
                    return null;
                });
                m.hooks().addBackward(n, (g, nm) -> {
                    bwd.put(nm, Buffers.toFloats(g));
                    return null;
                });
            }
            float[] logits = Buffers.toFloats(m.forward(IDS, MASK));
            m.setParameterGradients(false);
            m.backward(dLogits(cfg));
            m.setParameterGradients(true);
            m.hooks().clear();
            m.zeroGrad();
            try (ActivationCache c = m.run(RunSpec.of(IDS, MASK).cache(names).grads(names))) {
                assertArrayEquals(logits, Buffers.toFloats(c.logits()));
                for (String n : names) {
                    assertArrayEquals(fwd.get(n), c.floats(n), n);
                    assertArrayEquals(HookPoints.shape(cfg, n, 2, 5), c.get(n).shape(), n);
                }
                c.backward(dLogits(cfg));
                for (String n : names) {
                    assertArrayEquals(bwd.get(n), c.gradFloats(n), n);
                }
                assertEquals(0.0, m.gradients().get("embed.W_E").norm2Number().doubleValue(), "no parameter gradients by default");
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.get(HookName.z(0)));
                assertTrue(e.getMessage().contains("RunSpec.cache"), e.getMessage());
            }
        }
    }

    @Test
    void editsLastOneRunAndStaleBackwardFails() {
        ModelConfig cfg = configs().get(1);
        Transformer m = new Transformer(Parameters.init(cfg, 4));
        float[] clean = Buffers.toFloats(m.forward(IDS, MASK)).clone();
        ActivationCache edited = m.run(RunSpec.of(IDS, MASK).edit(HookName.residMid(0), (a, n) -> a.muli(0)).cache(HookName.residMid(0)));
        assertEquals(0.0, edited.get(HookName.residMid(0)).norm2Number().doubleValue(), "cached after the edit");
        assertFalse(java.util.Arrays.equals(clean, Buffers.toFloats(edited.logits())));
        assertArrayEquals(clean, Buffers.toFloats(m.forward(IDS, MASK)), "the edit is gone after the run");
        assertThrows(IllegalStateException.class, () -> edited.backward(dLogits(cfg)), "another forward ran since");
        edited.close();
    }

    @Test
    void helpersDecomposeTheResidualStream() {
        for (ModelConfig cfg : configs()) {
            Transformer m = new Transformer(Parameters.init(cfg, 6));
            try (ActivationCache c = m.run(RunSpec.of(IDS, MASK).cache(n -> !n.contains("_input") && !n.endsWith("hook_result")
                    && !n.endsWith("hook_mlp_in")))) {
                int L = cfg.nLayers();
                INDArray acc = c.accumulatedResid();
                assertEquals(L + 1, acc.size(0));
                assertArrayEquals(c.floats(HookName.residPost(L - 1)), Buffers.toFloats(acc.get(org.nd4j.linalg.indexing.NDArrayIndex.point(L)).dup('c')));
                INDArray parts = c.decomposeResid();
                assertEquals(c.decomposeResidLabels().size(), parts.size(0));
                float[] sum = Buffers.toFloats(parts.sum(0).dup('c'));
                float[] resid = c.floats(HookName.residPost(L - 1));
                for (int i = 0; i < sum.length; i++) {
                    assertEquals(resid[i], sum[i], 1e-4, "decompose_resid sums to the final residual");
                }
                // head results + b_O = attention output
                for (int l = 0; l < L; l++) {
                    INDArray heads = c.stackHeadResults(l);
                    assertArrayEquals(new long[] {cfg.nHeads(), 2, 5, cfg.dModel()}, heads.shape());
                    INDArray bias = m.parameters().opt(HookName.block(l) + "attn.b_O");
                    float[] bo = bias == null ? new float[cfg.dModel()] : Buffers.toFloats(bias);
                    float[] out = c.floats(HookName.attnOut(l));
                    float[] got = Buffers.toFloats(heads.sum(0).dup('c'));
                    for (int i = 0; i < out.length; i++) {
                        assertEquals(out[i], got[i] + bo[i % cfg.dModel()], 1e-5);
                    }
                }
                // apply_ln_to_stack: normed pieces * w (+ b) sum to ln_final.hook_normalized
                INDArray normed = c.applyLnToStack(parts);
                float[] w = Buffers.toFloats(m.parameters().get("ln_final.w"));
                INDArray b = m.parameters().opt("ln_final.b");
                float[] bb = b == null ? new float[w.length] : Buffers.toFloats(b);
                float[] ns = Buffers.toFloats(normed.sum(0).dup('c'));
                float[] ln = c.floats(HookName.LN_FINAL_NORMALIZED);
                for (int i = 0; i < ln.length; i++) {
                    int ch = i % w.length;
                    assertEquals(ln[i], ns[i] * w[ch] + bb[ch], 2e-4, "row " + i);
                }
            }
        }
    }
}
