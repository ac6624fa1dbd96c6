package org.tinysql.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.DType;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.util.Progress;

/** AdamW's chunked update, its BF16 moment storage, the state file, and the linear schedule of fine-tuning. */
class AdamWTest {
    /** A model whose embedding (3000 x 32 = 96,000 values) spans two update chunks. */
    private static final ModelConfig CFG = ModelConfig.gptNeo(3000, 32, 1, 2, 16);

    private static Parameters randomGrads(long seed) {
        Parameters g = Parameters.zeros(CFG);
        SplittableRandom r = new SplittableRandom(seed);
        g.asMap().values().forEach(a -> {
            java.nio.FloatBuffer b = Buffers.fb(a);
            for (int i = 0; i < a.length(); i++) {
                b.put(i, (float) (r.nextDouble() - 0.5) * 0.01f);
            }
        });
        return g;
    }

    @Test
    void everyElementGetsTheReferenceUpdate() {
        Parameters p = Parameters.init(CFG, 1);
        float[] w0 = Buffers.toFloats(p.get("embed.W_E"));
        AdamW opt = new AdamW(p, 0.9, 0.999, 1e-8, 0.01);
        float[] m = new float[w0.length];
        float[] v = new float[w0.length];
        float[] w = w0.clone();
        for (int s = 1; s <= 3; s++) {
            Parameters g = randomGrads(s);
            float[] gw = Buffers.toFloats(g.get("embed.W_E"));
            double lr = 1e-3 * s;
            opt.step(p, g, lr);
            float stepSize = (float) (lr / (1 - Math.pow(0.9, s)));
            float sqrtBc2 = (float) Math.sqrt(1 - Math.pow(0.999, s));
            for (int i = 0; i < w.length; i++) {
                m[i] = 0.9f * m[i] + (1 - 0.9f) * gw[i];
                v[i] = 0.999f * v[i] + (1 - 0.999f) * gw[i] * gw[i];
                w[i] -= (float) lr * 0.01f * w[i];
                w[i] -= stepSize * m[i] / ((float) Math.sqrt(v[i]) / sqrtBc2 + 1e-8f);
            }
        }
        assertArrayEquals(w, Buffers.toFloats(p.get("embed.W_E")), "bit-identical to the element-wise formula");
        assertArrayEquals(m, opt.moment("m.embed.W_E"));
    }

    @Test
    void bf16MomentsStayWithinAPercentOfTheF32Updates() {
        Parameters a = Parameters.init(CFG, 1);
        Parameters b = Parameters.init(CFG, 1);
        float[] start = Buffers.toFloats(a.get("blocks.0.mlp.W_in"));
        AdamW f32 = new AdamW(a, 0.9, 0.999, 1e-8, 0.01, AdamW.Moments.F32);
        AdamW bf16 = new AdamW(b, 0.9, 0.999, 1e-8, 0.01, AdamW.Moments.BF16);
        for (int s = 1; s <= 20; s++) {
            Parameters g = randomGrads(100 + s);
            f32.step(a, g, 1e-3);
            bf16.step(b, g, 1e-3);
        }
        float[] wa = Buffers.toFloats(a.get("blocks.0.mlp.W_in"));
        float[] wb = Buffers.toFloats(b.get("blocks.0.mlp.W_in"));
        double diff = 0;
        double moved = 0;
        for (int i = 0; i < wa.length; i++) {
            diff += Math.abs(wa[i] - wb[i]);
            moved += Math.abs(wa[i] - start[i]);
        }
        assertTrue(diff / moved < 0.01, "BF16 moments change the total update by " + diff / moved);
        assertTrue(diff > 0, "the BF16 path really rounds");
        float[] mb = bf16.moment("m.blocks.0.mlp.W_in");
        for (float x : mb) {
            assertEquals(x, DType.bf16ToFloat(DType.floatToBf16(x)), 0, "stored as BF16");
        }
    }

