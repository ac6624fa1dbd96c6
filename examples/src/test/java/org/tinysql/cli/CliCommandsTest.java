package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.sae.Sae;
import org.tinysql.model.ModelConfig;

/** The subcommands TinySqlCliTest does not reach: eval with predictions files, train --arch, eap, sae train|eval|features. */
class CliCommandsTest {
    @TempDir
    static Path shared;
    static Path data;
    static Path model;
    static final ObjectMapper JSON = new ObjectMapper();

    /** The exit code, stdout and stderr of one CLI run. */
    record Result(int code, String out, String err) {
    }

    static Result cli(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = TinySqlCli.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Result ok(String... args) {
        Result r = cli(args);
        assertEquals(0, r.code(), String.join(" ", args) + ":\n" + r.out() + r.err());
        return r;
    }

    /** Exit code 2 (a user's mistake) and one line "error: ..." holding every {@code expected}. */
    static String fails(List<String> expected, String... args) {
        Result r = cli(args);
        assertEquals(TinySqlCli.USAGE_ERROR, r.code(), String.join(" ", args) + ":\n" + r.out() + r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().strip().lines().count() == 1, "one error line: " + r.err());
        for (String e : expected) {
            assertTrue(r.err().contains(e), "expected '" + e + "' in " + r.err());
        }
        return r.err();
    }

    @BeforeAll
    static void dataAndModel() {
        data = shared.resolve("data");
        ok("generate", "--cs", "1", "--n", "300", "--seed", "5", "--out", data.toString());
        Path run = shared.resolve("run");
        ok("train", "--data", data.toString(), "--out", run.toString(), "--steps", "6", "--batch", "4", "--layers", "1",
                "--d-model", "32", "--heads", "2", "--checkpoint-every", "3");
        model = run.resolve("model");
    }

    @Test
    void evalScoresAJsonlPredictionsFileWritesTheReportAndChecksTheCount(@TempDir Path dir) throws Exception {
        Path test = data.resolve("test.jsonl");
        List<TinySqlExample> gold = DatasetIO.read(test);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < gold.size(); i++) {
            String pred = i % 4 == 0 ? "SELECT nothing FROM nowhere" : gold.get(i).sqlStatement();
            sb.append("{\"prediction\": ").append(JSON.writeValueAsString(pred)).append(", \"id\": ").append(i).append("}\n");
        }
        Path preds = Files.writeString(dir.resolve("preds.jsonl"), sb);
        Path report = dir.resolve("reports/eval.json");
        Files.createDirectories(report.getParent());
        Result r = ok("eval", "--data", test.toString(), "--predictions", preds.toString(), "--out", report.toString());
        int wrong = (gold.size() + 3) / 4;
        String acc = String.format(java.util.Locale.ROOT, "%.2f%%", 100.0 * (gold.size() - wrong) / gold.size());
        assertTrue(r.out().contains("exact      n=" + gold.size() + "  accuracy " + acc), r.out());
        List<org.tinysql.sql.ScoreResult> exact = new java.util.ArrayList<>();
        for (int i = 0; i < gold.size(); i++) {
            exact.add(i % 4 == 0 ? org.tinysql.sql.ScoreResult.wrong("x") : org.tinysql.sql.ScoreResult.right());
        }
        assertTrue(r.out().contains("exact by SELECT list size: "
                + org.tinysql.sql.SelectSizeAccuracy.describe(org.tinysql.sql.SelectSizeAccuracy.of(gold, exact)) + "\n"), r.out());
        JsonNode j = JSON.readTree(report.toFile());
        assertEquals(org.tinysql.sql.Scoring.standardScorers().size(), j.size(), "one report per scorer");
        for (JsonNode s : j) {
            assertEquals(gold.size(), s.get("n").asInt());
            assertEquals((gold.size() - wrong) / (double) gold.size(), s.get("accuracy").asDouble(), 1e-12, s.get("scorer").asText());
        }
        assertEquals("execution", j.get(j.size() - 1).get("scorer").asText());
        try (Stream<Path> files = Files.list(report.getParent())) {
            assertEquals(List.of(report), files.toList(), "written atomically: no temporary file left");
        }
        // --limit N scores the first N, with predictions for all examples or for the first N.
        r = ok("eval", "--data", test.toString(), "--predictions", preds.toString(), "--limit", "8");
        assertTrue(r.out().contains("exact      n=8  accuracy 75.00%"), r.out());
        Path first8 = Files.writeString(dir.resolve("first8.jsonl"), String.join("\n", sb.toString().lines().limit(8).toList()) + "\n");
        r = ok("eval", "--data", test.toString(), "--predictions", first8.toString(), "--limit", "8");
        assertTrue(r.out().contains("exact      n=8  accuracy 75.00%"), r.out());
        // Any other count is an error naming both files and both counts.
        fails(List.of(first8.toString(), "has 8 predictions but", test.toString(), "has " + gold.size() + " examples"),
                "eval", "--data", test.toString(), "--predictions", first8.toString());
        fails(List.of("has 8 predictions", "(5 with --limit)"), "eval", "--data", test.toString(), "--predictions", first8.toString(),
                "--limit", "5");
        // A JSONL line without "prediction" is named by file and line.
        Path noField = Files.writeString(dir.resolve("nofield.jsonl"), "{\"prediction\": \"SELECT 1\"}\n{\"sql\": \"SELECT 1\"}\n");
        fails(List.of(noField + ":2: no field \"prediction\""), "eval", "--data", test.toString(), "--predictions", noField.toString());
        fails(List.of("--limit must be 0 (all) or more, not -1"), "eval", "--data", test.toString(), "--limit", "-1");
    }

