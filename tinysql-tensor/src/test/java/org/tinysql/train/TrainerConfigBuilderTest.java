package org.tinysql.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TrainerConfigBuilderTest {
    @Test
    void startsFromTheDefaultsAndSetsByName() {
        assertEquals(TrainerConfig.defaults(100, 8), TrainerConfig.builder(100, 8).build());
        TrainerConfig c = TrainerConfig.builder(100, 8).steps(300).batchSize(16).lr(2e-3, 2e-4).warmupSteps(15)
                .weightDecay(0.1).clipNorm(0).evalEvery(50).evalBatches(2).checkpointEvery(100).keepCheckpoints(3).seed(9)
                .maxLength(768).lengthBuckets(4).pack(false).force(true).optimizer(OptimizerConfig.HF)
                .curriculum(new Curriculum(50, 3)).build();
        assertEquals(new TrainerConfig(300, 16, 2e-3, 2e-4, 15, 0.1, 0, 50, 2, 100, 3, 9, 768, 4, false, true,
                OptimizerConfig.HF, new Curriculum(50, 3)), c);
        assertEquals(c, c.toBuilder().build());
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().batchSize(0).build());
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().optimizer(null).build());
        assertEquals(Curriculum.NONE, c.toBuilder().curriculum(null).build().curriculum(), "null reads as no curriculum");
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().curriculum(new Curriculum(301, 3)).build(),
                "a curriculum longer than the run");
    }
}
