package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.model.ModelConfig;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.train.SmallModelRecipe;

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
        assertEquals(TinySqlCli.USAGE_ERROR, refused.code(), "a mistake of the user: exit 2");
        assertTrue(refused.err().contains("steps 4 -> 6") && refused.err().contains("peak_lr") && refused.err().contains("force option"),
                refused.err());
        CliCommandsTest.Result forced = CliCommandsTest.cli(train(data, run, 6, "--lr", "0.001", "--force"));
        assertEquals(0, forced.code(), forced.err());
        assertTrue(forced.out().contains("trained 6 steps"), forced.out());
    }

    @Test
    void theRecipeComesFromTheDatasetsStatsJsonAndEachOptionOverridesIt(@TempDir Path dir) throws Exception {
        Path cs5 = dir.resolve("cs5-synonym");
        CliCommandsTest.ok("generate", "--cs", "5", "--variant", "synonym", "--n", "300", "--out", cs5.toString());
        Path run = dir.resolve("run");
        CliCommandsTest.Result r = CliCommandsTest.ok("train", "--data", cs5.toString(), "--out", run.toString(), "--steps", "2",
                "--batch", "4", "--layers", "1", "--d-model", "32", "--heads", "2");
        assertTrue(r.out().contains("recipe: CS5 synonym (CS3 synonym recipe, not yet tuned; overridden: "
                + "--layers 1 --d-model 32 --heads 2 --steps 2 --batch 4): llama, 1 layers, d=32, 2 heads, init std 0.05; 2 steps of 4, "
                + "curriculum: 1 step on lists of at most 3 items, lr 0.002 -> 0.0002"), r.out());
        JsonNode training = CliCommandsTest.JSON.readTree(run.resolve("training.json").toFile());
        JsonNode recipe = training.get("recipe");
        assertEquals("CS5 synonym", recipe.get("name").asText());
        assertFalse(recipe.get("tuned").asBoolean());
        // Overridden values and the recipe's own ones, as trained.
        assertEquals(List.of(1, 32, 2, 2, 4), List.of(recipe.get("layers").asInt(), recipe.get("d_model").asInt(),
                recipe.get("heads").asInt(), recipe.get("steps").asInt(), recipe.get("batch").asInt()));
        assertEquals(SmallModelRecipe.INIT_STD, recipe.get("init_std").asDouble());
        assertEquals(SmallModelRecipe.PEAK_LR, recipe.get("peak_lr").asDouble());
        assertEquals(2, training.get("steps").asInt());
        assertTrue(training.get("parameters").asLong() > 0 && training.get("minutes").asDouble() > 0, training.toString());
        assertEquals(1, ModelConfig.load(run.resolve("model")).nLayers());
        JsonNode state = CliCommandsTest.JSON.readTree(run.resolve("checkpoints/step-00000002/trainer_state.json").toFile());
        assertEquals(SmallModelRecipe.PEAK_LR / 10, state.get("min_lr").asDouble(), "the recipe's schedule");
        // --lr and --init-std override the recipe too.
        CliCommandsTest.Result lr = CliCommandsTest.ok("train", "--data", cs5.toString(), "--out", dir.resolve("lr").toString(),
                "--steps", "1", "--batch", "4", "--layers", "1", "--d-model", "32", "--heads", "2", "--lr", "0.001", "--init-std", "0.02");
        assertTrue(lr.out().contains("init std 0.02; 1 steps of 4, lr 0.001 -> 0.0001"), lr.out());
    }

    @Test
    void aDatasetWithoutStatsJsonTrainsWithTheCs1RecipeAndSaysSo(@TempDir Path dir) throws Exception {
        Path plain = dir.resolve("plain");
        Files.createDirectories(plain);
        try (Stream<Path> s = Files.list(data)) {
            for (Path p : s.filter(p -> !p.getFileName().toString().equals("stats.json")).toList()) {
                Files.copy(p, plain.resolve(p.getFileName()));
            }
        }
        CliCommandsTest.Result r = CliCommandsTest.ok("train", "--data", plain.toString(), "--out", dir.resolve("run").toString(),
                "--steps", "1", "--batch", "4", "--layers", "1", "--d-model", "32", "--heads", "2");
        assertTrue(r.out().contains("recipe: dataset without stats.json (CS1 recipe; overridden: --layers 1 --d-model 32 --heads 2 --steps 1 "
                + "--batch 4): llama"), r.out());
        assertTrue(r.err().contains("has no stats.json") && r.err().contains("CS1 recipe"), r.err());
    }

    @Test
    void badOptionsAndABadStatsJsonFailBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        String[] tiny = {"--batch", "4", "--layers", "1", "--d-model", "32", "--heads", "2"};
        CliCommandsTest.fails(List.of("--steps 0: steps must be at least 1, not 0"), concat(new String[] {"train", "--data", data.toString(),
            "--out", run.toString(), "--steps", "0"}, tiny));
        CliCommandsTest.fails(List.of("--lr -1.0: peak_lr must be positive"), concat(new String[] {"train", "--data", data.toString(),
            "--out", run.toString(), "--steps", "1", "--lr=-1"}, tiny));
        CliCommandsTest.fails(List.of("CS1 literal recipe with --d-model 30", "does not describe a model", "must be a multiple of"),
                "train", "--data", data.toString(), "--out", run.toString(), "--d-model", "30", "--steps", "1");
        CliCommandsTest.fails(List.of("--checkpoint-every must be 0"), concat(new String[] {"train", "--data", data.toString(),
            "--out", run.toString(), "--steps", "1", "--checkpoint-every=-5"}, tiny));
        CliCommandsTest.fails(List.of("does not exist"), "train", "--data", dir.resolve("nowhere").toString(), "--out", run.toString());
        Path broken = dir.resolve("broken");
        Files.createDirectories(broken);
        Files.writeString(broken.resolve("stats.json"), "{\"command_set\": 9}");
        CliCommandsTest.fails(List.of(broken.resolve("stats.json").toString()), "train", "--data", broken.toString(),
                "--out", run.toString());
        assertFalse(Files.exists(run), "nothing written for refused options");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
