package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code tinysql study --quick} as CI runs it: it trains two tiny models (CS1 and CS2), runs every analysis on them in
 * small batches, writes study.json, study.md and a report that Chromium renders, and a second run reuses everything.
 */
class StudyCommandTest {

    @Test
    void theQuickStudyRunsEveryAnalysisAndResumes(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("study");
        long t0 = System.nanoTime();
        CliCommandsTest.Result first = CliCommandsTest.ok("study", "--quick", "--out", out.toString());
        double minutes = (System.nanoTime() - t0) / 6e10;
        assertTrue(first.out().contains("wrote " + out.resolve("study.md")), first.out());
        assertTrue(Files.isRegularFile(out.resolve("zoo/cs1-literal-seed1/model/model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("zoo/cs2-literal-seed1/model/model.safetensors")));

        JsonNode json = CliCommandsTest.JSON.readTree(out.resolve("study.json").toFile());
        assertEquals(2, json.get("models").size());
        assertEquals(2, json.get("accuracy").get("cs2-literal-seed1").size(), "the CS2 model on CS1 and CS2");
        // CS1 has the 7 kinds of the instruction and Context, CS2 adds the two ORDER BY kinds; --quick runs EAP only
        assertEquals(7, json.get("circuits").get("cs1-literal-seed1").size());
        assertEquals(9, json.get("circuits").get("cs2-literal-seed1").size());
        for (JsonNode c : json.get("circuits").get("cs2-literal-seed1")) {
            assertTrue(c.get("skipped").isNull(), c.get("kind") + " skipped: " + c.get("skipped"));
            assertTrue(c.get("edges_for_target").asInt() >= 1);
        }
        assertEquals(7, json.get("across_sets").size(), "each CS1 kind across the two models");
        assertEquals(4, json.get("saes").get("cs1-literal-seed1").size());
        assertTrue(json.get("heuristics").get("cs1-literal-seed1").get("context_rate").isNumber());
        assertEquals(16, json.get("minimal").get("cs2-literal-seed1").get("total_heads").asInt(), "2 layers of 8 heads");
        assertEquals(120, json.get("probes").get("cs1-literal-seed1").get("prompts").asInt());
        assertTrue(json.get("lens").get("cs2-literal-seed1").get("resolved_at").has("keyword"));
        String md = Files.readString(out.resolve("study.md"));
        assertTrue(md.contains("| cs2-literal-seed1 | CS2 literal |") && md.contains("order-by-direction"), md);

        CliCommandsTest.Result again = CliCommandsTest.ok("study", "--quick", "--out", out.toString());
        assertTrue(again.out().contains("35 results: 0 computed, 35 reused"), again.out());

        String exe = ChromiumCheck.require();
        assertEquals(List.of(), ChromiumCheck.problems(exe, out.resolve("report/study.html"), dir.resolve("chromium")),
                "the report renders cleanly in Chromium");
        assertTrue(minutes < 3.5, "--quick took " + minutes + " minutes");
    }

    @Test
    void refusesBadOptionsBeforeWorking(@TempDir Path dir) {
        CliCommandsTest.fails(List.of("--models is required"), "study", "--out", dir.toString());
        CliCommandsTest.fails(List.of("--pairs wants BATCHESxPAIRS"), "study", "--quick", "--pairs", "3by30", "--models", dir.toString());
        CliCommandsTest.fails(List.of("unknown corruption 'nonsense'"), "study", "--models", dir.toString(), "--kinds", "nonsense");
        CliCommandsTest.fails(List.of("missing", "no such folder of models"), "study", "--models", dir.resolve("missing").toString());
        CliCommandsTest.fails(List.of("no models"), "study", "--models", dir.toString(), "--out", dir.resolve("out").toString());
        assertEquals(0, new CommandLine(new TinySqlCli()).execute("study", "--help"));
    }
}
