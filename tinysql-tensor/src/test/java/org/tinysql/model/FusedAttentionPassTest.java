package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;

/**
 * A training step on packed rows longer than an attention tile runs the fused tiled attention, carves no dense
 * [B, H, T, T] array, and gives the loss and gradients of the dense kernels (forced by a hook on the pattern).
 */
class FusedAttentionPassTest {

    private record Step(double loss, Map<String, INDArray> grads, boolean dense) {
    }

    private static Step step(Transformer m, int[][] ids, int[][] mask, int[][] pos, int[][] labels) {
        m.zeroGrad();
        double loss = m.forwardLoss(ids, mask, pos, labels, true);
        m.backward();
        Map<String, INDArray> grads = new java.util.TreeMap<>();
        m.gradients().asMap().forEach((k, v) -> grads.put(k, v.dup()));
        return new Step(loss, grads, m.lastBuffers().hasDenseAttention());
    }

    @Test
    void packedTrainingStepRunsFusedWithTheDenseResults() {
        ModelConfig cfg = ModelConfig.llama(40, 32, 2, 4, 256);
        Transformer m = new Transformer(Parameters.init(cfg, 3, 0.2));
        int t = 150;
        int[][] ids = new int[2][t], mask = new int[2][t], pos = new int[2][t], labels = new int[2][t];
        SplittableRandom r = new SplittableRandom(5);
        int[][] lengths = {{90, 50}, {140}}; // row 0: two sequences then padding; row 1: one sequence then padding
        for (int b = 0; b < 2; b++) {
            Arrays.fill(labels[b], -100);
            int at = 0;
            for (int s = 0; s < lengths[b].length; s++) {
                for (int j = 0; j < lengths[b][s]; j++, at++) {
                    ids[b][at] = r.nextInt(40);
                    mask[b][at] = s + 1;
                    pos[b][at] = j;
                    labels[b][at] = j > 0 ? ids[b][at] : -100;
                }
            }
        }
        Step fused = step(m, ids, mask, pos, labels);
        Step dense;
        try (Hooks.Handle h = m.hooks().addForward(HookName.pattern(1), (a, n) -> null)) {
            dense = step(m, ids, mask, pos, labels);
        }
        assertFalse(fused.dense(), "a training step carves no [B, H, T, T] array");
        assertTrue(dense.dense(), "a hook on the pattern runs dense attention");
        assertEquals(dense.loss(), fused.loss(), 1e-6 * Math.abs(dense.loss()));
        for (String name : dense.grads().keySet()) {
            float[] want = Buffers.toFloats(dense.grads().get(name)), got = Buffers.toFloats(fused.grads().get(name));
            double max = 1e-6;
            for (float x : want) {
                max = Math.max(max, Math.abs(x));
            }
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-5 * max, name + " at " + i);
            }
        }
    }
}