    @Test
    void theStateFileRoundTripsExactlyAndIsCheckedBeforeUse(@TempDir Path dir) throws Exception {
        for (AdamW.Moments kind : AdamW.Moments.values()) {
            Parameters p = Parameters.init(CFG, 1);
            AdamW opt = new AdamW(p, 0.9, 0.999, 1e-8, 0.01, kind);
            opt.step(p, randomGrads(7), 1e-3);
            Path file = dir.resolve(kind + ".safetensors");
            opt.save(file);
            AdamW back = new AdamW(p, 0.9, 0.999, 1e-8, 0.01, kind);
            back.load(file, 1);
            assertEquals(1, back.stepCount());
            for (String n : p.names()) {
                assertArrayEquals(opt.moment("m." + n), back.moment("m." + n), kind + " m." + n);
                assertArrayEquals(opt.moment("v." + n), back.moment("v." + n), kind + " v." + n);
            }
            AdamW other = new AdamW(Parameters.init(ModelConfig.gptNeo(3001, 32, 1, 2, 16), 1), 0.9, 0.999, 1e-8, 0.01, kind);
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> other.load(file, 1));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("m.embed.W_E"), e.getMessage());
        }
        assertEquals(2L * 10 * 2, AdamW.stateBytes(10, AdamW.Moments.BF16));
    }

    @Test
    void theLinearScheduleWarmsUpThenFallsToTheMinimumInAStraightLine() {
        LrSchedule s = new LrSchedule(2e-5, 0, 50, 250, LrSchedule.Shape.LINEAR);
        assertEquals(2e-5 / 50, s.at(0), 1e-15);
        assertEquals(2e-5, s.at(49), 1e-15);
        assertEquals(2e-5, s.at(50), 1e-15);
        assertEquals(1e-5, s.at(150), 1e-15);
        assertEquals(2e-5 / 200, s.at(249), 1e-15);
        assertEquals(0, s.at(250), 0);
        assertEquals(LrSchedule.Shape.LINEAR, LrSchedule.Shape.parse("Linear"));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.Shape.parse("step"));
    }

    @Test
    void aResumedRunWithBf16MomentsRecomputationAndTheLinearScheduleIsBitExact(@TempDir Path dir) throws Exception {
        List<TinySqlExample> all = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 5).generate(120);
        List<String> texts = new ArrayList<>();
        all.forEach(e -> texts.add(e.fullText()));
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(texts, 1, 4000);
        ModelConfig cfg = ModelConfig.llama(tok.vocabSize(), 16, 2, 2, 256);
        TrainerConfig tc = TrainerConfig.defaults(8, 4).withLr(3e-3, 0).withCheckpoints(4, 0)
                .withOptimizer(OptimizerConfig.HF.withMoments(AdamW.Moments.BF16));
        Transformer a = new Transformer(Parameters.init(cfg, 3));
        a.setRecompute(true);
        List<Trainer.StepLog> full = new Trainer(a, tok, all, all, tc, dir.resolve("a")).run(Progress.NONE);
        Transformer b1 = new Transformer(Parameters.init(cfg, 3));
        b1.setRecompute(true);
        new Trainer(b1, tok, all, all, tc, dir.resolve("b")).runUntil(4, Progress.NONE);
        Transformer b2 = new Transformer(Parameters.init(cfg, 3));
        b2.setRecompute(true);
        List<Trainer.StepLog> resumed = new Trainer(b2, tok, all, all, tc, dir.resolve("b")).run(Progress.NONE);
        for (int i = 0; i < 8; i++) {
            assertEquals(full.get(i).loss(), resumed.get(i).loss(), 0, "step " + (i + 1));
        }
        for (String n : a.parameters().names()) {
            assertArrayEquals(Buffers.toFloats(a.parameters().get(n)), Buffers.toFloats(b2.parameters().get(n)), n);
        }
        // Resuming the BF16 run with F32 moments would not continue the same run: refused without --force.
        Transformer c = new Transformer(Parameters.init(cfg, 3));
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> new Trainer(c, tok, all, all,
                tc.withOptimizer(OptimizerConfig.HF), dir.resolve("b")).run(Progress.NONE));
        assertTrue(e.getMessage().contains("optimizer_moments bf16 -> f32"), e.getMessage());
    }
}
