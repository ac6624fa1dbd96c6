package org.tinysql.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.HfCheckpoint;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.RawBytes;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.util.Progress;

class TrainerTest {
    static List<TinySqlExample> train;
    static List<TinySqlExample> val;
    static SqlVocabTokenizer tok;

    @BeforeAll
    static void data() {
        List<TinySqlExample> all = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 3).generate(400);
        train = all.subList(0, 360);
        val = all.subList(360, 400);
        List<String> texts = new ArrayList<>();
        train.forEach(e -> texts.add(e.fullText()));
        tok = SqlVocabTokenizer.build(texts, 1, 4000);
    }

    private static Transformer model() {
        ModelConfig cfg = ModelConfig.gptNeo(tok.vocabSize(), 32, 2, 4, 256);
        return new Transformer(Parameters.init(cfg, 7));
    }

    private static TrainerConfig config(int steps) {
        return TrainerConfig.defaults(steps, 8).withLr(3e-3, 3e-4).withCheckpoints(4, 0);
    }

    @Test
    void lengthBucketedBatchesCoverTheEpochOnceWithLessPadding() {
        // 360 examples / 8 = 45 batches per epoch: groups of 16, 16 and a last group of 13 batches.
        Trainer bucketed = new Trainer(model(), tok, train, val, config(10).withLengthBuckets(16));
        Trainer plain = new Trainer(model(), tok, train, val, config(10));
        java.util.Set<EncodedExample> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        long padBucketed = 0;
        long padPlain = 0;
        for (int s = 0; s < 45; s++) {
            List<EncodedExample> b = bucketed.batchAt(s);
            assertEquals(8, b.size());
            seen.addAll(b);
            padBucketed += padding(b);
            padPlain += padding(plain.batchAt(s));
        }
        assertEquals(360, seen.size(), "every example exactly once per epoch");
        assertTrue(padBucketed * 3 < padPlain, "padding " + padBucketed + " vs " + padPlain + " tokens");
        assertEquals(ids(bucketed.batchAt(3)),
                ids(new Trainer(model(), tok, train, val, config(10).withLengthBuckets(16), null).batchAt(3)),
                "deterministic");
        assertTrue(!ids(bucketed.batchAt(45)).equals(ids(bucketed.batchAt(0))), "the next epoch is another permutation");
    }

    @Test
    void aCurriculumDrawsTheFirstStepsFromShortListsOnlyAndThenFromEverything(@TempDir Path dir) throws Exception {
        Curriculum c = new Curriculum(20, 2);
        long admitted = train.stream().filter(c::admits).count();
        assertTrue(admitted >= 40 && admitted < 300, "the data has lists of 1-2 fields and longer ones: " + admitted);
        Trainer t = new Trainer(model(), tok, train, val, config(40).withCurriculum(c));
        java.util.Set<List<Integer>> shortLists = new java.util.HashSet<>();
        for (TinySqlExample e : train) {
            if (c.admits(e)) {
                shortLists.add(java.util.Arrays.stream(EncodedExample.of(e, tok, 512).ids()).boxed().toList());
            }
        }
        java.util.Set<List<Integer>> seen = new java.util.HashSet<>();
        for (int s = 0; s < 20; s++) {
            for (EncodedExample e : t.batchAt(s)) {
                List<Integer> ids = java.util.Arrays.stream(e.ids()).boxed().toList();
                assertTrue(shortLists.contains(ids), "step " + s + " drew an example with a list of more than 2 items");
                seen.add(ids);
            }
        }
        assertTrue(seen.size() >= Math.min(admitted, 100) * 0.9, "20 batches cover the short lists: " + seen.size());
        boolean longer = false;
        for (int s = 20; s < 40; s++) {
            for (EncodedExample e : t.batchAt(s)) {
                longer |= !shortLists.contains(java.util.Arrays.stream(e.ids()).boxed().toList());
            }
        }
        assertTrue(longer, "after the curriculum, longer lists too");
        // After it, the plain order; a resume across the boundary repeats the run bit for bit.
        assertEquals(ids(new Trainer(model(), tok, train, val, config(40)).batchAt(25)), ids(t.batchAt(25)));
        TrainerConfig cfg = config(24).withCurriculum(new Curriculum(10, 2));
        List<Trainer.StepLog> full = new Trainer(model(), tok, train, val, cfg, dir.resolve("a")).run(Progress.NONE);
        new Trainer(model(), tok, train, val, cfg, dir.resolve("b")).runUntil(8, Progress.NONE);
        List<Trainer.StepLog> resumed = new Trainer(model(), tok, train, val, cfg, dir.resolve("b")).run(Progress.NONE);
        for (int i = 0; i < 24; i++) {
            assertEquals(Double.doubleToLongBits(full.get(i).loss()), Double.doubleToLongBits(resumed.get(i).loss()), "step " + i);
        }
        // The curriculum is one of the run's settings: a resume without it is refused unless forced.
        java.nio.file.FileAlreadyExistsException refused = assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> new Trainer(model(), tok, train, val, config(24), dir.resolve("b")).run(Progress.NONE));
        assertTrue(refused.getMessage().contains("curriculum_steps 10 -> 0, curriculum_max_items 2 -> 0"), refused.getMessage());
        // A curriculum that admits less than a batch is refused up front.
        String msg = assertThrows(IllegalArgumentException.class, () -> new Trainer(model(), tok, train.subList(0, 9), val,
                config(4).withCurriculum(new Curriculum(2, 1)))).getMessage();
        assertTrue(msg.contains("admits") && msg.contains("fewer than one batch of 8"), msg);
    }

    private static List<List<Integer>> ids(List<EncodedExample> b) {
        return b.stream().map(e -> java.util.Arrays.stream(e.ids()).boxed().toList()).toList();
    }

    private static long padding(List<EncodedExample> b) {
        int longest = b.stream().mapToInt(e -> e.ids().length).max().orElseThrow();
        return b.stream().mapToLong(e -> longest - e.ids().length).sum();
    }

    @Test
    void lossDecreasesAndValidationIsReported() throws Exception {
        Transformer m = model();
        Trainer t = new Trainer(m, tok, train, val, config(30).withCheckpoints(0, 10));
        List<Trainer.StepLog> h = t.run(Progress.NONE);
        assertEquals(30, h.size());
        double first = h.subList(0, 3).stream().mapToDouble(Trainer.StepLog::loss).average().orElseThrow();
        double last = h.subList(27, 30).stream().mapToDouble(Trainer.StepLog::loss).average().orElseThrow();
        assertTrue(last < first * 0.85, "loss " + first + " -> " + last);
        assertEquals(3, t.evals().size());
        assertTrue(Double.isFinite(t.evals().get(2).loss()));
    }

    @Test
    void resumedRunMatchesTheUninterruptedRunBitForBit(@TempDir Path dir) throws Exception {
        Transformer a = model();
        List<Trainer.StepLog> full = new Trainer(a, tok, train, val, config(12), dir.resolve("a")).run(Progress.NONE);

        Path ck = dir.resolve("b");
        Transformer b1 = model();
        new Trainer(b1, tok, train, val, config(12), ck).runUntil(8, Progress.NONE);
        // A fresh process: new model object, same config; the trainer finds step-00000008 and continues.
        Transformer b2 = model();
        Trainer resumed = new Trainer(b2, tok, train, val, config(12), ck);
        List<Trainer.StepLog> h = resumed.run(Progress.NONE);
        assertEquals(12, h.size());
        for (int i = 0; i < 12; i++) {
            assertEquals(Double.doubleToLongBits(full.get(i).loss()), Double.doubleToLongBits(h.get(i).loss()),
                    "step " + (i + 1) + ": " + full.get(i).loss() + " vs " + h.get(i).loss());
        }
        Parameters pa = a.parameters();
        Parameters pb = b2.parameters();
        for (String n : pa.names()) {
            RawBytes.assertSameBits(pa.get(n), pb.get(n), n);
        }
        List<Path> cks = Trainer.checkpoints(ck);
        assertEquals(2, cks.size(), "keeps the last two checkpoints: " + cks);
        assertTrue(Files.exists(cks.get(1).resolve("tokenizer.json")));
        // The checkpoint is an HF folder that loads on its own.
        Parameters loaded = HfCheckpoint.load(cks.get(1));
        for (String n : pb.names()) {
            RawBytes.assertSameBits(pb.get(n), loaded.get(n), "checkpoint " + n);
        }
    }

    @Test
    void nanLossStopsWithAClearErrorAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        Transformer m = model();
        // Step 6 (0-based) diverges: its loss is NaN.
        StepLoss diverging = (model, b, s) -> {
            double loss = StepLoss.MODEL.compute(model, b, s);
            return s == 6 ? Double.NaN : loss;
        };
        Trainer t = new Trainer(m, tok, TokenizerFiles.json(tok), train, val, config(12), dir, diverging);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.run(Progress.NONE));
        assertTrue(e.getMessage().contains("step 6") && e.getMessage().contains("NaN"), e.getMessage());
        List<Path> cks = Trainer.checkpoints(dir);
        assertEquals("step-00000004", cks.get(cks.size() - 1).getFileName().toString());
        assertEquals(0, Files.list(dir).filter(p -> p.toString().endsWith(".tmp")).count());
    }

    @Test
    void scheduleWarmsUpThenDecays() {
        LrSchedule s = new LrSchedule(1e-3, 1e-4, 10, 110);
        assertEquals(1e-4, s.at(0), 1e-12);
        assertEquals(1e-3, s.at(9), 1e-12);
        assertEquals(5.5e-4, s.at(60), 1e-9);
        assertEquals(1e-4, s.at(110), 1e-12);
        assertTrue(s.at(30) > s.at(80));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1e-3, 1e-2, 1, 10));
    }

    @Test
    void adamWMatchesTheReferenceUpdate() {
        ModelConfig cfg = ModelConfig.gptNeo(11, 8, 1, 2, 8);
        Parameters p = Parameters.init(cfg, 1);
        Parameters g = Parameters.init(cfg, 2);
        float p0 = p.get("blocks.0.attn.W_Q").getFloat(0);
        float g0 = g.get("blocks.0.attn.W_Q").getFloat(0);
        AdamW opt = new AdamW(p, 0.9, 0.95, 1e-8, 0.1);
        opt.step(p, g, 0.01);
        // Step 1: m_hat = g, v_hat = g^2, so the Adam step is lr * sign(g) (up to eps); decay multiplies by 1 - lr*wd.
        double want = p0 * (1 - 0.01 * 0.1) - 0.01 * g0 / (Math.abs(g0) + 1e-8);
        assertEquals(want, p.get("blocks.0.attn.W_Q").getFloat(0), 1e-6);
        // Norm weights start at 1 with gradient 1 (init of g): one Adam step of -lr and no weight decay.
        assertEquals(0.99, p.get("blocks.0.ln1.w").getFloat(0), 1e-6, "norm weights are not decayed");
    }
}
