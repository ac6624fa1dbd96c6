package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.tokenizer.HfTokenizer;

/** Item 9 through {@code tinysql train}: the run folder owns its tokenizer, is checked first, and resumes are checked. */
class TrainCommandTest {
    @TempDir
    static Path shared;
    static Path data;

    /** The exit code, stdout and stderr of one CLI run. */

    @BeforeAll
    static void dataset() {
        data = shared.resolve("data");
        assertEquals(0, CliCommandsTest.cli("generate", "--cs", "1", "--n", "300", "--out", data.toString()).code());
    }

    private static String[] train(Path dataDir, Path run, int steps, String... more) {
        String[] base = {"train", "--data", dataDir.toString(), "--out", run.toString(), "--steps", "" + steps, "--batch", "4",
            "--layers", "1", "--d-model", "32", "--heads", "2", "--checkpoint-every", "2"};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void theModelKeepsItsTokenizerWhenTheDatasetIsDeletedDuringTheRun(@TempDir Path dir) throws Exception {
        Path ownData = dir.resolve("data");
        try (Stream<Path> s = Files.list(data)) {
            Files.createDirectories(ownData);
            for (Path p : s.toList()) {
                Files.copy(p, ownData.resolve(p.getFileName()));
            }
        }
        byte[] original = Files.readAllBytes(ownData.resolve("tokenizer.json"));
        Path run = dir.resolve("run");
        AtomicBoolean deletedMidRun = new AtomicBoolean();
        Thread deleter = new Thread(() -> {
            Path first = run.resolve("checkpoints/step-00000002");
            long deadline = System.nanoTime() + 60_000_000_000L;
            try {
                while (!Files.exists(first) && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
            } catch (InterruptedException e) {
                return;
            }
            try (Stream<Path> s = Files.walk(ownData)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
                deletedMidRun.set(!Files.exists(run.resolve("checkpoints/step-00000040")));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        deleter.setDaemon(true);
        deleter.start();
        CliCommandsTest.Result r = CliCommandsTest.cli(train(ownData, run, 40));
        deleter.join(10_000);
        assertEquals(0, r.code(), r.err());
        assertTrue(deletedMidRun.get(), "the dataset was deleted while training");
        assertArrayEquals(original, Files.readAllBytes(run.resolve("model/tokenizer.json")));
        assertArrayEquals(original, Files.readAllBytes(run.resolve("checkpoints/step-00000040/tokenizer.json")));
        assertTrue(HfTokenizer.load(run.resolve("model")).vocabSize() > 0);
    }

    @Test
    void anUnwritableRunFolderFailsBeforeTraining(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Path run = file.resolve("run");
        CliCommandsTest.Result r = CliCommandsTest.cli(train(data, run, 6));
        assertEquals(1, r.code());
        assertTrue(r.err().contains(run.toString()), r.err());
        assertFalse(r.out().contains("parameters"), "no model was built: " + r.out());
    }

    @Test
    void resumingWithAnotherLearningRateOrStepCountNeedsForce(@TempDir Path dir) {
        Path run = dir.resolve("run");
        assertEquals(0, CliCommandsTest.cli(train(data, run, 4)).code());
        CliCommandsTest.Result refused = CliCommandsTest.cli(train(data, run, 6, "--lr", "0.001"));
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("steps 4 -> 6") && refused.err().contains("peak_lr") && refused.err().contains("--force"),
                refused.err());
        CliCommandsTest.Result forced = CliCommandsTest.cli(train(data, run, 6, "--lr", "0.001", "--force"));
        assertEquals(0, forced.code(), forced.err());
        assertTrue(forced.out().contains("trained 6 steps"), forced.out());
    }
}
