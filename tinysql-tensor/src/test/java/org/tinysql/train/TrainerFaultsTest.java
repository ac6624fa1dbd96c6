package org.tinysql.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.RawBytes;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.util.Progress;

/** A run folder in the states crashes and people leave it in, and AdamW over several steps. */
class TrainerFaultsTest {
    static List<TinySqlExample> train;
    static List<TinySqlExample> val;
    static SqlVocabTokenizer tok;

    @BeforeAll
    static void data() {
        List<TinySqlExample> all = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 9).generate(240);
        train = all.subList(0, 200);
        val = all.subList(200, 240);
        List<String> texts = new ArrayList<>();
        train.forEach(e -> texts.add(e.fullText()));
        tok = SqlVocabTokenizer.build(texts, 1, 4000);
    }

    private static Transformer model() {
        return new Transformer(Parameters.init(ModelConfig.gptNeo(tok.vocabSize(), 16, 1, 2, 256), 3));
    }

    private static TrainerConfig config(int steps, int batch) {
        return TrainerConfig.defaults(steps, batch).withLr(3e-3, 3e-4).withCheckpoints(4, 0);
    }

    private static Trainer counted(Path dir, TrainerConfig cfg, AtomicInteger steps) {
        return new Trainer(model(), tok, TokenizerFiles.json(tok), train, val, cfg, dir, (m, b, s) -> {
            steps.incrementAndGet();
            return StepLoss.MODEL.compute(m, b, s);
        });
    }

    private static long[] lossBits(List<Trainer.StepLog> h) {
        return h.stream().mapToLong(l -> Double.doubleToLongBits(l.loss())).toArray();
    }

    /** A crash while writing step 8 left step-00000008.tmp (newer than the last good checkpoint): resume from step 4. */
    @Test
    void aStaleNewerTemporaryCheckpointIsIgnoredAndTheResumeIsExact(@TempDir Path dir) throws Exception {
        Trainer full = counted(dir.resolve("full"), config(12, 4), new AtomicInteger());
        long[] want = lossBits(full.run(Progress.NONE));
        Path ck = dir.resolve("crashed");
        counted(ck, config(12, 4), new AtomicInteger()).runUntil(4, Progress.NONE);
        Path stale = Files.createDirectories(ck.resolve("step-00000008.tmp"));
        Files.writeString(stale.resolve("trainer_state.json"), "{\"step\": 8");
        Files.write(stale.resolve("model.safetensors"), new byte[] {1, 2, 3});
        AtomicInteger steps = new AtomicInteger();
        Trainer resumed = counted(ck, config(12, 4), steps);
        long[] got = lossBits(resumed.run(Progress.NONE));
        assertEquals(8, steps.get(), "resumed at step 4, not at the half-written step 8");
        assertTrue(Arrays.equals(want, got), "losses bit for bit: " + Arrays.toString(want) + " vs " + Arrays.toString(got));
        assertFalse(Files.exists(stale));
        Parameters a = HfCheckpoint.load(dir.resolve("full/step-00000012"));
        Parameters b = HfCheckpoint.load(ck.resolve("step-00000012"));
        for (String n : a.names()) {
            RawBytes.assertSameBits(a.get(n), b.get(n), n);
        }
    }

    /** The newest checkpoint's weights or moments lost their end (a disk that lied about a flush): a clear error naming the file. */
    @Test
    void aTruncatedNewestCheckpointFailsNamingTheFileAndKeepsEverything(@TempDir Path dir) throws Exception {
        for (String file : List.of("model.safetensors", "optimizer.safetensors", "trainer_state.json")) {
            Path ck = dir.resolve(file);
            counted(ck, config(12, 4), new AtomicInteger()).runUntil(8, Progress.NONE);
            Path damaged = ck.resolve("step-00000008").resolve(file);
            byte[] bytes = Files.readAllBytes(damaged);
            Files.write(damaged, Arrays.copyOf(bytes, bytes.length / 2));
            AtomicInteger steps = new AtomicInteger();
            Trainer t = counted(ck, config(12, 4), steps);
            IOException e = assertThrows(IOException.class, () -> t.run(Progress.NONE));
            assertTrue(e.getMessage().contains(damaged.toString()), file + ": " + e.getMessage());
            assertEquals(0, steps.get(), "no step on a half-loaded state");
            assertEquals(List.of(ck.resolve("step-00000004"), ck.resolve("step-00000008")), Trainer.checkpoints(ck),
                    "nothing deleted or overwritten");
            assertEquals(bytes.length / 2, Files.size(damaged));
        }
    }

    @Test
    void aChangedBatchSizeIsRefusedUnlessForced(@TempDir Path dir) throws Exception {
        counted(dir, config(12, 4), new AtomicInteger()).runUntil(4, Progress.NONE);
        AtomicInteger steps = new AtomicInteger();
        Trainer refused = counted(dir, config(12, 8), steps);
        IOException e = assertThrows(IOException.class, () -> refused.run(Progress.NONE));
        assertTrue(e.getMessage().contains("batch_size 4 -> 8") && !e.getMessage().contains("steps 12"), e.getMessage());
        assertEquals(0, steps.get());
        Trainer forced = counted(dir, config(12, 8).withForce(true), steps);
        List<Trainer.StepLog> h = forced.run(Progress.NONE);
        assertEquals(12, h.size());
        assertEquals(8, steps.get(), "forced: resumed at step 4");
        assertTrue(h.stream().allMatch(l -> Double.isFinite(l.loss())));
        assertEquals(8, forced.batchAt(4).size(), "the new batch size from the resume on");
    }

    /** AdamW against a double-precision reference over six steps: bias corrections, moments, decoupled decay. */
    @Test
    void adamWMatchesTheReferenceOverSeveralSteps() {
        ModelConfig cfg = ModelConfig.gptNeo(11, 8, 1, 2, 8);
        Parameters p = Parameters.init(cfg, 1);
        double b1 = 0.9;
        double b2 = 0.95;
        double eps = 1e-8;
        double wd = 0.1;
        AdamW opt = new AdamW(p, b1, b2, eps, wd);
        List<String> names = List.of("blocks.0.attn.W_Q", "blocks.0.ln1.w", "embed.W_E");
        double[][] ref = new double[names.size()][];
        double[][] m = new double[names.size()][];
        double[][] v = new double[names.size()][];
        for (int i = 0; i < names.size(); i++) {
            ref[i] = toDoubles(Buffers.toFloats(p.get(names.get(i))));
            m[i] = new double[ref[i].length];
            v[i] = new double[ref[i].length];
        }
        double[] lrs = {0.01, 0.02, 0.005, 0.01, 0.03, 0.001};
        for (int step = 1; step <= lrs.length; step++) {
            Parameters g = Parameters.init(cfg, 100 + step);
            // Gradients that change scale and sign from step to step, so m and v differ from g and g^2.
            g.asMap().values().forEach(a -> a.muli(1.0 / (1 + 0.5 * Math.sin(7.0 * a.length()))));
            opt.step(p, g, lrs[step - 1]);
            double bc1 = 1 - Math.pow(b1, step);
            double bc2 = 1 - Math.pow(b2, step);
            for (int i = 0; i < names.size(); i++) {
                float[] gi = Buffers.toFloats(g.get(names.get(i)));
                boolean decay = p.get(names.get(i)).rank() >= 2;
                for (int k = 0; k < ref[i].length; k++) {
                    m[i][k] = b1 * m[i][k] + (1 - b1) * gi[k];
                    v[i][k] = b2 * v[i][k] + (1 - b2) * gi[k] * gi[k];
                    if (decay) {
                        ref[i][k] -= lrs[step - 1] * wd * ref[i][k];
                    }
                    ref[i][k] -= lrs[step - 1] * (m[i][k] / bc1) / (Math.sqrt(v[i][k] / bc2) + eps);
                }
                float[] got = Buffers.toFloats(p.get(names.get(i)));
                for (int k = 0; k < got.length; k++) {
                    assertEquals(ref[i][k], got[k], 2e-6 * Math.max(1, Math.abs(ref[i][k])),
                            names.get(i) + "[" + k + "] after step " + step);
                }
            }
        }
        assertEquals(lrs.length, opt.stepCount());
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
