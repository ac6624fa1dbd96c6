package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.CountingKernels;

/**
 * Passes over changing batch shapes re-carve the model's buffers (see {@link BufferPool}): every result stays
 * bit-identical to a fresh model's, a new shape allocates nothing once the buffers have grown, and buffers whose
 * values are still needed (an open cache's, the last forward's before its backward) are never re-carved.
 */
class ShapeChangeTest {
    static final List<ModelConfig> CONFIGS = List.of(ModelConfig.gpt2(50, 32, 2, 4, 64),
            new ModelConfig("llama", 50, 32, 2, 4, 2, 64, 64, 1e-5, true, new int[2], 10000, false, false, false, -1, -1));
    /** [B, T] of a sequence of passes: growing, shrinking, repeated. */
    static final int[][] SHAPES = {{3, 12}, {2, 7}, {4, 16}, {1, 5}, {3, 12}, {2, 9}, {4, 16}, {1, 13}};

    /** A batch: rows padded at the end (row i by i % 3 positions), labels on the second half of each row's tokens. */
    record Batch(int[][] ids, int[][] mask, int[][] labels) {
        static Batch of(int b, int t, int seed) {
            int[][] ids = new int[b][t];
            int[][] mask = new int[b][t];
            int[][] labels = new int[b][t];
            for (int i = 0; i < b; i++) {
                int len = Math.max(1, t - i % 3);
                for (int j = 0; j < t; j++) {
                    ids[i][j] = j < len ? (seed * 31 + i * 7 + j * 3) % 50 : 0;
                    mask[i][j] = j < len ? 1 : 0;
                    labels[i][j] = j < len && j >= t / 2 ? ids[i][j] : -100;
                }
            }
            return new Batch(ids, mask, labels);
        }

        int[] someRows() {
            int t = ids[0].length;
            return ids.length == 1 ? new int[] {t - 1, t / 2} : new int[] {t - 1, ids.length * t - 1, t / 2};
        }
    }

    /** Everything a batch gives: the loss and gradients of a training step, logits of several kinds, decoding's. */
    static Map<String, float[]> results(Transformer m, Batch x) {
        Map<String, float[]> out = new LinkedHashMap<>();
        double loss = m.forwardLoss(x.ids(), x.mask(), null, x.labels(), true);
        m.zeroGrad();
        m.backward();
        out.put("loss", new float[] {(float) loss, (float) (loss - (float) loss)});
        m.gradients().asMap().forEach((name, g) -> out.put("grad " + name, Buffers.toFloats(g)));
        try (ActivationCache c = m.run(RunSpec.of(x.ids(), x.mask()).logitRows(x.someRows()))) {
            out.put("row logits", Buffers.toFloats(c.rowLogits()));
            out.put("row logits as [B, T, V]", Buffers.toFloats(c.logits())); // zero outside the rows
        }
        out.put("logits", Buffers.toFloats(m.forward(x.ids(), x.mask())));
        int b = x.ids().length;
        int t = x.ids()[0].length;
        try (KvCache cache = m.newCache(b, t + 1)) {
            out.put("prefill", Buffers.toFloats(m.forwardCachedLast(x.ids(), Pass.ones(b, t), Pass.range(b, t), cache)));
            int[][] next = new int[b][1];
            int[][] at = new int[b][1];
            for (int i = 0; i < b; i++) {
                next[i][0] = (i * 5 + 3) % 50;
                at[i][0] = t;
            }
            out.put("step", Buffers.toFloats(m.forwardCachedLast(next, Pass.ones(b, 1), at, cache)));
        }
        return out;
    }

    static void assertSame(Map<String, float[]> want, Map<String, float[]> got, String what) {
        assertEquals(want.keySet(), got.keySet());
        want.forEach((k, v) -> assertArrayEquals(v, got.get(k), what + ": " + k)); // bit-identical
    }

    @Test
    void passesOverChangingShapesMatchFreshModelsBitForBit() {
        for (ModelConfig cfg : CONFIGS) {
            Parameters params = Parameters.init(cfg, 3);
            Transformer shared = new Transformer(params);
            for (int i = 0; i < SHAPES.length; i++) {
                Batch x = Batch.of(SHAPES[i][0], SHAPES[i][1], i);
                shared.setRecompute(i % 3 == 1); // recomputation re-carves too (its layers share buffers)
                assertSame(results(new Transformer(params), x), results(shared, x),
                        cfg.modelType() + " pass " + i + " " + SHAPES[i][0] + "x" + SHAPES[i][1]);
            }
        }
    }

