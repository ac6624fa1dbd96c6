package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.CommandSet;
import org.tinysql.data.Variant;

/** {@code tinysql zoo} on a miniature grid: layout, summary, resumption, and inputs refused before anything is written. */
class ZooCommandTest {
    /** A tiny model and 3 steps, so a cell trains in about a second. */
    private static final String[] TINY = {"--layers", "1", "--d-model", "32", "--heads", "2", "--batch", "4", "--steps", "3",
        "--checkpoint-every", "2"};

    /** A zoo command on a 400-example grid with 5 evaluation prompts and {@link #TINY}, unless {@code more} gives an option. */
    private static String[] zoo(Path out, String... more) {
        List<String> all = new ArrayList<>(List.of("zoo", "--out", out.toString(), "--n", "400", "--eval", "5"));
        List<String> given = Arrays.asList(more);
        for (int i = 0; i < TINY.length; i += 2) {
            if (!given.contains(TINY[i])) {
                all.add(TINY[i]);
                all.add(TINY[i + 1]);
            }
        }
        all.addAll(given);
        return all.toArray(new String[0]);
    }

    @Test
    void aMiniatureZooTrainsEveryCellWritesTheSummaryAndResumes(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("zoo");
        CliCommandsTest.Result first = CliCommandsTest.ok(zoo(out, "--cs", "1,2", "--variants", "literal", "--seeds", "1"));
        assertTrue(first.out().contains("2 cells to train or evaluate, 0 finished before"), first.out());
        assertTrue(first.out().contains("recipe: CS2 literal (CS1 recipe with 6000 steps; seeds 1-3: 98.6%, 99.2%, 98.8% exact (4 heads: "
                + "98.4%, 59.0%, 43.0%); overridden: --layers 1 --d-model 32 --heads 2 --steps 3 --batch 4): llama, 1 layers, d=32"), first.out());
        for (String cs : List.of("cs1", "cs2")) {
            Path data = out.resolve("data").resolve(cs + "-literal");
            for (String f : List.of("stats.json", "tokenizer.json", "train.jsonl", "validation.jsonl", "test.jsonl")) {
                assertTrue(Files.isRegularFile(data.resolve(f)), data.resolve(f).toString());
            }
            Path cell = out.resolve(cs + "-literal-seed1");
            for (String f : List.of("tokenizer.json", "training.json", "result.json", "predictions.jsonl", "model/config.json",
                    "model/model.safetensors", "model/tokenizer.json", "checkpoints/step-00000003/trainer_state.json")) {
                assertTrue(Files.isRegularFile(cell.resolve(f)), cell.resolve(f).toString());
            }
        }
        assertTrue(Files.isRegularFile(out.resolve("zoo.json")));
        assertFalse(Files.exists(out.resolve("cs1-synonym-seed1")), "only the cells asked for");

        JsonNode summary = CliCommandsTest.JSON.readTree(out.resolve("summary.json").toFile());
        assertEquals(2, summary.get("rows").size());
        assertEquals(2, summary.get("groups").size());
        for (int i = 0; i < 2; i++) {
            JsonNode row = summary.get("rows").get(i);
            assertEquals(List.of(i + 1, "literal", 1L, 5, 3L), List.of(row.get("command_set").asInt(), row.get("variant").asText(),
                    row.get("seed").asLong(), row.get("eval_prompts").asInt(), row.get("steps").asLong()));
            for (String scorer : List.of("exact", "execution", "structural", "partial")) {
                double v = row.get(scorer).asDouble(-1);
                assertTrue(v >= 0 && v <= 1, scorer + " " + v);
            }
            assertTrue(row.get("clauses").isObject(), row.toString());
            int sized = 0;
            for (JsonNode band : row.get("exact_by_select_size")) {
                assertTrue(band.get("items").asText().matches("\\d+-\\d+"), band.toString());
                assertTrue(band.get("correct").asInt() <= band.get("n").asInt(), band.toString());
                sized += band.get("n").asInt();
            }
            assertEquals(5, sized, "every evaluated prompt in one band of its SELECT list's size: " + row);
            assertTrue(row.get("minutes").asDouble() > 0 && row.get("tokens_per_second").asDouble() > 0, row.toString());
            assertTrue(row.get("parameters").asLong() > 1000, row.toString());
            assertTrue(row.get("tuned").asBoolean(), "CS1 and CS2 literal have measured recipes: " + row);
            assertTrue(row.get("recipe").asText().startsWith("CS" + (i + 1) + " literal ("), row.toString());
            JsonNode group = summary.get("groups").get(i);
            assertEquals(1, group.get("seeds").asInt());
            assertEquals(0.0, group.get("exact").get("spread").asDouble());
            assertEquals(row.get("exact").asDouble(), group.get("exact").get("mean").asDouble());
            assertEquals(0.95, group.get("exact_target").asDouble());
            assertEquals(30, group.get("minutes_budget").asInt());
            assertEquals(row.get("exact").asDouble() >= 0.95 && row.get("execution").asDouble() >= row.get("exact").asDouble(),
                    group.get("target_met").asBoolean(), "a 3-step model is judged by the rule");
        }
        String md = Files.readString(out.resolve("summary.md"));
        assertTrue(md.contains("## Per command set and variant") && md.contains("## Per model"), md);
        assertTrue(md.contains("| exact by SELECT list size |") && md.lines().anyMatch(l -> l.matches("\\| CS1 \\| literal \\| 1 \\| 5 \\|.*"
                + "\\| \\d+-\\d+ [0-9.]+% \\(\\d+/\\d+\\).*")), md);
        assertEquals(2, md.lines().filter(l -> l.startsWith("| CS1 | literal |")).count(), md);
        assertEquals(2, md.lines().filter(l -> l.startsWith("| CS2 | literal |")).count(), md);
        assertTrue(md.contains("CS2 literal (CS1 recipe with 6000 steps; seeds 1-3: 98.6%, 99.2%, 98.8% exact (4 heads: 98.4%, 59.0%, 43.0%); overridden: --layers 1 --d-model 32 --heads 2 --steps 3 --batch 4)"), md);

        // Run again: both cells are skipped and their results are not rewritten. A result written before the SELECT
        // size bands existed (no "exact_by_select_size") still reads, with no bands.
        Path result = out.resolve("cs1-literal-seed1/result.json");
        com.fasterxml.jackson.databind.node.ObjectNode old = (com.fasterxml.jackson.databind.node.ObjectNode) CliCommandsTest.JSON
                .readTree(result.toFile());
        assertTrue(old.remove("exact_by_select_size").isArray());
        Files.writeString(result, old.toPrettyString());
        byte[] before = Files.readAllBytes(result);
        FileTime stamp = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(result, stamp);
        CliCommandsTest.Result again = CliCommandsTest.ok(zoo(out, "--cs", "1,2", "--variants", "literal", "--seeds", "1"));
        assertTrue(again.out().contains("0 cells to train or evaluate, 2 finished before"), again.out());
        assertTrue(again.out().contains("cs2-literal-seed1: evaluated before"), again.out());
        assertFalse(again.out().contains("trained "), again.out());
        assertArrayEquals(before, Files.readAllBytes(result));
        assertEquals(stamp, Files.getLastModifiedTime(result));
        JsonNode rows = CliCommandsTest.JSON.readTree(out.resolve("summary.json").toFile()).get("rows");
        assertEquals(0, rows.get(0).get("exact_by_select_size").size(), "the older result has no bands");
        assertTrue(rows.get(1).get("exact_by_select_size").size() > 0, rows.get(1).toString());

        // A new seed reuses the dataset; a cell whose training was interrupted resumes from its checkpoints.
        Path cell2 = out.resolve("cs1-literal-seed2");
        CliCommandsTest.ok(zoo(out, "--cs", "1", "--variants", "literal", "--seeds", "2"));
        for (String f : List.of("result.json", "training.json", "model/config.json", "model/model.safetensors", "model/tokenizer.json")) {
            Files.delete(cell2.resolve(f));
        }
        Files.delete(cell2.resolve("model"));
        CliCommandsTest.Result resumed = CliCommandsTest.ok(zoo(out, "--cs", "1", "--variants", "literal", "--seeds", "1,2"));
        assertTrue(resumed.out().contains("dataset " + out.resolve("data/cs1-literal") + " already generated"), resumed.out());
        assertTrue(resumed.out().contains("1 cells to train or evaluate, 1 finished before"), resumed.out());
        assertTrue(resumed.out().contains("trained 3 steps (0 in this run, resumed from step 3)"), resumed.out());
        assertTrue(Files.isRegularFile(cell2.resolve("result.json")));
        JsonNode all = CliCommandsTest.JSON.readTree(out.resolve("summary.json").toFile());
        assertEquals(3, all.get("rows").size(), "the summary holds every evaluated cell of the folder");
        JsonNode cs1 = all.get("groups").get(0);
        assertEquals(2, cs1.get("seeds").asInt());
        assertTrue(cs1.get("exact").get("min").asDouble() <= cs1.get("exact").get("max").asDouble());

        // Other settings than the zoo was started with are refused: the models would not be comparable.
        CliCommandsTest.fails(List.of("was started with --n 400 --data-seed 42 --eval 5", "--eval 6", "another --out"),
                "zoo", "--out", out.toString(), "--n", "400", "--eval", "6", "--cs", "1", "--variants", "literal", "--seeds", "1",
                "--layers", "1", "--d-model", "32", "--heads", "2", "--batch", "4", "--steps", "3");
    }

