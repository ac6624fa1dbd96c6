package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    static final List<int[]> PROMPTS = List.of(new int[] {5, 17, 33, 8, 60, 12, 9}, new int[] {44, 3}, new int[] {70, 71, 72, 73});

    @Test
    void kvCacheGreedyEqualsTheNoCacheArgmaxPathForEveryFamily() throws Exception {
        for (String model : Fixtures.MODELS) {
            Transformer m = Transformer.fromPretrained(Fixtures.dir(model));
            Generator.Options o = Generator.Options.greedy(12, -1, 0);
            List<int[]> cached = Generator.generate(m, PROMPTS, o);
            List<int[]> plain = Generator.generate(m, PROMPTS, o.withCache(false));
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertEquals(12, cached.get(i).length);
                assertArrayEquals(plain.get(i), cached.get(i), model + " prompt " + i);
                // Batching with left padding does not change a sequence's result.
                assertArrayEquals(Generator.generate(m, List.of(PROMPTS.get(i)), o).get(0), cached.get(i), model + " batched " + i);
            }
        }
    }

    @Test
    void stopsAtEosAndSamplesDeterministically() throws Exception {
        Transformer m = Transformer.fromPretrained(Fixtures.dir("qwen2-tiny"));
        List<int[]> g = Generator.generate(m, PROMPTS, Generator.Options.greedy(12, -1, 0));
        int eos = g.get(0)[3];
        List<int[]> stopped = Generator.generate(m, PROMPTS, Generator.Options.greedy(12, eos, 0));
        int first = 0;
        while (g.get(0)[first] != eos) {
            first++;
        }
        assertEquals(first, stopped.get(0).length, "stops before the first EOS");
        Generator.Options sample = new Generator.Options(10, 0.8, 0.9, 7, -1, 0, true);
        assertArrayEquals(Generator.generate(m, PROMPTS, sample).get(1), Generator.generate(m, PROMPTS, sample).get(1));
        Generator.Options sampleNoCache = sample.withCache(false);
        assertArrayEquals(Generator.generate(m, PROMPTS, sample).get(2), Generator.generate(m, PROMPTS, sampleNoCache).get(2));
        assertThrows(IllegalArgumentException.class, () -> new Generator.Options(5, 1, 0, 1, -1, 0, true));
        assertThrows(IllegalArgumentException.class, () -> Generator.generate(m, List.of(new int[0]), Generator.Options.greedy(3, -1, 0)));
    }

    @Test
    void topPOneAndTinyTemperatureApproachGreedy() {
        float[] logits = {0.1f, 2.0f, -1f, 1.9f};
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        assertEquals(1, Generator.pick(logits, Generator.Options.greedy(1, -1, 0), r));
        Generator.Options nucleus = new Generator.Options(1, 1.0, 0.01, 0, -1, 0, true);
        for (int i = 0; i < 50; i++) {
            assertEquals(1, Generator.pick(logits, nucleus, r), "top-p keeps only the most likely token");
        }
        Generator.Options hot = new Generator.Options(1, 1.0, 1.0, 0, -1, 0, true);
        boolean sawOther = false;
        for (int i = 0; i < 200; i++) {
            sawOther |= Generator.pick(logits, hot, r) != 1;
        }
        assertTrue(sawOther);
    }
}
