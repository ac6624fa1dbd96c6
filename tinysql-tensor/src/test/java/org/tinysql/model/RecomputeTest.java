package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;

/** Activation recomputation per block: the same loss and bit-identical gradients with a fraction of the activations. */
class RecomputeTest {

    /** The loss and every parameter gradient of the fixture's batch, with or without recomputation. */
    private static double lossAndGrads(Transformer m, Fixtures.Inputs in, boolean recompute, int[] rows) {
        m.setRecompute(recompute);
        m.setLogitRows(rows);
        m.forward(in.ids(), in.mask());
        double loss = m.loss(in.labels(), true);
        m.zeroGrad();
        m.backward();
        m.setLogitRows(null);
        return loss;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-neo-tiny", "gpt2-tiny", "llama-tiny", "qwen2-tiny"})
    void gradientsAreBitIdenticalWithRecomputation(String model) throws Exception {
        Fixtures.Inputs in = Fixtures.inputs(model);
        for (int[] rows : new int[][] {null, Transformer.labelledRows(in.labels())}) {
            Transformer plain = Transformer.fromPretrained(Fixtures.dir(model));
            Transformer recomputed = new Transformer(plain.parameters());
            double want = lossAndGrads(plain, in, false, rows);
            double got = lossAndGrads(recomputed, in, true, rows);
            assertEquals(want, got, 0, model + " loss");
            for (Map.Entry<String, INDArray> e : plain.gradients().asMap().entrySet()) {
                assertArrayEquals(Buffers.toFloats(e.getValue()), Buffers.toFloats(recomputed.gradients().get(e.getKey())),
                        model + " gradient of " + e.getKey());
            }
        }
    }

    @Test
    void recomputationKeepsOneBlockOfActivations() {
        ModelConfig cfg = ModelConfig.llama(50, 32, 6, 4, 64);
        ActivationBuffers all = new ActivationBuffers(cfg, new org.tinysql.tensor.CpuKernels(), 2, 16, 16, false);
        ActivationBuffers one = new ActivationBuffers(cfg, new org.tinysql.tensor.CpuKernels(), 2, 16, 16, true);
        long logits = 2L * 16 * 50 * 4;
        long perLayer = (all.bytes() - logits) / 6;
        // six layers of activations against one, plus five more block inputs of 2 x 16 x 32 floats
        assertTrue(one.bytes() - logits < perLayer + 5L * 2 * 16 * 32 * 4 + perLayer / 2, all.bytes() + " vs " + one.bytes());
        all.close();
        one.close();
    }

    @Test
    void hooksAreRefusedWhileRecomputing() throws Exception {
        Transformer m = Transformer.fromPretrained(Fixtures.dir("llama-tiny"));
        Fixtures.Inputs in = Fixtures.inputs("llama-tiny");
        m.setRecompute(true);
        try (Hooks.Handle h = m.hooks().addForward(HookName.residPost(0), (a, n) -> a.muli(0.5))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.forward(in.ids(), in.mask()));
            assertTrue(e.getMessage().contains("setRecompute(false)"), e.getMessage());
        }
        m.setRecompute(false);
        try (Hooks.Handle h = m.hooks().addForward(HookName.residPost(0), (a, n) -> a.muli(0.5))) {
            m.forward(in.ids(), in.mask());
        }
    }
}
