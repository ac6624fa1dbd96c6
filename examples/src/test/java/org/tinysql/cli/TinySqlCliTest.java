package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpListsTheSubcommands() {
        String help = captureOut(() -> assertEquals(0, TinySqlCli.run("--help")));
        for (String cmd : List.of("quickstart", "generate", "eval")) {
            assertTrue(help.contains(cmd), help);
        }
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
        assertTrue(out.contains("trained 6 steps"), out);
        assertTrue(Files.exists(run.resolve("model/model.safetensors")) && Files.exists(run.resolve("model/tokenizer.json")));
        assertTrue(Files.exists(run.resolve("checkpoints/step-00000006/optimizer.safetensors")));
        // Running again finds the finished checkpoint and does no more steps.
        String again = captureOut(() -> assertEquals(0, TinySqlCli.run(train)));
        assertTrue(again.contains("trained 6 steps"), again);
        String eval = captureOut(() -> assertEquals(0, TinySqlCli.run("eval", "--data", data.resolve("test.jsonl").toString(),
                "--model", run.resolve("model").toString(), "--limit", "5")));
        assertTrue(eval.contains("scored 5 predictions") && eval.contains("execution  n=5"), eval);
    }

    @Test
    void badInputGivesAClearErrorAndExitCode(@TempDir Path dir) {
        assertEquals(1, TinySqlCli.run("eval", "--data", dir.resolve("missing.jsonl").toString()));
        assertEquals(2, TinySqlCli.run("generate", "--cs", "3"));
        assertEquals(1, TinySqlCli.run("generate", "--cs", "9", "--out", dir.toString()));
    }
}
