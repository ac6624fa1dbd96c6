package org.tinysql.interp.sae;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SaeTrainerConfigTest {
    @Test
    void outOfRangeSettingsAreRefused() {
        SaeTrainerConfig d = SaeTrainerConfig.defaults();
        assertThrows(IllegalArgumentException.class, () -> d.withLr(0));
        assertThrows(IllegalArgumentException.class, () -> d.withLr(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> d.withDeadWindow(0));
        assertThrows(IllegalArgumentException.class, () -> new SaeTrainerConfig(1e-3, -1, 0.2, 10, 8, 0.1, 0.9, 0.999, 1e-8));
        assertThrows(IllegalArgumentException.class, () -> new SaeTrainerConfig(1e-3, 0, 1.5, 10, 8, 0.1, 0.9, 0.999, 1e-8));
        assertThrows(IllegalArgumentException.class, () -> new SaeTrainerConfig(1e-3, 0, 0.2, 10, 8, 0.1, 1.0, 0.999, 1e-8));
        assertThrows(IllegalArgumentException.class, () -> new SaeTrainerConfig(1e-3, 0, 0.2, 10, 8, 0.1, 0.9, 0.999, 0));
    }
}
