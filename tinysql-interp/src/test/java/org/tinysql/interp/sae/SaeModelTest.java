package org.tinysql.interp.sae;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        Sae s = new Sae(new SaeConfig(SaeConfig.Architecture.RELU, c, 2 * c, 0, 0, 0, 0, HOOK, 1));
        for (int i = 0; i < c; i++) {
            s.wEnc[i * c + i] = 1;
            s.wDec[i * c + i] = 1;
            s.wEnc[(c + i) * c + i] = -1;
            s.wDec[(c + i) * c + i] = -1;
        }
        return s;
    }

    @Test
    void splicingAnIdentitySaeLeavesTheLossUnchanged() {
        List<TinySqlExample> ex = examples(5);
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(ex.stream().map(TinySqlExample::fullText).toList(), 1, 5000);
        Transformer m = TinyModels.random(ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 256), 1, 3);
        SaeMetrics.Splice s = SaeMetrics.splice(m, tok, identity(32), HOOK, ex);
        assertEquals(s.ceOrig(), s.ceSae(), 1e-5);
        assertEquals(1.0, s.ceRecovered(), 1e-4);
        assertTrue(s.ceZero() != s.ceOrig());
    }

    @Test
    void activationStoreNormalizesShufflesAndCaches(@TempDir Path dir) throws Exception {
        List<TinySqlExample> ex = examples(30);
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(ex.stream().map(TinySqlExample::fullText).toList(), 1, 5000);
        Transformer m = TinyModels.random(ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 256), 1, 3);
        ActivationStore store = ActivationStore.fromModel(m, tok, ex, HOOK, 8, 512, 1);
        double scale = store.normalize();
        float[] x = store.next(200);
        double sq = 0;
        for (float v : x) {
            sq += v * v;
        }
        assertEquals(32, sq / 200, 32 * 0.35, "mean squared norm after normalisation (scale " + scale + ")");
        // Cache every token, then read it back: same number of rows per pass and same total sum.
        long rows = ActivationStore.writeCache(m, tok, ex, HOOK, 8, dir, 1000);
        int tokens = 0;
        for (TinySqlExample e : ex) {
            tokens += new org.tinysql.interp.TokenTagger(tok).tag(e).tokens().length;
        }
        assertEquals(tokens, rows);
        ActivationStore cached = ActivationStore.fromCache(dir, 256, 2);
        assertEquals(32, cached.width());
        assertEquals(32 * 100, cached.next(100).length);
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
        SaeTrainer tr = new SaeTrainer(sae, SaeTrainer.Config.defaults().withLr(2e-3));
        SaeTrainer.StepStats st = tr.train(s -> {
            try {
                return store.next(256);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, 300, Progress.NONE);
        assertTrue(st.fvu() < 0.3, st.describe());
        FeatureAnalysis.Result r = FeatureAnalysis.run(m, tok, sae, HOOK, ex.subList(0, 10), 5, 3, 5, Progress.NONE);
        assertEquals(128, r.features().size());
        FeatureAnalysis.Feature top = r.mostActive(1).get(0);
        assertTrue(top.fires() > 0 && !top.top().isEmpty() && top.top().get(0).context().contains("[["));
        assertTrue(r.byRole().get(TokenRole.CONTEXT_FIELD).size() > 0);
        // Ablating a latent removes exactly its contribution; steering sets it.
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
}
