package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.tensor.CheckpointFormatException;

class NonFiniteWeightsTest {
    @TempDir
    Path tmp;

    @Test
    void warnLoadsTheCheckpointAnyway() throws Exception {
        Path d = CheckpointFolderTest.withValue(tmp, "llama-tiny", "model.norm.weight", Float.POSITIVE_INFINITY);
        ModelConfig cfg = ModelConfig.load(d);
        assertThrows(CheckpointFormatException.class, () -> HfCheckpoint.load(d, cfg, NonFiniteWeights.FAIL));
        Parameters p = HfCheckpoint.load(d, cfg, NonFiniteWeights.WARN);
        assertEquals(Float.POSITIVE_INFINITY, p.get("ln_final.w").getFloat(3));
    }

    @Test
    void theSystemPropertyChoosesTheDefault() throws Exception {
        Path d = CheckpointFolderTest.withValue(tmp, "qwen2-tiny", "model.embed_tokens.weight", Float.NaN);
        String before = System.getProperty(NonFiniteWeights.PROPERTY);
        try {
            System.clearProperty(NonFiniteWeights.PROPERTY);
            assertEquals(NonFiniteWeights.FAIL, NonFiniteWeights.fromSystemProperty());
            assertThrows(CheckpointFormatException.class, () -> HfCheckpoint.load(d));
            System.setProperty(NonFiniteWeights.PROPERTY, "WARN");
            assertTrue(Float.isNaN(HfCheckpoint.load(d).get("embed.W_E").getFloat(3)));
            System.setProperty(NonFiniteWeights.PROPERTY, "ignore");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, NonFiniteWeights::fromSystemProperty);
            assertTrue(e.getMessage().contains(NonFiniteWeights.PROPERTY + "=ignore"), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(NonFiniteWeights.PROPERTY);
            } else {
                System.setProperty(NonFiniteWeights.PROPERTY, before);
            }
        }
    }
}
