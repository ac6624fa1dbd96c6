package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.TinySqlExample;

/** {@code tinysql eval} on hostile predictions: every item is scored and reported, none aborts the run. */
class EvalUntrustedPredictionsTest {

    @Test
    void hostilePredictionsAreCountedWrongAndTheEvalFinishes(@TempDir Path dir) throws Exception {
        cli("generate", "--cs", "2", "--n", "400", "--seed", "5", "--out", dir.toString());
        List<TinySqlExample> test = DatasetIO.read(dir.resolve("test.jsonl"));
        String[] hostile = {
            "SELECT " + "1+".repeat(6_000) + "1",
            "SELECT REGEXP_REPLACE(REPEAT('a', 28) || '!', '(.*a){14}$', 'x')",
            "{gold}; SET SCHEMA INFORMATION_SCHEMA",
            "{gold} -- hidden\n; DROP TABLE x",
        };
        StringBuilder preds = new StringBuilder();
        int good = 0;
        for (int i = 0; i < test.size(); i++) {
            String gold = test.get(i).sqlStatement();
            String p = i % 4 == 0 ? hostile[(i / 4) % hostile.length].replace("{gold}", gold) : gold;
            good += i % 4 == 0 ? 0 : 1;
            preds.append(DatasetIO.mapper().writeValueAsString(Map.of("prediction", p))).append('\n');
        }
        Path file = dir.resolve("preds.jsonl");
        Files.writeString(file, preds);
        Path report = dir.resolve("report.json");
        String out = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> cli("eval", "--data",
                dir.resolve("test.jsonl").toString(), "--predictions", file.toString(), "--out", report.toString()));
        String accuracy = String.format(java.util.Locale.ROOT, "n=%d  accuracy %.2f%%", test.size(), 100.0 * good / test.size());
        for (String scorer : List.of("exact     ", "structural", "execution ")) {
            assertTrue(out.contains(scorer + " " + accuracy), scorer + " / " + accuracy + " in\n" + out);
        }
        assertTrue(Files.exists(report));
    }

    /** Runs the CLI, expects exit code 0 and returns what it printed. */
    private static String cli(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, TinySqlCli.run(args));
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
