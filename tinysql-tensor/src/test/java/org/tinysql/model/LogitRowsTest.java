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
            assertThrows(IllegalStateException.class, () -> m.loss(ids, false));
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
}
