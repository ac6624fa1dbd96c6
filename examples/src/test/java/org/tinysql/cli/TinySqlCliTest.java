package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.TinySqlExample;

class TinySqlCliTest {

    private static String captureOut(Runnable r) {
        return ConsoleCapture.out(r::run);
    }

    @Test
    void helpListsTheSubcommands() {
        String help = captureOut(() -> assertEquals(0, TinySqlCli.run("--help")));
        for (String cmd : List.of("quickstart", "generate", "eval", "zoo")) {
            assertTrue(help.contains(cmd), help);
        }
    }

    @Test
    void numbersPrintTheSameInEveryLocale(@TempDir Path dir) {
        java.util.Locale old = java.util.Locale.getDefault();
        java.util.Locale.setDefault(java.util.Locale.GERMANY);
        try {
            String out = captureOut(() -> assertEquals(0, TinySqlCli.run("generate", "--n", "300", "--out", dir.toString())));
            // a decimal point, not the German comma ("in 0,12 s")
            assertTrue(out.matches("(?s).*test 30 in \\d+\\.\\d\\d s.*"), out);
        } finally {
            java.util.Locale.setDefault(old);
        }
    }

    @Test
    void versionComesFromTheBuild() {
        String v = captureOut(() -> assertEquals(0, TinySqlCli.run("--version")));
        // The filtered resource holds the POM's version (not a literal one in the code, not "${project.version}").
        assertTrue(v.lines().findFirst().orElse("").matches("TinySQL-J \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), v);
        assertTrue(v.contains("Java " + System.getProperty("java.version")), v);
    }

    @Test
    void generateWritesSplitsAndEvalScoresThem(@TempDir Path dir) throws Exception {
        String out = captureOut(() -> assertEquals(0, TinySqlCli.run("generate", "--cs", "4", "--variant", "synonym",
                "--n", "400", "--seed", "3", "--out", dir.toString())));
        assertTrue(out.contains("train 306 / validation 54 / test 40"), out);
        assertTrue(Files.exists(dir.resolve("stats.json")));
        assertTrue(org.tinysql.tokenizer.HfTokenizer.load(dir.resolve("tokenizer.json")).vocabSize() > 300);
        List<TinySqlExample> test = DatasetIO.read(dir.resolve("test.jsonl"));
        assertEquals(40, test.size());
        Path preds = dir.resolve("preds.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < test.size(); i++) {
            sb.append(i % 2 == 0 ? test.get(i).sqlStatement() : "SELECT nonsense").append('\n');
        }
        Files.writeString(preds, sb);
        String eval = captureOut(() -> assertEquals(0, TinySqlCli.run("eval", "--data", dir.resolve("test.jsonl").toString(),
                "--predictions", preds.toString())));
        assertTrue(eval.contains("exact      n=40  accuracy 50.00%"), eval);
        assertTrue(eval.contains("execution  n=40  accuracy 50.00%"), eval);
    }

    @Test
    void trainResumesAndEvalGeneratesWithTheModel(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        captureOut(() -> assertEquals(0, TinySqlCli.run("generate", "--cs", "1", "--n", "300", "--out", data.toString())));
        Path run = dir.resolve("run");
        String[] train = {"train", "--data", data.toString(), "--out", run.toString(), "--steps", "6", "--batch", "4",
            "--d-model", "32", "--heads", "2", "--checkpoint-every", "3"};
        String out = captureOut(() -> assertEquals(0, TinySqlCli.run(train)));
        assertTrue(out.contains("trained 6 steps (from scratch)"), out);
        assertTrue(Files.exists(run.resolve("model/model.safetensors")) && Files.exists(run.resolve("model/tokenizer.json")));
        assertTrue(Files.exists(run.resolve("checkpoints/step-00000006/optimizer.safetensors")));
        byte[] weights = Files.readAllBytes(run.resolve("model/model.safetensors"));
        // Running again finds the finished checkpoint and does no more steps.
        String again = captureOut(() -> assertEquals(0, TinySqlCli.run(train)));
        assertTrue(again.contains("trained 6 steps (0 in this run, resumed from step 6)"), again);
        // Without the last checkpoint and the model it resumes at step 3, runs 3 steps and ends with the same weights.
        for (Path p : List.of(run.resolve("checkpoints/step-00000006"), run.resolve("model"))) {
            try (var files = Files.walk(p)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
        String resumed = captureOut(() -> assertEquals(0, TinySqlCli.run(train)));
        assertTrue(resumed.contains("trained 6 steps (3 in this run, resumed from step 3)"), resumed);
        assertEquals(-1L, java.util.Arrays.mismatch(weights, Files.readAllBytes(run.resolve("model/model.safetensors"))),
                "a resumed run ends bit for bit where the uninterrupted one did");
        Path saved = run.resolve("predictions.jsonl");
        String eval = captureOut(() -> assertEquals(0, TinySqlCli.run("eval", "--data", data.resolve("test.jsonl").toString(),
                "--model", run.resolve("model").toString(), "--limit", "5", "--save-predictions", saved.toString())));
        assertTrue(eval.contains("scored 5 predictions") && eval.contains("execution  n=5"), eval);
        // The saved predictions score the same when read back (eval --predictions).
        assertEquals(5, org.tinysql.data.PredictionsFile.read(saved).size());
        String rescored = captureOut(() -> assertEquals(0, TinySqlCli.run("eval", "--data", data.resolve("test.jsonl").toString(),
                "--predictions", saved.toString(), "--limit", "5")));
        assertEquals(eval.lines().filter(l -> l.contains("n=5")).toList(), rescored.lines().filter(l -> l.contains("n=5")).toList());
    }

    private static String captureErr(Runnable r) {
        return ConsoleCapture.err(r::run);
    }

    /** Runs the CLI, expecting exit code 2 (a user's mistake) and one error line that starts with {@code error: prefix}. */
    private static String failsWith(String prefix, String... args) {
        String err = captureErr(() -> captureOut(() -> assertEquals(TinySqlCli.USAGE_ERROR, TinySqlCli.run(args))));
        assertTrue(err.startsWith("error: " + prefix), err);
        assertEquals(1, err.strip().lines().count(), "one line, no stack trace: " + err);
        return err;
    }

    @Test
    void evalRejectsMalformedDataAndPredictionsNamingFileAndLine(@TempDir Path dir) throws Exception {
        captureOut(() -> assertEquals(0, TinySqlCli.run("generate", "--cs", "2", "--n", "60", "--out", dir.toString())));
        Path test = dir.resolve("test.jsonl");
        List<String> lines = Files.readAllLines(test, StandardCharsets.UTF_8);
        // Two objects on one line: before, the second was dropped and eval scored the rest.
        Path twoObjects = dir.resolve("two.jsonl");
        Files.writeString(twoObjects, lines.get(0) + "\n" + lines.get(1) + lines.get(2) + "\n", StandardCharsets.UTF_8);
        failsWith(twoObjects + ":2: ", "eval", "--data", twoObjects.toString());
        // An empty file: before, "n=0 accuracy 0.00%" and exit code 0.
        Path empty = dir.resolve("empty.jsonl");
        Files.writeString(empty, "");
        failsWith(empty + ": no examples", "eval", "--data", empty.toString());
        // "command_set": 1.5, before read as 1.
        Path fractional = dir.resolve("fractional.jsonl");
        Files.writeString(fractional, lines.get(0).replace("\"command_set\":2", "\"command_set\":1.5") + "\n");
        failsWith(fractional + ":1: command_set", "eval", "--data", fractional.toString());
        // Invalid UTF-8 in the predictions: before, "error: Input length = 1".
        Path preds = dir.resolve("preds.txt");
        Files.write(preds, new byte[] {'S', 'E', 'L', 'E', 'C', 'T', '\n', 'x', (byte) 0xC3, '\n'});
        failsWith(preds + ":2: invalid UTF-8", "eval", "--data", test.toString(), "--predictions", preds.toString());
    }

    @Test
    void evalReadsFilesWithAByteOrderMark(@TempDir Path dir) throws Exception {
        captureOut(() -> assertEquals(0, TinySqlCli.run("generate", "--cs", "1", "--n", "60", "--out", dir.toString())));
        List<TinySqlExample> test = DatasetIO.read(dir.resolve("test.jsonl"));
        StringBuilder sb = new StringBuilder("\uFEFF");
        for (TinySqlExample e : test) {
            sb.append("{\"prediction\":").append(DatasetIO.mapper().writeValueAsString(e.sqlStatement())).append("}\n");
        }
        Path preds = dir.resolve("preds.txt");
        Files.writeString(preds, sb, StandardCharsets.UTF_8);
        Path data = dir.resolve("bom.jsonl");
        Files.writeString(data, "\uFEFF" + Files.readString(dir.resolve("test.jsonl")), StandardCharsets.UTF_8);
        // Before: line 1 of the data failed, and a BOM before the first prediction made it plain text.
        String eval = captureOut(() -> assertEquals(0, TinySqlCli.run("eval", "--data", data.toString(),
                "--predictions", preds.toString())));
        assertTrue(eval.contains("exact      n=" + test.size() + "  accuracy 100.00%"), eval);
    }

    @Test
    void generateTwiceInTwoJvmsGivesByteIdenticalFolders(@TempDir Path dir) throws Exception {
        List<Path> outs = List.of(dir.resolve("a"), dir.resolve("b"));
        for (Path out : outs) {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), TinySqlCli.class.getName(), "generate", "--cs", "5",
                    "--variant", "synonym", "--n", "200", "--seed", "9", "--out", out.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve(out.getFileName() + ".log").toFile()).start();
            assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), Files.readString(dir.resolve(out.getFileName() + ".log")));
        }
        List<String> names;
        try (var s = Files.list(outs.get(0))) {
            names = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("stats.json", "test.jsonl", "tokenizer.json", "train.jsonl", "validation.jsonl"), names);
        try (var s = Files.list(outs.get(1))) {
            assertEquals(names, s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        for (String name : names) {
            assertEquals(-1L, Files.mismatch(outs.get(0).resolve(name), outs.get(1).resolve(name)), name + " differs");
        }
        // Before, the split sizes came in a per-JVM hash order.
        String stats = Files.readString(outs.get(0).resolve("stats.json"));
        assertTrue(stats.indexOf("\"train\"") < stats.indexOf("\"validation\"")
                && stats.indexOf("\"validation\"") < stats.indexOf("\"test\""), stats);
    }

    @Test
    void badInputGivesAClearErrorAndExitCode(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.jsonl");
        String err = failsWith("", "eval", "--data", missing.toString());
        assertTrue(err.contains(missing.toString()), "names the file: " + err);
        err = captureErr(() -> captureOut(() -> assertEquals(2, TinySqlCli.run("generate", "--cs", "3"))));
        assertTrue(err.contains("Missing required option") && err.contains("--out"), "usage error: " + err);
        err = failsWith("unknown command set '9': expected one of 1..5 or CS1..CS5", "generate", "--cs", "9", "--out", dir.toString());
        failsWith("--n must be positive, got 0", "generate", "--n", "0", "--out", dir.toString());
        err = captureErr(() -> captureOut(() -> assertEquals(2, TinySqlCli.run("nosuchcommand"))));
        assertTrue(err.contains("nosuchcommand"), err);
        // A folder where a file belongs is named, not "Is a directory".
        failsWith(dir + ": is a folder, not a file", "eval", "--data", dir.toString());
        Path gold = dir.resolve("gold.jsonl");
        org.tinysql.data.DatasetIO.write(gold, new org.tinysql.data.DatasetGenerator(org.tinysql.data.CommandSet.CS1,
                org.tinysql.data.Variant.LITERAL, 1).generate(3));
        failsWith(dir + ": is a folder, not a file", "eval", "--data", gold.toString(), "--save-predictions", dir.toString());
        failsWith(dir + ": is a folder, not a file", "eval", "--data", gold.toString(), "--out", dir.toString());
        // An --out that is a file is refused before generating anything (before: after generating everything).
        Path file = dir.resolve("a-file");
        Files.writeString(file, "keep me");
        String out = captureOut(() -> failsWith(file + ": exists and is not a folder", "generate", "--n", "1000000", "--out",
                file.toString()));
        assertFalse(out.contains("generate ["), "nothing generated: " + out);
        assertEquals("keep me", Files.readString(file));
    }

    @Test
    void exitCodesTellMistakesFromFailures() {
        assertEquals(TinySqlCli.USAGE_ERROR, TinySqlCli.exitCode(new IllegalArgumentException("--steps -1")));
        assertEquals(TinySqlCli.USAGE_ERROR, TinySqlCli.exitCode(new java.nio.file.NoSuchFileException("x")));
        assertEquals(TinySqlCli.USAGE_ERROR, TinySqlCli.exitCode(new java.io.UncheckedIOException(
                new java.nio.file.AccessDeniedException("x"))));
        assertEquals(TinySqlCli.USAGE_ERROR, TinySqlCli.exitCode(new org.tinysql.data.DataFormatException(Path.of("x"), "bad")));
        assertEquals(TinySqlCli.FAILURE, TinySqlCli.exitCode(new IllegalStateException("bug")));
        assertEquals(TinySqlCli.FAILURE, TinySqlCli.exitCode(new java.io.IOException("disk full")));
        assertEquals(TinySqlCli.FAILURE, TinySqlCli.exitCode(new OutOfMemoryError()));
    }
}
