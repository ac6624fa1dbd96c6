package org.tinysql.interp.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.interp.TinyModels;
import org.tinysql.interp.TokenRole;
import org.tinysql.model.Hooks;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.util.Progress;

class SaeModelTest {
    static final String HOOK = "blocks.0.hook_resid_post";

    static List<TinySqlExample> examples(int n) {
        DatasetGenerator gen = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 11);
        List<TinySqlExample> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(gen.example(i, 0).row());
        }
        return l;
    }

    /** A ReLU SAE with latents +e_i and -e_i: relu(x) - relu(-x) = x reconstructs exactly. */
    static Sae identity(int c) {
        return identity(c, 1);
    }

    static Sae identity(int c, double normScale) {
        Sae s = new Sae(new SaeConfig(SaeConfig.Architecture.RELU, c, 2 * c, 0, 0, 0, 0, HOOK, normScale), new org.tinysql.tensor.CpuKernels());
        for (int i = 0; i < c; i++) {
            for (INDArray w : new INDArray[] {s.wEnc, s.wDec}) {
                w.putScalar(new long[] {i, i}, 1);
                w.putScalar(new long[] {c + i, i}, -1);
            }
        }
        return s;
    }

    @Test
    void splicingAnIdentitySaeLeavesTheLossUnchanged() {
        List<TinySqlExample> ex = examples(5);
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(ex.stream().map(TinySqlExample::fullText).toList(), 1, 5000);
        Transformer m = TinyModels.random(ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 256), 1, 3);
        float[] x = Buffers.toFloats(m.runWithCache(new int[][] {{3, 4, 5, 6}}, null, HOOK::equals).get(HOOK));
        org.junit.jupiter.api.Assertions.assertArrayEquals(x, identity(32).reconstruct(x, 4), 1e-6f, "reconstructs exactly");
        SaeMetrics.Splice s = SaeMetrics.splice(m, tok, identity(32), HOOK, ex);
        assertEquals(s.ceOrig(), s.ceSae(), 1e-5);
        assertEquals(0.0, s.deltaLoss(), 1e-5);
        // on this random model zero-ablating the residual stream lowers the loss, so "recovered" has no meaning
        assertTrue(s.ceZero() < s.ceOrig() - SaeMetrics.MIN_ABLATION_LOSS, s.toString());
        assertTrue(Double.isNaN(s.ceRecovered()), s.toString());
    }

    @Test
    void ceRecoveredIsUndefinedWhereZeroAblatingTheHookCostsAlmostNothing() {
        assertEquals(0.75, SaeMetrics.ceRecovered(1.0, 1.25, 2.0), 1e-12);
        assertEquals(1.0, SaeMetrics.ceRecovered(1.0, 1.0, 1.0 + 2 * SaeMetrics.MIN_ABLATION_LOSS), 1e-9, "just above the bound");
        assertTrue(Double.isNaN(SaeMetrics.ceRecovered(1.0, 1.0 - 1.2e-4, 1.0 + 2.9e-5)), "a study's MLP output: 509% before");
        assertTrue(Double.isNaN(SaeMetrics.ceRecovered(1.0, 1.1, 0.9)), "zero-ablation lowers the loss");
        assertTrue(Double.isNaN(SaeMetrics.ceRecovered(1.0, 1.1, 1.0)), "zero-ablation changes nothing");
    }

    /** Each example's token activations at HOOK from its own forward: the reference for the store and the cache. */
    static List<float[]> liveRows(Transformer m, SqlVocabTokenizer tok, List<TinySqlExample> ex) {
        org.tinysql.interp.TokenTagger tagger = new org.tinysql.interp.TokenTagger(tok);
        List<float[]> rows = new ArrayList<>();
        for (TinySqlExample e : ex) {
            int[] ids = tagger.tag(e).tokens();
            float[] a = Buffers.toFloats(m.runWithCache(new int[][] {ids}, null, HOOK::equals).get(HOOK));
            for (int t = 0; t < ids.length; t++) {
                rows.add(java.util.Arrays.copyOfRange(a, t * 32, (t + 1) * 32));
            }
        }
        return rows;
    }

    static double maxAbsDiff(float[] a, float[] b, double scale) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - scale * b[i]));
        }
        return d;
    }

    /**
     * The store's buffer holds the first rows in model order; normalize() sets the scale that makes their mean squared
     * norm exactly C; batches are those rows, scaled, in shuffled order, each at most once per half buffer.
     */
    @Test
    void activationStoreNormalizesExactlyAndShuffles() throws Exception {
        List<TinySqlExample> ex = examples(30);
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(ex.stream().map(TinySqlExample::fullText).toList(), 1, 5000);
        Transformer m = TinyModels.random(ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 256), 1, 3);
        List<float[]> live = liveRows(m, tok, ex);
        assertTrue(live.size() > 512, "more rows than the buffer: " + live.size());
        double sq = 0;
        for (float[] r : live.subList(0, 512)) {
            for (float v : r) {
                sq += (double) v * v;
            }
        }
        double wantScale = Math.sqrt(32 / (sq / 512));
        ActivationStore store = ActivationStore.fromModel(m, tok, ex, HOOK, 8, 512, 1);
        double scale = store.normalize();
        assertEquals(wantScale, scale, 1e-5 * wantScale, "scale that makes the buffer's mean squared norm exactly C");
        float[] x = store.next(256);
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        int inOrder = 0;
        int last = -1;
        for (int r = 0; r < 256; r++) {
            float[] row = java.util.Arrays.copyOfRange(x, r * 32, (r + 1) * 32);
            int found = -1;
            for (int i = 0; i < 512 && found < 0; i++) {
                // Rows of equal value (every prompt starts alike) are told apart by taking an unused one.
                if (!seen.contains(i) && maxAbsDiff(row, live.get(i), scale) < 1e-4 * scale) {
                    found = i;
                }
            }
            assertTrue(found >= 0, "served row " + r + " is one of the first 512 rows, scaled, not served before in this half");
            seen.add(found);
            inOrder += found > last ? 1 : 0;
            last = found;
        }
        assertTrue(inOrder < 180, "shuffled: " + inOrder + " of 256 rows came after their predecessor");
    }

    /**
     * Stores of several hooks sharing the model runs serve, read in step, exactly the batches that a store of each hook
     * alone serves (through several refills of the buffer and a cycle over the examples).
     */
    @Test
    void storesSharingModelRunsServeWhatSingleHookStoresServe() throws Exception {
        List<TinySqlExample> ex = examples(12);
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(ex.stream().map(TinySqlExample::fullText).toList(), 1, 5000);
        Transformer m = TinyModels.random(ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 256), 1, 3);
        List<String> hooks = List.of(HOOK, "blocks.1.hook_mlp_out", "blocks.0.hook_attn_out");
        java.util.Map<String, ActivationStore> shared = ActivationStore.fromModel(m, tok, ex, hooks, 4, 256, 5);
        java.util.Map<String, ActivationStore> alone = new java.util.LinkedHashMap<>();
        for (String h : hooks) {
            alone.put(h, ActivationStore.fromModel(m, tok, ex, h, 4, 256, 5));
        }
        assertTrue(liveRows(m, tok, ex).size() < 20 * 100, "the reads below cycle over the examples");
        for (int step = 0; step < 20; step++) {
            for (String h : hooks) {
                assertArrayEquals(alone.get(h).next(100), shared.get(h).next(100), h + ", batch " + step);
            }
        }
    }

    /** Was untested: the on-disk cache holds every token's activation, in example order, equal to a live forward's. */
    @Test
    void cachedActivationsEqualLiveOnes(@TempDir Path dir) throws Exception {
        List<TinySqlExample> ex = examples(30);
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(ex.stream().map(TinySqlExample::fullText).toList(), 1, 5000);
        Transformer m = TinyModels.random(ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 256), 1, 3);
        List<float[]> live = liveRows(m, tok, ex);
        long rows = ActivationStore.writeCache(m, tok, ex, HOOK, 8, dir, 500);
        assertEquals(live.size(), rows);
        List<Path> shards;
        try (var s = java.nio.file.Files.list(dir)) {
            shards = s.sorted().toList();
        }
        assertEquals((live.size() + 499) / 500, shards.size(), "shards of 500 rows: " + shards);
        int r = 0;
        for (Path shard : shards) {
            float[] a = Buffers.toFloats(org.tinysql.tensor.SafeTensors.readAll(shard).get("activations"));
            for (int i = 0; i < a.length / 32; i++, r++) {
                float[] row = java.util.Arrays.copyOfRange(a, i * 32, (i + 1) * 32);
                assertTrue(maxAbsDiff(row, live.get(r), 1) < 1e-5, "row " + r + " of " + shard.getFileName());
            }
        }
        assertEquals(live.size(), r);
        // A store over the cache serves those rows.
        ActivationStore cached = ActivationStore.fromCache(dir, 256, 2);
        assertEquals(32, cached.width());
        float[] x = cached.next(100);
        for (int i = 0; i < 100; i++) {
            float[] row = java.util.Arrays.copyOfRange(x, i * 32, (i + 1) * 32);
            assertTrue(live.stream().anyMatch(l -> maxAbsDiff(row, l, 1) < 1e-5), "cached row " + i + " is a live row");
        }
        // Writing a smaller cache into the same folder leaves no stale shard of the bigger one behind.
        long fewer = ActivationStore.writeCache(m, tok, ex.subList(0, 5), HOOK, 8, dir, 500);
        try (var s = java.nio.file.Files.list(dir)) {
            assertEquals(1, s.count(), "one shard for " + fewer + " rows");
        }
    }

    /** A shard that does not fit the others is an error naming that shard. */
    @Test
    void aBadCacheShardIsNamed(@TempDir Path dir) throws Exception {
        List<TinySqlExample> ex = examples(30);
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(ex.stream().map(TinySqlExample::fullText).toList(), 1, 5000);
        Transformer m = TinyModels.random(ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 256), 1, 3);
        ActivationStore.writeCache(m, tok, ex, HOOK, 8, dir, 300);
        Path second = dir.resolve("activations_00001.safetensors");
        org.tinysql.tensor.SafeTensors.write(second, java.util.Map.of("activations", Buffers.zeros(300, 16)),
                org.tinysql.tensor.DType.F32, null);
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> ActivationStore.fromCache(dir, 512, 1));
        assertTrue(e.getMessage().contains(second.toString()) && e.getMessage().contains("[rows, 32]"), e.getMessage());
    }

    @Test
    void trainsOnModelActivationsAndAnalysesFeatures() throws Exception {
        List<TinySqlExample> ex = examples(40);
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(ex.stream().map(TinySqlExample::fullText).toList(), 1, 5000);
        Transformer m = TinyModels.random(ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 256), 1, 3);
        ActivationStore store = ActivationStore.fromModel(m, tok, ex, HOOK, 8, 2048, 1);
        double scale = store.normalize();
        Sae sae = Sae.init(SaeConfig.topK(32, 128, 8).withHook(HOOK).withNormScale(scale), 3);
        sae.setDecoderBias(store.center(false));
        SaeTrainer tr = new SaeTrainer(sae, SaeTrainerConfig.defaults().withLr(2e-3));
        SaeTrainer.StepStats st = tr.trainArrays(store.batches(256), 300, Progress.NONE);
        assertTrue(st.fvu() < 0.3, st.describe());
        FeatureAnalysis.Result r = FeatureAnalysis.run(m, tok, sae, HOOK, ex.subList(0, 10), 5, 3, 5, Progress.NONE);
        assertEquals(128, r.features().size());
        FeatureAnalysis.Feature top = r.mostActive(1).get(0);
        assertTrue(top.fires() > 0 && !top.top().isEmpty() && top.top().get(0).context().contains("[["));
        assertTrue(r.byRole().get(TokenRole.CONTEXT_FIELD).size() > 0);
        // Ablating a latent removes exactly its contribution.
        INDArray before = m.runWithCache(new int[][] {{3, 4, 5, 6}}, null, HOOK::equals).get(HOOK);
        float[] x = Buffers.toFloats(before);
        Codes z = sae.encode(x, 4);
        int latent = z.idx[z.start[3]];
        float val = z.val[z.start[3]];
        float[][] seen = new float[1][];
        try (Hooks.Handle a = m.hooks().addForward(HOOK, SaeHooks.ablate(sae, latent));
             Hooks.Handle b = m.hooks().addForward(HOOK, (act, n) -> {
                 seen[0] = Buffers.toFloats(act);
                 return null;
             })) {
            m.forward(new int[][] {{3, 4, 5, 6}}, null);
        }
        float[] dir = sae.decoderRow(latent);
        for (int i = 0; i < 32; i++) {
            assertEquals(x[3 * 32 + i] - val / scale * dir[i], seen[0][3 * 32 + i], 1e-4);
        }
    }

    /**
     * Steering sets a latent: on the identity SAE (latent i reads and writes coordinate i), steering latent j to v
     * makes the activation's coordinate j equal v / normScale where the latent fired (and adds v / normScale where it
     * did not), leaves the other coordinates alone, and re-encoding finds latent j at v; ablating it zeroes that
     * coordinate where it fired.
     */
    @Test
    void steeringSetsALatentAndAblationRemovesIt() {
        List<TinySqlExample> ex = examples(5);
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(ex.stream().map(TinySqlExample::fullText).toList(), 1, 5000);
        Transformer m = TinyModels.random(ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 256), 1, 3);
        int[][] ids = {{3, 4, 5, 6, 7, 8}};
        float[] x = Buffers.toFloats(m.runWithCache(ids, null, HOOK::equals).get(HOOK));
        double normScale = 2.5;
        Sae sae = identity(32, normScale);
        int j = -1;
        for (int c = 0; c < 32 && j < 0; c++) {
            int positive = 0;
            for (int t = 0; t < 6; t++) {
                positive += x[t * 32 + c] > 0 ? 1 : 0;
            }
            j = positive >= 2 && positive <= 4 ? c : -1;   // a coordinate positive at some positions, not at others
        }
        assertTrue(j >= 0);
        float v = 1.75f;
        for (boolean ablate : new boolean[] {false, true}) {
            float[][] seen = new float[1][];
            try (Hooks.Handle a = m.hooks().addForward(HOOK, ablate ? SaeHooks.ablate(sae, j) : SaeHooks.steer(sae, j, v));
                 Hooks.Handle b = m.hooks().addForward(HOOK, (act, n) -> {
                     seen[0] = Buffers.toFloats(act);
                     return null;
                 })) {
                m.forward(ids, null);
            }
            for (int t = 0; t < 6; t++) {
                for (int c = 0; c < 32; c++) {
                    float before = x[t * 32 + c];
                    float want = c != j ? before : ablate ? (before > 0 ? 0 : before) : (before > 0 ? (float) (v / normScale) : before + (float) (v / normScale));
                    assertEquals(want, seen[0][t * 32 + c], 1e-5, (ablate ? "ablate" : "steer") + " position " + t + " dim " + c);
                }
            }
            if (!ablate) {
                Codes z = sae.encode(seen[0], 6);
                for (int t = 0; t < 6; t++) {
                    float got = 0;
                    for (int e = z.start[t]; e < z.start[t + 1]; e++) {
                        got = z.idx[e] == j ? z.val[e] : got;
                    }
                    if (x[t * 32 + j] > 0) {
                        assertEquals(v, got, 1e-4, "re-encoded latent at position " + t);
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> SaeHooks.steer(sae, 64, 1f));
        assertThrows(IllegalArgumentException.class, () -> SaeHooks.ablate(sae, -1));
    }
}
