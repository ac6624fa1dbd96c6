package org.tinysql.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.model.Hooks;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;

/** The interp-side per-head pieces agree with the engine's per-head hook points. */
class ModelViewTest {

    @Test
    void headInputGradientsAndResultsMatchTheEngineHooks() {
        for (ModelConfig cfg : List.of(TinyModels.gpt(30, 32, 2, 4), TinyModels.llama(30, 32, 2, 4, 2))) {
            Transformer m = TinyModels.random(cfg, 2, 2);
            ModelView mv = new ModelView(m);
            int[][] ids = {{3, 4, 5, 6, 7}};
            int n = 5;
            int c = cfg.dModel();
            float[][] got = new float[5][];
            try (Hooks.Handle a = m.hooks().addBackward("blocks.1.hook_k_input", (g, nm) -> {
                got[0] = Buffers.toFloats(g);
                return null;
            });
                 Hooks.Handle b = m.hooks().addBackward("blocks.1.attn.hook_k", (g, nm) -> {
                     got[1] = Buffers.toFloats(g);
                     return null;
                 });
                 Hooks.Handle r = m.hooks().addForward("blocks.1.hook_resid_pre", (x, nm) -> {
                     got[2] = Buffers.toFloats(x);
                     return null;
                 });
                 Hooks.Handle z = m.hooks().addForward("blocks.1.attn.hook_z", (x, nm) -> {
                     got[3] = Buffers.toFloats(x);
                     return null;
                 });
                 Hooks.Handle res = m.hooks().addForward("blocks.1.attn.hook_result", (x, nm) -> {
                     got[4] = Buffers.toFloats(x);
                     return null;
                 })) {
                INDArray logits = m.forward(ids, null);
                INDArray d = Buffers.zeros(1, 5, 30);
                d.putScalar(new long[] {0, 4, 3}, 1f);
                m.setParameterGradients(false);
                m.backward(d);
                m.setParameterGradients(true);
            }
            int kv = cfg.nKvHeads();
            for (int h = 0; h < kv; h++) {
                float[] mine;
                try (Arena arena = new Arena(m.kernels())) {
                    mine = Buffers.toFloats(mv.inputGradient(1, ModelView.Qkv.K, h, Buffers.of(got[1], n, (long) kv * cfg.headDim()),
                            Buffers.of(got[2], n, c), arena));
                }
                for (int row = 0; row < n; row++) {
                    for (int e = 0; e < c; e++) {
                        assertEquals(got[0][(row * kv + h) * c + e], mine[row * c + e], 1e-5, cfg + " head " + h);
                    }
                }
            }
            int H = cfg.nHeads();
            for (int h = 0; h < H; h++) {
                INDArray out = Buffers.zeros(n, c);
                mv.headResult(1, Buffers.of(got[3], n, (long) H * cfg.headDim()), h, out);
                float[] mine = Buffers.toFloats(out);
                for (int row = 0; row < n; row++) {
                    for (int e = 0; e < c; e++) {
                        assertEquals(got[4][(row * H + h) * c + e], mine[row * c + e], 1e-5);
                    }
                }
            }
        }
    }
}
