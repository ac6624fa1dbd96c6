package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class HooksTest {

    @Test
    void unknownHookNamesSuggestTheClosest() throws Exception {
        Transformer m = Transformer.fromPretrained(Fixtures.dir("gpt2-tiny"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.hooks().addForward("blocks.0.hook_resid_prе", (a, n) -> null));
        assertTrue(e.getMessage().contains("blocks.0.hook_resid_pre"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.hooks().addForward("blocks.0.attn.hook_rot_q", (a, n) -> null));
        assertTrue(e.getMessage().contains("closest"), e.getMessage());
    }

    @Test
    void attentionComputedOnTilesAgreesWithTheDenseKernelsAndRefusesLateAttentionHooks() throws Exception {
        Transformer m = Transformer.fromPretrained(Fixtures.dir("llama-tiny"));
        int v = m.config().vocabSize();
        // right padding: the forward without hooks runs attention on the mask's tiles only
        int[][] ids = {{5, 9, 3, 7, 2, 1}, {4, 8, 6, 0, 0, 0}};
        int[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 0, 0, 0}};
        INDArray tiled = m.forward(ids, mask).dup();
        INDArray dense;
        // a hook on a pattern makes the pass dense (it must see every entry)
        try (Hooks.Handle h = m.hooks().addForward(HookName.pattern(0), (a, n) -> null)) {
            dense = m.forward(ids, mask).dup();
        }
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < (b == 0 ? 6 : 3); t++) {
                for (int j = 0; j < v; j++) {
                    assertEquals(dense.getDouble(b, t, j), tiled.getDouble(b, t, j), 1e-5, "b " + b + " t " + t);
                }
            }
        }
        m.forward(ids, mask);
        try (Hooks.Handle h = m.hooks().addBackward(HookName.pattern(0), (g, n) -> null)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.backward(org.nd4j.linalg.factory.Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 6, v)));
            assertTrue(e.getMessage().contains("before the forward"), e.getMessage());
        }
    }

    /** hook_scale shows the norm's scale (normalized * scale = x - mean for LayerNorm) and may not be edited. */
    @Test
    void hookScaleIsReadableButReadOnly() throws Exception {
        Transformer m = Transformer.fromPretrained(Fixtures.dir("gpt2-tiny"));
        Fixtures.Inputs in = Fixtures.inputs("gpt2-tiny");
        Map<String, INDArray> c = m.runWithCache(in.ids(), in.mask(),
                n -> n.equals("blocks.0.ln1.hook_scale") || n.equals("blocks.0.hook_resid_pre"));
        INDArray x = c.get("blocks.0.hook_resid_pre");
        INDArray centred = x.sub(x.mean(true, 2));
        INDArray var = centred.mul(centred).mean(true, 2);
        INDArray expected = org.nd4j.linalg.ops.transforms.Transforms.sqrt(var.add(m.config().normEps()));
        assertTrue(Fixtures.relError(c.get("blocks.0.ln1.hook_scale"), expected) < 1e-5);
        try (Hooks.Handle h = m.hooks().addForward("blocks.0.ln1.hook_scale", (a, n) -> a.mul(2))) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> m.forward(in.ids(), in.mask()));
            assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        }
    }

    /** Zeroing head 1's z by a hook equals zeroing its columns of W_O by hand. */
    @Test
    void headAblationByHookEqualsTheEditByHand() throws Exception {
        for (String model : Fixtures.MODELS) {
            Transformer m = Transformer.fromPretrained(Fixtures.dir(model));
            Fixtures.Inputs in = Fixtures.inputs(model);
            INDArray clean = m.forward(in.ids(), in.mask()).dup();
            Map<String, org.tinysql.model.Hooks.Forward> hooks = new HashMap<>();
            hooks.put("blocks.1.attn.hook_z", (z, n) -> {
                z.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all()).assign(0);
                return null;
            });
            INDArray hooked = m.runWithHooks(in.ids(), in.mask(), hooks);
            assertFalse(hooked.equalsWithEps(clean, 1e-6), "ablation changes the output");
            INDArray wo = m.parameters().get("blocks.1.attn.W_O");
            int d = m.config().headDim();
            INDArray saved = wo.dup();
            wo.get(NDArrayIndex.all(), NDArrayIndex.interval(d, 2 * d)).assign(0);
            INDArray byHand = m.forward(in.ids(), in.mask()).dup();
            wo.assign(saved);
            assertTrue(Fixtures.relError(hooked, byHand) < 1e-6, model + ": " + Fixtures.relError(hooked, byHand));
            // The scoped hook is gone afterwards.
            assertTrue(Fixtures.relError(m.forward(in.ids(), in.mask()), clean) == 0);
        }
    }

    /** Replacing hook_resid_post of the last block by a returned array changes the logits exactly as expected. */
    @Test
    void returnedReplacementIsUsedDownstream() throws Exception {
        Transformer m = Transformer.fromPretrained(Fixtures.dir("llama-tiny"));
        Fixtures.Inputs in = Fixtures.inputs("llama-tiny");
        Map<String, INDArray> cache = m.runWithCache(in.ids(), in.mask(), n -> n.equals("blocks.0.hook_resid_post"));
        INDArray doubled = cache.get("blocks.0.hook_resid_post").mul(2);
        try (Hooks.Handle h = m.hooks().addForward("blocks.0.hook_resid_post", (a, n) -> doubled)) {
            Map<String, INDArray> c2 = m.runWithCache(in.ids(), in.mask(), n -> n.equals("blocks.1.hook_resid_pre"));
            assertEquals(0, Fixtures.relError(c2.get("blocks.1.hook_resid_pre"), doubled), 1e-7);
        }
        assertThrows(IllegalArgumentException.class, () -> {
            try (Hooks.Handle h = m.hooks().addForward("blocks.0.hook_resid_post", (a, n) -> doubled.get(NDArrayIndex.point(0)))) {
                m.forward(in.ids(), in.mask());
            }
        });
    }

    /** A backward hook sees dLoss/dActivation: compare with a finite difference through a forward hook. */
    @Test
    void backwardHookSeesTheActivationGradient() throws Exception {
        Transformer m = Transformer.fromPretrained(Fixtures.dir("gpt-neo-tiny"));
        Fixtures.Inputs in = Fixtures.inputs("gpt-neo-tiny");
        String name = "blocks.1.hook_resid_mid";
        INDArray[] grad = new INDArray[1];
        try (Hooks.Handle h = m.hooks().addBackward(name, (g, n) -> {
            grad[0] = g.dup();
            return null;
        })) {
            m.forward(in.ids(), in.mask());
            m.loss(in.labels(), true);
            m.zeroGrad();
            m.backward();
        }
        double eps = 1e-2;
        double[] l = new double[2];
        for (int s = 0; s < 2; s++) {
            double sign = s == 0 ? 1 : -1;
            try (Hooks.Handle h = m.hooks().addForward(name, (a, n) -> {
                a.putScalar(new long[] {0, 5, 3}, a.getDouble(0, 5, 3) + sign * eps);
                return null;
            })) {
                m.forward(in.ids(), in.mask());
                l[s] = m.loss(in.labels(), false);
            }
        }
        double fd = (l[0] - l[1]) / (2 * eps);
        assertEquals(fd, grad[0].getDouble(0, 5, 3), 2e-3 * Math.max(1e-3, Math.abs(fd)) + 1e-5);
    }
}
