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

    /**
     * forwardLoss (the trainer's step) equals the full forward and loss, with every parameter gradient, and a row-only
     * pass never allocates the [B*T, V] logits buffer.
     */
    @Test
    void forwardLossNeedsNoFullLogitsBuffer() {
        ModelConfig cfg = new ModelConfig("llama", 50, 32, 2, 4, 2, 64, 64, 1e-5, true, new int[2], 10000, false, false, false, -1, -1);
        Transformer m = new Transformer(Parameters.init(cfg, 7));
        int[][] ids = {{1, 5, 7, 9, 2, 4, 0}, {3, 8, 6, 4, 11, 12, 13}};
        int[][] mask = {{1, 1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 1, 1}};
        int[][] labels = {{-100, -100, -100, 9, 2, 4, -100}, {-100, -100, -100, -100, -100, 12, 13}};
        double part = m.forwardLoss(ids, mask, null, labels, true);
        m.zeroGrad();
        m.backward();
        assertEquals(false, m.lastBuffers().hasLogits(), "a row-only step allocates no [B*T, V] logits");
        java.util.Map<String, float[]> gPart = new java.util.HashMap<>();
        for (String name : m.gradients().names()) {
            gPart.put(name, Buffers.toFloats(m.gradients().get(name)));
        }
        m.forward(ids, mask);
        double full = m.loss(labels, true);
        m.zeroGrad();
        m.backward();
        assertEquals(full, part, 1e-6 * Math.abs(full));
        for (String name : gPart.keySet()) {
            assertArrayEquals(Buffers.toFloats(m.gradients().get(name)), gPart.get(name), 1e-6f, name);
        }
        int[][] none = {{-100, -100, -100, -100, -100, -100, -100}, {-100, -100, -100, -100, -100, -100, -100}};
        assertThrows(IllegalArgumentException.class, () -> m.forwardLoss(ids, mask, null, none, false));
    }

    /**
     * A run with logit rows: rowLogits are the full pass's logits at those rows, logits() fills the full buffer on
     * demand (zero elsewhere, also after another row set ran on the same buffers), and backwardRows equals backward
     * from the same gradient scattered into [B, T, V].
     */
    @Test
    void rowLogitsAndRowGradientsMatchTheFullRun() {
        ModelConfig cfg = ModelConfig.gpt2(50, 32, 2, 4, 64);
        Transformer m = new Transformer(Parameters.init(cfg, 9));
        int[][] ids = {{1, 5, 7, 9, 2, 4}, {3, 8, 6, 4, 11, 12}};
        int[] rows = {4, 6 + 5};
        float[] fullLogits = Buffers.toFloats(m.forward(ids, null).dup());
        INDArray grad = Buffers.zeros(2, 6, 50);
        grad.putScalar(new long[] {0, 4, 7}, 1f);
        grad.putScalar(new long[] {1, 5, 3}, -2f);
        float[] dFull;
        try (ActivationCache c = m.run(RunSpec.of(ids, null).grads("blocks.0.hook_resid_pre"))) {
            c.backward(grad);
            dFull = c.gradFloats("blocks.0.hook_resid_pre");
        }
        try (ActivationCache c = m.run(RunSpec.of(ids, null).logitRows(new int[] {0, 1, 2}))) {
            assertEquals(3, c.rowLogits().size(0));
            c.logits(); // fills rows 0..2 of the full buffer
        }
        try (ActivationCache c = m.run(RunSpec.of(ids, null).logitRows(rows).grads("blocks.0.hook_resid_pre"))) {
            float[] r = Buffers.toFloats(c.rowLogits());
            for (int v = 0; v < 50; v++) {
                assertEquals(fullLogits[4 * 50 + v], r[v], 1e-5f);
                assertEquals(fullLogits[11 * 50 + v], r[50 + v], 1e-5f);
            }
            INDArray dRows = Buffers.zeros(2, 50);
            dRows.putScalar(new long[] {0, 7}, 1f);
            dRows.putScalar(new long[] {1, 3}, -2f);
            c.backwardRows(dRows);
            assertArrayEquals(dFull, c.gradFloats("blocks.0.hook_resid_pre"), 1e-5f);
            assertThrows(IllegalArgumentException.class, () -> c.backwardRows(Buffers.zeros(3, 50)));
            float[] all = Buffers.toFloats(c.logits());
            for (int row = 0; row < 12; row++) {
                for (int v = 0; v < 50; v++) {
                    float want = row == 4 || row == 11 ? fullLogits[row * 50 + v] : 0f;
                    assertEquals(want, all[row * 50 + v], 1e-5f, "row " + row);
                }
            }
        }
        try (ActivationCache c = m.run(RunSpec.of(ids, null))) {
            assertThrows(IllegalStateException.class, c::rowLogits);
        }
    }

    /** Decoding's forwardCachedLast returns forwardCached's last position, prefill and steps alike. */
    @Test
    void cachedLastPositionLogitsMatchTheFullCachedPass() {
        for (ModelConfig cfg : List.of(ModelConfig.gpt2(50, 32, 2, 4, 64),
                new ModelConfig("llama", 50, 32, 2, 4, 2, 64, 64, 1e-5, true, new int[2], 10000, false, false, false, -1, -1))) {
            Transformer m = new Transformer(Parameters.init(cfg, 11));
            int[][] prompt = {{0, 5, 7, 9}, {3, 8, 6, 4}};
            int[][] mask = {{0, 1, 1, 1}, {1, 1, 1, 1}};
            int[][] pos = {{0, 0, 1, 2}, {0, 1, 2, 3}};
            float[][] want = new float[2][];
            float[][] got = new float[2][];
            for (int pass = 0; pass < 2; pass++) {
                try (KvCache cache = m.newCache(2, 6)) {
                    INDArray a = pass == 0 ? m.forwardCached(prompt, mask, pos, cache)
                            .get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(3),
                                    org.nd4j.linalg.indexing.NDArrayIndex.all()).dup()
                            : m.forwardCachedLast(prompt, mask, pos, cache);
                    INDArray b = pass == 0 ? m.forwardCached(new int[][] {{2}, {11}}, new int[][] {{1}, {1}}, new int[][] {{3}, {4}}, cache)
                            .reshape(2, 50) : m.forwardCachedLast(new int[][] {{2}, {11}}, new int[][] {{1}, {1}}, new int[][] {{3}, {4}}, cache);
                    float[] both = new float[200];
                    System.arraycopy(Buffers.toFloats(a), 0, both, 0, 100);
                    System.arraycopy(Buffers.toFloats(b), 0, both, 100, 100);
                    if (pass == 0) {
                        want[0] = both;
                    } else {
                        got[0] = both;
                    }
                }
            }
            assertArrayEquals(want[0], got[0], 1e-5f, cfg.modelType());
        }
    }
}