    /** A training step (forward, loss, backward) and a validation step. */
    static void train(Transformer m, Batch x) {
        m.forwardLoss(x.ids(), x.mask(), null, x.labels(), true);
        m.zeroGrad();
        m.backward();
        m.forwardLoss(x.ids(), x.mask(), null, x.labels(), false);
    }

    @Test
    void newShapesAllocateNothingOnceTheBuffersHaveGrown() {
        for (ModelConfig cfg : CONFIGS) {
            CountingKernels counting = new CountingKernels();
            Transformer m = new Transformer(Parameters.init(cfg, 3), counting.kernels());
            Batch largest = Batch.of(4, 32, 0);
            train(m, largest);
            long first = counting.bytes();
            train(m, Batch.of(2, 8, 1)); // sizes the slabs from the largest pass so far
            train(m, largest);
            long warm = counting.bytes();
            int[][] shapes = {{3, 32}, {4, 24}, {1, 9}, {2, 30}, {4, 31}, {4, 32}, {2, 17}};
            for (int i = 0; i < shapes.length; i++) {
                train(m, Batch.of(shapes[i][0], shapes[i][1], i + 2));
            }
            assertEquals(warm, counting.bytes(), cfg.modelType() + ": passes over new shapes allocate nothing");
            assertTrue(warm < 3 * first, cfg.modelType() + ": the slabs stay near the largest set (" + first + " then " + warm
                    + " bytes allocated)");
        }
    }

    @Test
    void anOpenCacheKeepsItsBuffersWhileOtherShapesRun() {
        for (ModelConfig cfg : CONFIGS) {
            Parameters params = Parameters.init(cfg, 5);
            Transformer m = new Transformer(params);
            Batch a = Batch.of(2, 10, 1);
            Map<String, float[]> want = new LinkedHashMap<>();
            new Transformer(params).runWithCache(a.ids(), a.mask(), name -> true).forEach((n, v) -> want.put(n, Buffers.toFloats(v)));
            want.remove("logits");
            try (ActivationCache c = m.run(RunSpec.of(a.ids(), a.mask()).cache(name -> true))) { // takes the pass's buffers
                for (int i = 0; i < SHAPES.length; i++) {
                    results(m, Batch.of(SHAPES[i][0], SHAPES[i][1], i));
                }
                results(m, a);
                want.forEach((n, v) -> assertArrayEquals(v, c.floats(n), cfg.modelType() + " " + n));
            }
            for (int i = 0; i < 3; i++) { // the closed cache's buffers serve later passes
                Batch x = Batch.of(SHAPES[i][0], SHAPES[i][1], i);
                assertSame(results(new Transformer(params), x), results(m, x), cfg.modelType() + " after the cache closed");
            }
        }
    }

    @Test
    void decodingBetweenAForwardAndItsBackwardLeavesTheForwardAlone() {
        for (ModelConfig cfg : CONFIGS) {
            Parameters params = Parameters.init(cfg, 7);
            Batch x = Batch.of(3, 12, 4);
            Transformer plain = new Transformer(params);
            train(plain, x);
            plain.forwardLoss(x.ids(), x.mask(), null, x.labels(), true);
            plain.zeroGrad();
            plain.backward();
            Transformer m = new Transformer(params);
            train(m, Batch.of(4, 16, 2)); // a set larger than any below, which a careless pool would re-carve
            m.forwardLoss(x.ids(), x.mask(), null, x.labels(), true);
            try (KvCache cache = m.newCache(2, 8)) {
                m.forwardCachedLast(new int[][] {{1, 2, 3}, {4, 5, 6}}, Pass.ones(2, 3), Pass.range(2, 3), cache);
                m.forwardCachedLast(new int[][] {{7}, {8}}, Pass.ones(2, 1), new int[][] {{3}, {3}}, cache);
            }
            m.zeroGrad();
            m.backward();
            for (Map.Entry<String, org.nd4j.linalg.api.ndarray.INDArray> e : plain.gradients().asMap().entrySet()) {
                assertArrayEquals(Buffers.toFloats(e.getValue()), Buffers.toFloats(m.gradients().get(e.getKey())),
                        cfg.modelType() + " " + e.getKey());
            }
        }
    }
}
