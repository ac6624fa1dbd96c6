package org.tinysql.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.SafeTensors;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.util.Progress;

/** Item 9: the run folder is checked before step 1, checkpoints are self-contained, and resumes are checked. */
class TrainingIoTest {
    static List<TinySqlExample> train;
    static List<TinySqlExample> val;
    static SqlVocabTokenizer tok;

    @BeforeAll
    static void data() {
        List<TinySqlExample> all = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 5).generate(240);
        train = all.subList(0, 200);
        val = all.subList(200, 240);
        List<String> texts = new ArrayList<>();
        train.forEach(e -> texts.add(e.fullText()));
        tok = SqlVocabTokenizer.build(texts, 1, 4000);
    }

    private static Transformer model() {
        return new Transformer(Parameters.init(ModelConfig.gptNeo(tok.vocabSize(), 16, 1, 2, 256), 7));
    }

    private static TrainerConfig config(int steps) {
        return TrainerConfig.defaults(steps, 4).withLr(3e-3, 3e-4).withCheckpoints(4, 0);
    }

    /** A trainer whose step losses are counted. */
    private static Trainer counted(Path dir, TrainerConfig cfg, AtomicInteger steps) {
        return new Trainer(model(), tok, TokenizerFiles.json(tok), train, val, cfg, dir, (m, b, s) -> {
            steps.incrementAndGet();
            return StepLoss.MODEL.compute(m, b, s);
        });
    }

    @Test
    void aCheckpointFolderThatCannotBeWrittenFailsBeforeStep1(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        for (Path bad : List.of(file, file.resolve("checkpoints"))) {
            AtomicInteger steps = new AtomicInteger();
            Trainer t = counted(bad, config(8), steps);
            IOException e = assertThrows(IOException.class, () -> t.run(Progress.NONE));
            assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
            assertEquals(0, steps.get(), "no step runs before the folder is known to be writable");
            assertTrue(t.history().isEmpty());
        }
    }

    @Test
    void temporaryFilesLeftByACrashedRunAreRemovedOnStart(@TempDir Path dir) throws Exception {
        Path staleFolder = Files.createDirectories(dir.resolve("step-00000099.tmp"));
        Files.writeString(staleFolder.resolve("model.safetensors"), "half a checkpoint");
        Path staleFile = Files.writeString(dir.resolve("tokenizer.json4711.tmp"), "half a file");
        Path mine = Files.writeString(dir.resolve("notes.txt"), "the user's own file");
        counted(dir, config(4), new AtomicInteger()).run(Progress.NONE);
        assertFalse(Files.exists(staleFolder), "stale step folder removed");
        assertFalse(Files.exists(staleFile), "stale temporary file removed");
        assertTrue(Files.exists(mine), "other files are left alone");
        assertEquals(List.of(dir.resolve("step-00000004")), Trainer.checkpoints(dir));
    }

    @Test
    void everyCheckpointHoldsTheTokenizerEvenWhenTheDatasetGoesAway(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path tokFile = data.resolve("tokenizer.json");
        tok.save(tokFile);
        byte[] original = Files.readAllBytes(tokFile);
        HfTokenizer hf = HfTokenizer.load(tokFile);
        Path ck = dir.resolve("run/checkpoints");
        Trainer t = new Trainer(model(), hf, tokFile, train, val, config(8), ck);
        Files.delete(tokFile); // the dataset is deleted once the run has started
        t.run(Progress.NONE);
        List<Path> cks = Trainer.checkpoints(ck);
        assertEquals(2, cks.size());
        for (Path c : cks) {
            assertArrayEquals(original, Files.readAllBytes(c.resolve("tokenizer.json")), c.toString());
            assertEquals(hf.vocabSize(), HfTokenizer.load(c).vocabSize());
        }
    }

    @Test
    void resumingWithOtherSettingsIsRefusedNamingEachDifferenceUnlessForced(@TempDir Path dir) throws Exception {
        counted(dir, config(12), new AtomicInteger()).runUntil(4, Progress.NONE);
        TrainerConfig changed = config(20).withLr(1e-3, 1e-4);
        AtomicInteger steps = new AtomicInteger();
        Trainer refused = counted(dir, changed, steps);
        IOException e = assertThrows(IOException.class, () -> refused.run(Progress.NONE));
        String msg = e.getMessage();
        assertTrue(msg.contains("step-00000004") && msg.contains("steps 12 -> 20") && msg.contains("peak_lr 0.003 -> 0.001")
                && msg.contains("min_lr 3.0E-4 -> 1.0E-4") && msg.contains("TrainerConfig.withForce") && !msg.contains("--force"), msg);
        assertFalse(msg.contains("batch_size") || msg.contains("seed"), "only what differs: " + msg);
        assertEquals(0, steps.get());
        assertEquals(0, refused.step());

        Trainer forced = counted(dir, changed.withForce(true), steps);
        assertEquals(20, forced.run(Progress.NONE).size());
        assertEquals(16, steps.get(), "resumed at step 4");
    }

    @Test
    void aDifferentTokenizerIsADifferenceToo(@TempDir Path dir) throws Exception {
        counted(dir, config(4), new AtomicInteger()).runUntil(4, Progress.NONE);
        List<String> texts = new ArrayList<>();
        val.forEach(x -> texts.add(x.fullText()));
        SqlVocabTokenizer other = SqlVocabTokenizer.build(texts, 1, 4000);
        Trainer t = new Trainer(model(), tok, TokenizerFiles.json(other), train, val, config(4), dir, StepLoss.MODEL);
        IOException e = assertThrows(IOException.class, () -> t.run(Progress.NONE));
        assertTrue(e.getMessage().contains("tokenizer.json differs"), e.getMessage());
    }

    @Test
    void aBrokenTrainerStateIsAClearErrorNamingFileAndField(@TempDir Path dir) throws Exception {
        counted(dir, config(8), new AtomicInteger()).runUntil(4, Progress.NONE);
        Path state = dir.resolve("step-00000004/trainer_state.json");
        String good = Files.readString(state);
        Map<String, String> broken = Map.of(
                "\"step\" : -4", "step",
                "\"step\" : \"4\"", "step",
                "\"loss_history\" : [ 1.0 ]", "loss_history",
                "\"peak_lr\" : \"fast\"", "peak_lr");
        for (var b : broken.entrySet()) {
            String key = b.getKey().substring(0, b.getKey().indexOf(':') + 2);
            String text = good.replaceFirst(java.util.regex.Pattern.quote(key) + "(\\[[^\\]]*\\]|[^,\\n]*)",
                    java.util.regex.Matcher.quoteReplacement(b.getKey()));
            assertFalse(text.equals(good), key);
            Files.writeString(state, text);
            AtomicInteger steps = new AtomicInteger();
            Trainer t = counted(dir, config(8), steps);
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> t.run(Progress.NONE));
            assertTrue(e.getMessage().contains(state.toString()) && e.getMessage().contains(b.getValue()), e.getMessage());
            assertEquals(0, steps.get());
        }
    }

    @Test
    void anOptimizerStateOfTheWrongShapeIsAClearError(@TempDir Path dir) throws Exception {
        counted(dir, config(8), new AtomicInteger()).runUntil(4, Progress.NONE);
        Path opt = dir.resolve("step-00000004/optimizer.safetensors");
        Map<String, INDArray> state = new java.util.LinkedHashMap<>(SafeTensors.readAll(opt));
        String first = state.keySet().iterator().next();
        state.put(first, Buffers.zeros(3, 5));
        SafeTensors.write(opt, state, DType.F32, null);
        Trainer t = counted(dir, config(8), new AtomicInteger());
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> t.run(Progress.NONE));
        assertTrue(e.getMessage().contains(opt.toString()) && e.getMessage().contains(first), e.getMessage());
    }

    @Test
    void aFullDiskWhileWritingACheckpointNamesItAndKeepsTheEarlierOnes(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir, 2, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        store.open(1000);
        Path first = store.save(4, tmp -> Files.writeString(tmp.resolve("model.safetensors"), "weights"));
        IOException e = assertThrows(IOException.class, () -> store.save(8, tmp -> {
            Files.writeString(tmp.resolve("model.safetensors"), "half of the weights");
            throw new IOException("No space left on device");
        }));
        assertTrue(e.getMessage().contains(dir.resolve("step-00000008").toString()) && e.getMessage().contains("No space left on device")
                && e.getMessage().contains("free there"), e.getMessage());
        assertEquals(List.of(first), Trainer.checkpoints(dir));
        assertEquals("weights", Files.readString(first.resolve("model.safetensors")));
        assertFalse(Files.exists(dir.resolve("step-00000008.tmp")), "the partial checkpoint is removed");
    }
}
