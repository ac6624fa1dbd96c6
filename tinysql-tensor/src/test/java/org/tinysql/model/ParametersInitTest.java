package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;
import org.tinysql.tensor.Buffers;

class ParametersInitTest {

    @Test
    void standardDeviationScalesTheSameDraws() {
        ModelConfig cfg = ModelConfig.llama(50, 32, 2, 4, 64);
        Parameters a = Parameters.init(cfg, 7);
        Parameters b = Parameters.init(cfg, 7, 0.05);
        for (String n : a.names()) {
            FloatBuffer x = Buffers.fb(a.get(n)), y = Buffers.fb(b.get(n));
            for (int i = 0; i < a.get(n).length(); i++) {
                if (n.contains(".W_")) {
                    assertEquals(x.get(i) * 2.5, y.get(i), 1e-6, n);
                } else {
                    assertEquals(x.get(i), y.get(i), n); // norm weights 1, biases 0
                }
            }
        }
        // the measured spread: embedding ~ N(0, 0.05), residual outputs ~ N(0, 0.05 / sqrt(2L))
        assertEquals(0.05, std(b, "embed.W_E"), 0.005);
        assertEquals(0.05 / 2, std(b, "blocks.0.attn.W_O"), 0.005);
    }

    @Test
    void rejectsBadStandardDeviations() {
        ModelConfig cfg = ModelConfig.gpt2(50, 32, 1, 4, 64);
        for (double bad : new double[] {0, -0.02, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parameters.init(cfg, 1, bad));
            assertTrue(e.getMessage().contains("standard deviation"), e.getMessage());
        }
    }

    private static double std(Parameters p, String name) {
        FloatBuffer b = Buffers.fb(p.get(name));
        int n = (int) p.get(name).length();
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += b.get(i) * (double) b.get(i);
        }
        return Math.sqrt(s / n);
    }
}
