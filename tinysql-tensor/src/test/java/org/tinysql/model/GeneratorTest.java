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

    /** Scales each time row by a factor of its position in the padded sequence: a hook whose effect depends on where it runs. */
    private static Hooks.PositionalForward byPosition(double strength) {
        return (a, name, start) -> {
            long t = a.size(1);
            long per = a.length() / (a.size(0) * t);
            for (long b = 0; b < a.size(0); b++) {
                for (long j = 0; j < t; j++) {
                    double f = 1 + strength * ((start + j) % 3);
                    for (long e = 0; e < per; e++) {
                        long i = (b * t + j) * per + e;
                        a.putScalar(i, a.getDouble(i) * f);
                    }
                }
            }
            return null;
        };
    }

    @Test
    void positionalHooksRunOnTheCachedPathAsOnTheWholePrefix() throws Exception {
        int changed = 0;
        for (String model : Fixtures.MODELS) {
            Transformer m = Transformer.fromPretrained(Fixtures.dir(model));
            Generator.Options o = Generator.Options.greedy(10, -1, 0);
            List<int[]> intact = Generator.generate(m, PROMPTS, o);
            int last = m.config().nLayers() - 1;
            try (Hooks.Handle z = m.hooks().addForward(HookName.z(last), byPosition(-0.9));
                 Hooks.Handle r = m.hooks().addForward(HookName.residPost(0), byPosition(2.0))) {
                assertTrue(m.hooks().decodable());
                List<int[]> cached = Generator.generate(m, PROMPTS, o);
                List<int[]> plain = Generator.generate(m, PROMPTS, o.withCache(false));
                for (int i = 0; i < PROMPTS.size(); i++) {
                    assertArrayEquals(plain.get(i), cached.get(i), model + " prompt " + i);
                    changed += java.util.Arrays.equals(intact.get(i), cached.get(i)) ? 0 : 1;
                }
            }
        }
        assertTrue(changed > 0, "the hooks change some generations, so the equality above says something");
    }

    @Test
    void aPlainHookMakesDecodingRunTheWholePrefix() throws Exception {
        Transformer m = Transformer.fromPretrained(Fixtures.dir("qwen2-tiny"));
        Generator.Options o = Generator.Options.greedy(6, -1, 0);
        List<Long> lengths = new java.util.ArrayList<>();
        Hooks.Forward plain = (a, name) -> {
            lengths.add(a.size(1));
            return a.muli(0.5);
        };
        try (Hooks.Handle h = m.hooks().addForward(HookName.residPost(0), plain)) {
            assertTrue(!m.hooks().decodable());
            List<int[]> g = Generator.generate(m, PROMPTS, o);
            // every step saw the whole prefix: 7 prompt positions (the longest), then 8, ... 12
            assertEquals(List.of(7L, 8L, 9L, 10L, 11L, 12L), lengths);
            lengths.clear();
            List<int[]> reference = Generator.generate(m, PROMPTS, o.withCache(false));
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertArrayEquals(reference.get(i), g.get(i));
            }
        }
        assertTrue(m.hooks().decodable(), "no hook left");
    }

    /** A stop rule ends each sequence early; greedy answers are then prefixes of the unstopped ones. */
    @Test
    void aStopRuleEndsEachSequenceAtAPrefixOfItsAnswer() throws Exception {
        Transformer m = Transformer.fromPretrained(Fixtures.dir("qwen2-tiny"));
        Generator.Options o = Generator.Options.greedy(12, -1, 0);
        List<int[]> whole = Generator.generate(m, PROMPTS, o);
        List<int[]> three = Generator.generate(m, PROMPTS, o, ids -> ids.length >= 3);
        int target = whole.get(0)[2];
        List<int[]> atTarget = Generator.generate(m, PROMPTS, o, ids -> ids[ids.length - 1] == target);
        for (int i = 0; i < PROMPTS.size(); i++) {
            assertArrayEquals(java.util.Arrays.copyOf(whole.get(i), 3), three.get(i), "sequence " + i);
            int end = 0;
            while (end < whole.get(i).length && whole.get(i)[end++] != target) {
                // up to and including the first target token, or the whole answer
            }
            assertArrayEquals(java.util.Arrays.copyOf(whole.get(i), end), atTarget.get(i), "sequence " + i + " stops at token " + target);
        }
        assertEquals(3, atTarget.get(0).length, "sequence 0 stops at its third token");
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
        assertEquals(1, Generator.pick(logits, 0, logits.length, Generator.Options.greedy(1, -1, 0), r));
        Generator.Options nucleus = new Generator.Options(1, 1.0, 0.01, 0, -1, 0, true);
        for (int i = 0; i < 50; i++) {
            assertEquals(1, Generator.pick(logits, 0, logits.length, nucleus, r), "top-p keeps only the most likely token");
        }
        Generator.Options hot = new Generator.Options(1, 1.0, 1.0, 0, -1, 0, true);
        boolean sawOther = false;
        for (int i = 0; i < 200; i++) {
            sawOther |= Generator.pick(logits, 0, logits.length, hot, r) != 1;
        }
        assertTrue(sawOther);
    }

    @Test
    void pickReadsOnlyItsRowOfTheBatchLogits() {
        // rows [B=3, V=4] in one array: each row's argmax and samples stay within its own row
        float[] rows = {9f, 0f, 0f, 0f, 0f, 0f, 5f, 0f, 0f, 0f, 0f, 7f};
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        assertEquals(0, Generator.pick(rows, 0, 4, Generator.Options.greedy(1, -1, 0), r));
        assertEquals(2, Generator.pick(rows, 4, 4, Generator.Options.greedy(1, -1, 0), r));
        assertEquals(3, Generator.pick(rows, 8, 4, Generator.Options.greedy(1, -1, 0), r));
        Generator.Options hot = new Generator.Options(1, 1.0, 1.0, 0, -1, 0, true);
        for (int i = 0; i < 100; i++) {
            int t = Generator.pick(rows, 4, 4, hot, r);
            assertTrue(t >= 0 && t < 4);
        }
    }

    /** softmax(logits / t) in double. */
    static double[] softmax(float[] logits, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((logits[i] - max) / t);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Frequencies of {@code n} picks (seeded, so the test is deterministic). */
    static double[] frequencies(float[] logits, Generator.Options o, int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int[] count = new int[logits.length];
        for (int i = 0; i < n; i++) {
            count[Generator.pick(logits, 0, logits.length, o, r)]++;
        }
        double[] f = new double[count.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = count[i] / (double) n;
        }
        return f;
    }

    /** Each frequency within 4.5 standard errors of its probability (a zero probability must never be drawn). */
    static void assertDistribution(double[] want, double[] got, int n, String what) {
        for (int i = 0; i < want.length; i++) {
            double se = Math.sqrt(want[i] * (1 - want[i]) / n);
            assertEquals(want[i], got[i], 4.5 * se + 1e-12, what + ": token " + i + " of " + java.util.Arrays.toString(got)
                    + " vs " + java.util.Arrays.toString(want));
        }
    }

    private static Generator.Options sampling(double temperature, double topP) {
        return new Generator.Options(1, temperature, topP, 0, -1, 0, true);
    }

    @Test
    void temperatureScalesTheLogitsOfTheSampledDistribution() {
        float[] logits = {2f, 1f, 0f, -1f, 0.5f};
        int n = 40_000;
        double lastEntropy = 0;
        for (double t : new double[] {0.25, 0.5, 1, 2, 4}) {
            double[] want = softmax(logits, t);
            double[] got = frequencies(logits, sampling(t, 1), n, 11);
            assertDistribution(want, got, n, "temperature " + t);
            double h = 0;
            for (double p : got) {
                h -= p > 0 ? p * Math.log(p) : 0;
            }
            assertTrue(h > lastEntropy, "hotter is flatter: entropy " + h + " at temperature " + t);
            lastEntropy = h;
        }
    }

    /** Top-p keeps the most likely tokens until their mass reaches p, renormalised; the rest are never drawn. */
    @Test
    void topPKeepsTheSmallestSetThatReachesP() {
        double[] p = {0.5, 0.3, 0.15, 0.05};
        float[] logits = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            logits[i] = (float) Math.log(p[i]);
        }
        int n = 40_000;
        double eps = 1e-4;
        Object[][] cases = {
            {0.5 - eps, new double[] {1, 0, 0, 0}}, {0.5 + eps, new double[] {0.5 / 0.8, 0.3 / 0.8, 0, 0}},
            {0.8 - eps, new double[] {0.5 / 0.8, 0.3 / 0.8, 0, 0}}, {0.8 + eps, new double[] {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}},
            {0.95 + eps, p}, {1.0, p}, {1e-9, new double[] {1, 0, 0, 0}}};
        for (Object[] c : cases) {
            double topP = (double) c[0];
            assertDistribution((double[]) c[1], frequencies(logits, sampling(1, topP), n, 5), n, "top-p " + topP);
        }
        // Logits in any order: the filter sorts by probability, not by token id.
        float[] shuffled = {logits[2], logits[0], logits[3], logits[1]};
        assertDistribution(new double[] {0, 0.5 / 0.8, 0, 0.3 / 0.8}, frequencies(shuffled, sampling(1, 0.7), n, 6), n, "shuffled");
        // Top-p applies to the temperature-scaled distribution: at t = 0.5 token 0 alone holds 0.5^2 / 0.3625 = 69% of the mass.
        double[] cold = softmax(logits, 0.5);
        assertTrue(cold[0] > 0.68 && cold[0] < 0.7, "" + cold[0]);
        assertDistribution(new double[] {1, 0, 0, 0}, frequencies(logits, sampling(0.5, 0.68), n, 7), n, "top-p after temperature");
    }

    @Test
    void zeroNewTokensGivesEmptyContinuationsAndBadOptionsAreRefused() throws Exception {
        Transformer m = Transformer.fromPretrained(Fixtures.dir("llama-tiny"));
        for (boolean cache : new boolean[] {true, false}) {
            List<int[]> g = Generator.generate(m, PROMPTS, Generator.Options.greedy(0, -1, 0).withCache(cache));
            assertEquals(PROMPTS.size(), g.size());
            for (int[] ids : g) {
                assertEquals(0, ids.length, "cache " + cache);
            }
        }
        for (double[] bad : new double[][] {{-1, 1}, {1, 0}, {1, 1.5}, {Double.NaN, 1}, {1, Double.NaN}, {Double.POSITIVE_INFINITY, 1}}) {
            assertThrows(IllegalArgumentException.class, () -> new Generator.Options(3, bad[0], bad[1], 0, -1, 0, true),
                    java.util.Arrays.toString(bad));
        }
        assertThrows(IllegalArgumentException.class, () -> new Generator.Options(-1, 0, 1, 0, -1, 0, true));
    }
}
