package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;

/** hook_q/k/v_input, attn.hook_result and hook_mlp_in: exact no-ops when not edited, consistent with the other hooks. */
class PerHeadHooksTest {
    static final int[][] IDS = {{1, 5, 7, 9, 2, 4}, {3, 8, 6, 4, 11, 12}};
    static final int[][] LABELS = {{1, 5, 7, 9, 2, 4}, {3, 8, 6, 4, 11, 12}};

    static List<ModelConfig> configs() {
        return List.of(ModelConfig.gpt2(30, 32, 2, 4, 64),
                new ModelConfig("qwen2", 30, 32, 2, 4, 2, 64, 64, 1e-5, true, new int[2], 10000, true, false, false, -1, -1));
    }

    static final String[] PER_HEAD = {"hook_q_input", "hook_k_input", "hook_v_input", "attn.hook_result", "hook_mlp_in"};

    /** Loss gradients of every parameter and of some hook points, with or without no-op per-head hooks. */
    static Map<String, float[]> run(Transformer m, boolean perHead) {
        Map<String, float[]> out = new HashMap<>();
        List<Hooks.Handle> hs = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            for (String h : perHead ? PER_HEAD : new String[0]) {
                String name = "blocks." + l + "." + h;
                hs.add(m.hooks().addForward(name, (a, n) -> null));
                hs.add(m.hooks().addBackward(name, (g, n) -> {
                    out.put("grad:" + n, Buffers.toFloats(g));
                    return null;
                }));
            }
            for (String h : new String[] {"hook_resid_pre", "hook_resid_mid", "hook_resid_post", "hook_attn_out"}) {
                hs.add(m.hooks().addBackward("blocks." + l + "." + h, (g, n) -> {
                    out.put("grad:" + n, Buffers.toFloats(g));
                    return null;
                }));
            }
        }
        m.zeroGrad();
        out.put("logits", Buffers.toFloats(m.forward(IDS, null)));
        m.loss(LABELS, true);
        m.backward();
        m.gradients().asMap().forEach((k, v) -> out.put("param:" + k, Buffers.toFloats(v)));
        hs.forEach(Hooks.Handle::close);
        return out;
    }

    @Test
    void perHeadPathsMatchTheFusedPassAndTheResidualGradients() {
        for (ModelConfig cfg : configs()) {
            Transformer m = new Transformer(Parameters.init(cfg, 5));
            Map<String, float[]> plain = run(m, false);
            Map<String, float[]> split = run(m, true);
            assertArrayEquals(plain.get("logits"), split.get("logits"), 1e-5f, cfg + " logits");
            for (String k : plain.keySet()) {
                if (k.startsWith("param:") || k.startsWith("grad:")) {
                    float[] a = plain.get(k);
                    float[] b = split.get(k);
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(a[i], b[i], 1e-5 + 1e-4 * Math.abs(a[i]), cfg + " " + k + "[" + i + "]");
                    }
                }
            }
            int c = cfg.dModel();
            for (int l = 0; l < 2; l++) {
                String p = "grad:blocks." + l + ".";
                // The q/k/v input gradients of all heads add up to what ln1's branch sends back into resid_pre.
                float[] pre = split.get(p + "hook_resid_pre");
                float[] mid = split.get(p + "hook_resid_mid");
                float[] sum = new float[pre.length];
                for (String w : new String[] {"hook_q_input", "hook_k_input", "hook_v_input"}) {
                    float[] g = split.get(p + w);
                    int nh = g.length / pre.length;
                    for (int r = 0; r < pre.length / c; r++) {
                        for (int h = 0; h < nh; h++) {
                            for (int e = 0; e < c; e++) {
                                sum[r * c + e] += g[(r * nh + h) * c + e];
                            }
                        }
                    }
                }
                for (int i = 0; i < pre.length; i++) {
                    assertEquals(pre[i] - mid[i], sum[i], 1e-5 + 1e-4 * Math.abs(pre[i]), cfg + " layer " + l);
                }
                // hook_mlp_in's gradient is the MLP branch of resid_mid's gradient.
                float[] post = split.get(p + "hook_resid_post");
                float[] mlpIn = split.get(p + "hook_mlp_in");
                for (int i = 0; i < mid.length; i++) {
                    assertEquals(mid[i] - post[i], mlpIn[i], 1e-5 + 1e-4 * Math.abs(mid[i]));
                }
                // Every head's result gradient is the attention output's gradient.
                float[] res = split.get(p + "attn.hook_result");
                float[] out = split.get(p + "hook_attn_out");
                for (int r = 0; r < out.length / c; r++) {
                    for (int h = 0; h < cfg.nHeads(); h++) {
                        for (int e = 0; e < c; e++) {
                            assertEquals(out[r * c + e], res[(r * cfg.nHeads() + h) * c + e], 1e-6);
                        }
                    }
                }
            }
        }
    }

    @Test
    void editsEqualTheSameEditDoneThroughOtherHooks() {
        for (ModelConfig cfg : configs()) {
            Transformer m = new Transformer(Parameters.init(cfg, 6));
            int c = cfg.dModel(), d = cfg.headDim(), H = cfg.nHeads();
            // Zeroing head 2's result == zeroing head 2's z (b_O is outside the results).
            INDArray viaResult;
            try (Hooks.Handle h = m.hooks().addForward("blocks.1.attn.hook_result", (a, n) -> {
                float[] v = Buffers.toFloats(a);
                for (int r = 0; r < v.length / (H * c); r++) {
                    java.util.Arrays.fill(v, (r * H + 2) * c, (r * H + 3) * c, 0f);
                }
                Buffers.fb(a).put(0, v);
                return null;
            })) {
                viaResult = m.forward(IDS, null).dup();
            }
            INDArray viaZ;
            try (Hooks.Handle h = m.hooks().addForward("blocks.1.attn.hook_z", (a, n) -> {
                float[] v = Buffers.toFloats(a);
                for (int r = 0; r < v.length / (H * d); r++) {
                    java.util.Arrays.fill(v, (r * H + 2) * d, (r * H + 3) * d, 0f);
                }
                Buffers.fb(a).put(0, v);
                return null;
            })) {
                viaZ = m.forward(IDS, null).dup();
            }
            assertArrayEquals(Buffers.toFloats(viaZ), Buffers.toFloats(viaResult), 1e-5f, cfg.toString());
            // Adding delta to every head's q, k and v input == adding it to resid_pre and removing it at resid_mid.
            float delta = 0.3f;
            List<Hooks.Handle> hs = new ArrayList<>();
            for (String w : new String[] {"hook_q_input", "hook_k_input", "hook_v_input"}) {
                hs.add(m.hooks().addForward("blocks.0." + w, (a, n) -> a.addi(delta)));
            }
            INDArray viaInputs = m.forward(IDS, null).dup();
            hs.forEach(Hooks.Handle::close);
            INDArray viaResid;
            try (Hooks.Handle a = m.hooks().addForward("blocks.0.hook_resid_pre", (x, n) -> x.addi(delta));
                 Hooks.Handle b = m.hooks().addForward("blocks.0.hook_resid_mid", (x, n) -> x.subi(delta))) {
                viaResid = m.forward(IDS, null).dup();
            }
            assertArrayEquals(Buffers.toFloats(viaResid), Buffers.toFloats(viaInputs), 1e-4f, cfg.toString());
        }
    }
}
