package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;

/**
 * Activation caches recycle their arrays: values stay right over many runs with different inputs, an open cache's
 * arrays are never handed to another run, and a closed cache's arrays are reused (no new allocation in steady state).
 */
class CacheReuseTest {
    static final ModelConfig CFG = ModelConfig.gpt2(30, 32, 2, 4, 64);
    /** Every hook point, per-head ones included: the cache takes the pass's buffers. */
    static final Predicate<String> ALL = name -> true;
    /** One small activation: the cache copies it into pooled arrays. */
    static final Predicate<String> ONE = HookName.z(1)::equals;

    static int[][] ids(int seed) {
        int[][] ids = new int[2][5];
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 5; t++) {
                ids[b][t] = (seed * 7 + b * 5 + t * 3) % CFG.vocabSize();
            }
        }
        return ids;
    }

    /** The activations of a plain forward (fresh copies). */
    static Map<String, float[]> reference(Transformer m, int[][] ids, Predicate<String> filter) {
        Map<String, float[]> out = new HashMap<>();
        m.runWithCache(ids, null, filter).forEach((k, v) -> out.put(k, Buffers.toFloats(v)));
        out.remove("logits");
        return out;
    }

    static void assertValues(Map<String, float[]> ref, ActivationCache c) {
        assertEquals(ref.keySet(), c.names());
        ref.forEach((name, v) -> assertArrayEquals(v, c.floats(name), name));
    }

    /** Hook points whose arrays a pass allocates from the model's array pool (not its activation buffers). */
    static final class HookArrays {
        static boolean isPerPass(String name) {
            return name.endsWith("_input") || name.endsWith("hook_result") || name.endsWith("hook_mlp_in") || name.endsWith("hook_scale");
        }
    }

    static long address(INDArray a) {
        return a.data().address() + a.offset() * a.dataType().width();
    }

    @Test
    void valuesStayRightOverRunsWithDifferentInputs() {
        Transformer m = new Transformer(Parameters.init(CFG, 3));
        for (Predicate<String> filter : List.of(ALL, ONE)) {
            for (int run = 0; run < 4; run++) {
                Map<String, float[]> ref = reference(m, ids(run), filter);
                try (ActivationCache c = m.run(RunSpec.of(ids(run), null).cache(filter))) {
                    assertValues(ref, c);
                }
            }
        }
    }

    @Test
    void openCachesKeepTheirArraysWhileTheModelRunsOn() {
        Transformer m = new Transformer(Parameters.init(CFG, 3));
        for (Predicate<String> filter : List.of(ALL, ONE)) {
            Map<String, float[]> ref0 = reference(m, ids(0), filter);
            Map<String, float[]> ref1 = reference(m, ids(1), filter);
            try (ActivationCache c0 = m.run(RunSpec.of(ids(0), null).cache(filter))) {
                Map<String, INDArray> held = new HashMap<>();
                c0.names().forEach(n -> held.put(n, c0.get(n)));
                try (ActivationCache c1 = m.run(RunSpec.of(ids(1), null).cache(filter))) {
                    m.forward(ids(2), null);
                    m.run(RunSpec.of(ids(3), null).cache(filter)).close();
                    assertValues(ref1, c1);
                    for (String n : c0.names()) {
                        assertNotEquals(address(c0.get(n)), address(c1.get(n)), n + ": two open caches share an array");
                    }
                }
                m.run(RunSpec.of(ids(4), null).cache(filter)).close();
                assertValues(ref0, c0);
                held.forEach((n, a) -> assertArrayEquals(ref0.get(n), Buffers.toFloats(a), n + " (array taken before later runs)"));
            }
        }
    }

    @Test
    void closedCachesArraysAreReused() {
        Transformer m = new Transformer(Parameters.init(CFG, 3));
        for (Predicate<String> filter : List.of(ALL, ONE)) {
            java.util.Set<Long> first = new java.util.HashSet<>();
            try (ActivationCache c = m.run(RunSpec.of(ids(0), null).cache(filter))) {
                c.names().forEach(n -> first.add(address(c.get(n))));
            }
            try (ActivationCache c = m.run(RunSpec.of(ids(1), null).cache(filter))) {
                for (String n : c.names()) { // same-shaped pooled arrays may swap names (also with uncached per-head arrays)
                    if (!HookArrays.isPerPass(n)) {
                        assertTrue(first.contains(address(c.get(n))), n + ": a closed cache's array is reused");
                    }
                }
            }
        }
    }

    @Test
    void backwardOfATakenPassReadsItsOwnActivations() {
        Transformer m = new Transformer(Parameters.init(CFG, 3));
        String[] names = {HookName.residPre(0), HookName.z(1), HookName.mlpOut(0)};
        INDArray dLogits = ActivationCacheTest.dLogits(CFG).reshape('c', 2, 5, CFG.vocabSize());
        Map<String, float[]> grads = new HashMap<>();
        try (ActivationCache c = m.run(RunSpec.of(ids(0), null).cache(ALL).grads(names))) {
            c.backward(dLogits);
            for (String n : names) {
                grads.put(n, c.gradFloats(n));
            }
        }
        for (int run = 0; run < 3; run++) {
            m.run(RunSpec.of(ids(run + 1), null).cache(ALL)).close();
            try (ActivationCache c = m.run(RunSpec.of(ids(0), null).cache(ALL).grads(names))) {
                c.backward(dLogits);
                for (String n : names) {
                    assertArrayEquals(grads.get(n), c.gradFloats(n), n);
                }
            }
        }
        assertTrue(grads.get(names[0]).length > 0);
    }
}