    @Test
    void badInputsAreRefusedBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("zoo");
        CliCommandsTest.fails(List.of("unknown command set '6'"), zoo(out, "--cs", "1,6"));
        CliCommandsTest.fails(List.of("unknown variant 'mixed'"), zoo(out, "--variants", "literal,mixed"));
        CliCommandsTest.fails(List.of("--seeds must not be negative, not -3"), zoo(out, "--seeds=1,-3"));
        CliCommandsTest.fails(List.of("--n 30 gives 3 test prompts, fewer than --eval 5", "use --n 50 or more"),
                "zoo", "--out", out.toString(), "--n", "30", "--eval", "5", "--steps", "3");
        CliCommandsTest.fails(List.of("training split of 306 examples, fewer than one batch of 512"), zoo(out, "--batch", "512"));
        CliCommandsTest.fails(List.of("CS1 literal recipe with", "does not describe a model"), zoo(out, "--d-model", "30"));
        CliCommandsTest.fails(List.of("--steps 0: steps must be at least 1"), zoo(out, "--steps", "0"));
        assertFalse(Files.exists(out), "nothing written for refused inputs");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        CliCommandsTest.fails(List.of("is a file"), zoo(file));
    }

    @Test
    void theJavaApiTakesTheIssuesGridByDefault() {
        Zoo.Options d = Zoo.Options.defaults();
        assertEquals(List.of(CommandSet.values()), d.commandSets());
        assertEquals(List.of(Variant.values()), d.variants());
        assertEquals(List.of(1L, 2L, 3L), d.seeds());
        assertEquals(List.of(100_000, 500), List.of(d.examples(), d.evalPrompts()));
        Zoo.Options dup = new Zoo.Options(List.of(CommandSet.CS2, CommandSet.CS2), List.of(Variant.SYNONYM), List.of(4L, 4L), 1000, 10,
                1, 0, new RecipeOverrides().steps(5));
        assertEquals(List.of(CommandSet.CS2), dup.commandSets());
        assertEquals(List.of(4L), dup.seeds());
        assertEquals("cs2-synonym-seed4", Zoo.cellName(CommandSet.CS2, Variant.SYNONYM, 4));
        assertEquals(5, new Zoo(Path.of("unused"), dup).recipe(CommandSet.CS2, Variant.SYNONYM).steps());
        assertEquals(0.90, ZooSummary.exactTarget(4));
        assertEquals(60, ZooSummary.minutesBudget(5));
    }
}
