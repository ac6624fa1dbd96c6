package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigValidatorTest {
    private static long counted(ModelConfig c) {
        return Parameters.shapes(c).values().stream().mapToLong(s -> {
            long n = 1;
            for (long d : s) {
                n *= d;
            }
            return n;
        }).sum();
    }

    @Test
    void parameterCountMatchesTheParameterShapes() throws Exception {
        for (String model : Fixtures.MODELS) {
            ModelConfig c = ModelConfig.load(Fixtures.dir(model));
            assertEquals(counted(c), ConfigValidator.parameterCount(c), model);
        }
        for (ModelConfig c : List.of(ModelConfig.gptNeo(50, 64, 3, 4, 128), ModelConfig.gpt2(50, 64, 3, 4, 128),
                ModelConfig.llama(50, 64, 3, 4, 128), new ModelConfig("qwen2", 50, 64, 2, 8, 2, 96, 64, 1e-6, true, new int[2],
                        1e6, true, false, false, -1, -1))) {
            assertEquals(counted(c), ConfigValidator.parameterCount(c), c.toString());
        }
    }

    @Test
    void programmaticConfigsAreCheckedToo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.llama(50, 64, 2, 4, 0));
        assertTrue(e.getMessage().startsWith("invalid model config: max_position_embeddings 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.gptNeo(50, 64, ConfigValidator.MAX_LAYERS + 1, 4, 64));
        assertTrue(e.getMessage().contains("num_layers 1025 is out of range [1, 1024]"), e.getMessage());
    }
}