    @Test
    void trainBuildsEachArchitectureAndRefusesAnUnknownOneBeforeWriting(@TempDir Path dir) throws Exception {
        for (String[] a : new String[][] {{"gpt2", "gpt2"}, {"gpt_neo", "gpt_neo"}, {"llama", "llama"}}) {
            Path run = dir.resolve(a[0]);
            Result r = ok("train", "--data", data.toString(), "--out", run.toString(), "--arch", a[0], "--steps", "2", "--batch", "4",
                    "--layers", "1", "--d-model", "16", "--heads", "2");
            assertTrue(r.out().contains("trained 2 steps (from scratch)"), r.out());
            JsonNode cfg = JSON.readTree(run.resolve("model/config.json").toFile());
            assertEquals(a[1], cfg.get("model_type").asText());
            ModelConfig loaded = ModelConfig.load(run.resolve("model"));
            assertEquals(16, loaded.dModel());
            assertEquals(a[0].equals("llama") ? ModelConfig.Norm.RMS_NORM : ModelConfig.Norm.LAYER_NORM, loaded.norm(), a[0]);
        }
        Path bad = dir.resolve("bad");
        fails(List.of("--arch mamba: arch must be llama, gpt2 or gpt_neo, not 'mamba'"), "train", "--data", data.toString(), "--out", bad.toString(),
                "--arch", "mamba", "--steps", "2");
        assertFalse(Files.exists(bad), "nothing written for a refused --arch");
    }

    @Test
    void eapWritesItsJsonAndSvg(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("eap");
        Result r = ok("eap", "--model", model.toString(), "--corruption", "instruction-table", "--n", "8", "--batch", "4",
                "--top-edges", "10", "--curve-points", "3", "--ig-steps", "2", "--out", out.toString());
        assertTrue(r.out().contains("on 8 instruction_table pairs") && r.out().contains("faithfulness curve area")
                && r.out().contains("top edges:"), r.out());
        JsonNode j = JSON.readTree(out.resolve("eap.json").toFile());
        int inCircuit = 0;
        for (JsonNode e : j.get("edges")) {
            inCircuit += e.get("in_circuit").asBoolean() ? 1 : 0;
        }
        assertEquals(j.get("circuit_edges").asInt(), inCircuit);
        assertTrue(inCircuit > 0 && inCircuit <= 10, "top 10, pruned: " + inCircuit);
        assertTrue(r.out().contains("circuit: " + inCircuit + " of " + j.get("edges").size() + " edges"), r.out());
        assertEquals("logit_diff", j.get("metric").asText());
        String svg = Files.readString(out.resolve("circuit.svg"));
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals(inCircuit, doc.getElementsByTagName("line").getLength(), "one line per circuit edge");
        fails(List.of("unknown metric 'entropy'"), "eap", "--model", model.toString(), "--metric", "entropy", "--out", out.toString());
        fails(List.of("unknown ablation 'half'"), "eap", "--model", model.toString(), "--ablation", "half", "--out", out.toString());
    }

    @Test
    void saeTrainEvalAndFeaturesRunOnTheModel(@TempDir Path dir) throws Exception {
        Path sae = dir.resolve("sae");
        Path cache = dir.resolve("cache");
        for (boolean cached : new boolean[] {false, true}) {
            Result r = cached
                    ? ok("sae", "train", "--model", model.toString(), "--data", data.toString(), "--arch", "topk", "--expansion", "2",
                            "--k", "4", "--steps", "20", "--batch", "64", "--examples", "40", "--cache", cache.toString(), "--out",
                            sae.toString())
                    : ok("sae", "train", "--model", model.toString(), "--data", data.toString(), "--arch", "topk", "--expansion", "2",
                            "--k", "4", "--steps", "20", "--batch", "64", "--examples", "40", "--out", sae.toString());
            assertTrue(r.out().contains("trained topk SAE (64 latents) on blocks.0.hook_resid_post"), r.out());
            assertEquals(cached, r.out().contains("cached "), r.out());
        }
        try (Stream<Path> shards = Files.list(cache)) {
            assertTrue(shards.anyMatch(p -> p.getFileName().toString().startsWith("activations_")));
        }
        Sae loaded = Sae.load(sae);
        assertEquals(32, loaded.config().dIn());
        assertEquals(64, loaded.config().dSae());
        assertEquals("blocks.0.hook_resid_post", loaded.config().hookName());
        Path metrics = dir.resolve("metrics.json");
        Result e = ok("sae", "eval", "--model", model.toString(), "--data", data.toString(), "--sae", sae.toString(), "--examples", "20",
                "--out", metrics.toString());
        JsonNode m = JSON.readTree(metrics.toFile());
        assertTrue(m.get("l0").asDouble() > 0 && m.get("l0").asDouble() <= 4, "TopK k=4: " + m);
        assertTrue(e.out().contains(String.format(java.util.Locale.ROOT, "L0 %.2f", m.get("l0").asDouble())), e.out());
        Result f = ok("sae", "features", "--model", model.toString(), "--data", data.toString(), "--sae", sae.toString(), "--examples",
                "20", "--top-latents", "3");
        assertTrue(f.out().contains("latent") && f.out().contains("share"), f.out());
        fails(List.of("no cfg.json in " + dir.resolve("nothing")), "sae", "eval", "--model", model.toString(), "--data",
                data.toString(), "--sae", dir.resolve("nothing").toString());
        fails(List.of("gated"), "sae", "train", "--model", model.toString(), "--data", data.toString(), "--arch", "gated", "--steps", "1",
                "--examples", "5", "--out", dir.resolve("x").toString());
    }
}
