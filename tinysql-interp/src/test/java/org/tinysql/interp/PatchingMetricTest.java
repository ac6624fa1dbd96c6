package org.tinysql.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PatchingMetricTest {

    @Test
    void normalisedMetric() {
        assertEquals(1.0, PatchingMetric.normalized(4.0, 4.0, -2.0), 1e-12);
        assertEquals(0.0, PatchingMetric.normalized(-2.0, 4.0, -2.0), 1e-12);
        assertEquals(0.5, PatchingMetric.normalized(1.0, 4.0, -2.0), 1e-12);
    }

    @Test
    void equalCleanAndCorruptMetricsAreRejectedWithAReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PatchingMetric.normalized(1, 2, 2));
        assertEquals("clean and corrupt metrics are equal (2.0): the normalised metric is undefined for this pair", e.getMessage());
    }
}
