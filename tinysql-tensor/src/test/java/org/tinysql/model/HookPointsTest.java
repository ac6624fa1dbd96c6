package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every hook point's declared shape is the shape its hook sees; HookName spells what HookPoints lists. */
class HookPointsTest {
    static List<ModelConfig> configs() {
        return List.of(ModelConfig.gpt2(30, 32, 2, 4, 64), ModelConfig.gptNeo(30, 32, 2, 4, 64),
                new ModelConfig("qwen2", 30, 32, 2, 4, 2, 48, 64, 1e-5, true, new int[2], 10000, true, false, false, -1, -1));
    }

    @Test
    void declaredShapesAreTheShapesHooksSee() {
        int[][] ids = {{1, 5, 7, 9, 2}, {3, 8, 6, 4, 11}, {2, 2, 3, 4, 5}};
        for (ModelConfig cfg : configs()) {
            Transformer m = new Transformer(Parameters.init(cfg, 3));
            Map<String, long[]> seen = new LinkedHashMap<>();
            List<Hooks.Handle> hs = new ArrayList<>();
            for (String name : HookPoints.names(cfg)) {
                hs.add(m.hooks().addForward(name, (a, n) -> {
                    seen.put(n, a.shape());
                    return null;
                }));
            }
            m.forward(ids, null);
            hs.forEach(Hooks.Handle::close);
            assertEquals(HookPoints.names(cfg), new ArrayList<>(seen.keySet()), "every hook fires once, in forward order: " + cfg);
            seen.forEach((n, shape) -> assertArrayEquals(HookPoints.shape(cfg, n, 3, 5), shape, n + " of " + cfg));
        }
    }

    @Test
    void widthsAndNames() {
        ModelConfig cfg = configs().get(2);
        assertEquals(32, HookPoints.width(cfg, HookName.residPost(1)));
        assertEquals(32, HookPoints.width(cfg, HookName.z(0)));
        assertEquals(16, HookPoints.width(cfg, HookName.k(0)), "2 KV heads of 8");
        assertEquals(48, HookPoints.width(cfg, HookName.mlpPreLinear(1)));
        assertEquals(4 * 32, HookPoints.width(cfg, HookName.result(1)));
        assertThrows(IllegalArgumentException.class, () -> HookPoints.width(cfg, HookName.pattern(0)));
        assertEquals("blocks.1.attn.hook_z", HookName.z(1));
        assertEquals("blocks.0.hook_k_input", HookName.kInput(0));
        assertEquals(1, HookName.layerOf("blocks.1.ln2.hook_scale"));
        assertEquals(-1, HookName.layerOf(HookName.LN_FINAL_NORMALIZED));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HookPoints.shape(cfg, "blocks.0.attn.hook_zz", 1, 1));
        assertTrue(e.getMessage().contains("blocks.0.attn.hook_z"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HookPoints.shape(cfg, HookName.POS_EMBED, 1, 1), "rotary models have no pos_embed");
    }
}
