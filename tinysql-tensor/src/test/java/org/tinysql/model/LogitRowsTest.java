package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;

/** Restricting the unembedding to some rows gives the same logits there and the same input gradients. */
class LogitRowsTest {

    @Test
    void selectedRowsMatchTheFullPass() {
        for (ModelConfig cfg : List.of(ModelConfig.gpt2(50, 32, 2, 4, 64),
                new ModelConfig("llama", 50, 32, 2, 4, 2, 64, 64, 1e-5, true, new int[2], 10000, false, false, false, -1, -1))) {
            Transformer m = new Transformer(Parameters.init(cfg, 3));
            int[][] ids = {{1, 5, 7, 9, 2, 4}, {3, 8, 6, 4, 11, 12}};
            int[] rows = {4, 6 + 5};
            INDArray full = m.forward(ids, null).dup();
            INDArray grad = Buffers.zeros(2, 6, 50);
            grad.putScalar(new long[] {0, 4, 7}, 1f);
            grad.putScalar(new long[] {1, 5, 3}, -2f);
            float[][] dFull = new float[1][];
            try (Hooks.Handle h = m.hooks().addBackward("blocks.0.hook_resid_pre", (g, n) -> {
                dFull[0] = Buffers.toFloats(g);
                return null;
            })) {
                m.setParameterGradients(false);
                m.backward(grad);
            }
            m.setLogitRows(rows);
            INDArray part = m.forward(ids, null).dup();
            float[][] dPart = new float[1][];
            try (Hooks.Handle h = m.hooks().addBackward("blocks.0.hook_resid_pre", (g, n) -> {
                dPart[0] = Buffers.toFloats(g);
                return null;
            })) {
                m.backward(grad);
            }
            // ids as labels: every position is labelled, and rows 0..3 have no logits.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.loss(ids, false));
            assertEquals(true, e.getMessage().contains("has a label but no logits"), e.getMessage());
            m.setLogitRows(null);
            m.setParameterGradients(true);
            for (int v = 0; v < 50; v++) {
                assertEquals(full.getFloat(0, 4, v), part.getFloat(0, 4, v), 1e-5f);
                assertEquals(full.getFloat(1, 5, v), part.getFloat(1, 5, v), 1e-5f);
                assertEquals(0f, part.getFloat(0, 0, v));
            }
            assertArrayEquals(dFull[0], dPart[0], 1e-5f, cfg.toString());
        }
    }

    /** Training with logits only on the labelled rows: same loss and the same gradient for every parameter. */
    @Test
    void lossOnLabelledRowsEqualsTheFullLoss() {
        for (ModelConfig cfg : List.of(ModelConfig.gpt2(50, 32, 2, 4, 64),
                new ModelConfig("llama", 50, 32, 2, 4, 2, 64, 64, 1e-5, true, new int[2], 10000, false, false, false, -1, -1))) {
            Transformer m = new Transformer(Parameters.init(cfg, 5));
            int[][] ids = {{1, 5, 7, 9, 2, 4, 0}, {3, 8, 6, 4, 11, 12, 13}};
            int[][] mask = {{1, 1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 1, 1}};
            int[][] labels = {{-100, -100, -100, 9, 2, 4, -100}, {-100, -100, -100, -100, -100, 12, 13}};
            assertArrayEquals(new int[] {2, 3, 4, 7 + 4, 7 + 5}, Transformer.labelledRows(labels));
            m.forward(ids, mask);
            double full = m.loss(labels, true);
            m.zeroGrad();
            m.backward();
            java.util.Map<String, float[]> gFull = new java.util.HashMap<>();
            for (String name : m.gradients().names()) {
                gFull.put(name, Buffers.toFloats(m.gradients().get(name)));
            }
            m.setLogitRows(Transformer.labelledRows(labels));
            m.forward(ids, mask);
            double part = m.loss(labels, true);
            m.zeroGrad();
            m.backward();
            m.setLogitRows(null);
            assertEquals(full, part, 1e-6 * Math.abs(full));
            for (String name : gFull.keySet()) {
                assertArrayEquals(gFull.get(name), Buffers.toFloats(m.gradients().get(name)), 1e-6f,
                        cfg.modelType() + " " + name);
            }
        }
    }
}
