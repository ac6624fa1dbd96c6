package org.tinysql.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PatchingMetricTest {

    @Test
    void logitDiffAndNormalisedMetric() {
        float[] logits = {0.5f, 3.0f, -1.0f, 2.0f};
        assertEquals(1.0, PatchingMetric.logitDiff(logits, 1, 3), 1e-9);
        assertEquals(-4.0, PatchingMetric.logitDiff(logits, 2, 1), 1e-9);
        assertEquals(1.0, PatchingMetric.normalized(4.0, 4.0, -2.0), 1e-12);
        assertEquals(0.0, PatchingMetric.normalized(-2.0, 4.0, -2.0), 1e-12);
        assertEquals(0.5, PatchingMetric.normalized(1.0, 4.0, -2.0), 1e-12);
    }

    @Test
    void badInputIsRejectedWithAReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PatchingMetric.logitDiff(new float[3], 5, 0));
        assertEquals("clean answer token 5 is outside the vocabulary [0, 3)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PatchingMetric.normalized(1, 2, 2));
    }
}
