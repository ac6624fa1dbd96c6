package org.tinysql.interp.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.CommandSet;
import org.tinysql.data.Variant;

/** The study's pieces that need no model: discovery, options, the result store, Jaccard matrices, tables. */
class StudyPartsTest {

    static void touchModel(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{}");
    }

    /** The probe decodes chunk by chunk until both classes are full, and in one chunk when every prompt is wanted. */
    @Test
    void probeStopsOnceBothClassesAreFull() {
        assertEquals(1000, ErrorProbe.nextChunkEnd(0, 5000, 0, 500, 1000));
        assertEquals(2000, ErrorProbe.nextChunkEnd(1000, 5000, 700, 500, 1000), "300 right: one more chunk");
        assertEquals(2000, ErrorProbe.nextChunkEnd(2000, 5000, 1400, 500, 1000), "600 right, 1400 wrong: stop");
        assertEquals(5000, ErrorProbe.nextChunkEnd(4000, 5000, 20, 500, 1000), "a strong model's few errors: to the end");
        assertEquals(5000, ErrorProbe.nextChunkEnd(5000, 5000, 20, 500, 1000), "nothing left");
        assertEquals(4500, ErrorProbe.nextChunkEnd(4000, 4500, 20, 500, 1000), "the last chunk is shorter");
        assertEquals(5000, ErrorProbe.nextChunkEnd(0, 5000, 0, Integer.MAX_VALUE, 1000), "every prompt: one chunk");
        assertEquals(5000, ErrorProbe.nextChunkEnd(5000, 5000, 0, Integer.MAX_VALUE, 1000));
    }

    @Test
    void aZooGivesTheLowestSeedPerCommandSetAndVariant(@TempDir Path zoo) throws IOException {
        Files.writeString(zoo.resolve("zoo.json"), "{\"examples\": 5000, \"data_seed\": 9, \"eval_prompts\": 50, \"overrides\": \"\"}");
        for (String cell : List.of("cs2-literal-seed3", "cs2-literal-seed1", "cs1-synonym-seed2", "cs1-literal-seed10", "cs1-literal-seed2")) {
            touchModel(zoo.resolve(cell).resolve("model"));
        }
        Files.createDirectories(zoo.resolve("cs3-literal-seed1")); // not trained yet: no model/
        Files.createDirectories(zoo.resolve("data/cs1-literal"));
        List<StudyModel> m = StudyModel.discover(zoo, false);
        assertEquals(List.of("cs1-literal-seed2", "cs1-synonym-seed2", "cs2-literal-seed1"), m.stream().map(StudyModel::name).toList());
        assertEquals(5000, m.get(0).examples());
        assertEquals(9, m.get(0).dataSeed());
        assertEquals(Variant.SYNONYM, m.get(1).variant());
        assertEquals(CommandSet.CS2, m.get(2).commandSet());
        assertEquals(zoo.resolve("cs2-literal-seed1/model"), m.get(2).dir());
        assertEquals(5, StudyModel.discover(zoo, true).size());
        // one zoo cell given alone still has the zoo's dataset
        StudyModel cell = StudyModel.discover(zoo.resolve("cs2-literal-seed3/model"), false).get(0);
        assertEquals("cs2-literal-seed3", cell.name());
        assertEquals(5000, cell.examples());
        assertEquals(9, cell.dataSeed());
    }

    @Test
    void foldersOutsideAZooSayTheirCommandSetInTheirName(@TempDir Path dir) throws IOException {
        touchModel(dir.resolve("sql_interp_bm1_cs3_experiment_1.1"));
        touchModel(dir.resolve("my-cs1-syn-model"));
        touchModel(dir.resolve("run-cs2/model"));
        Files.createDirectories(dir.resolve("notes"));
        List<StudyModel> m = StudyModel.discover(dir, false);
        assertEquals(List.of("my-cs1-syn-model", "run-cs2", "sql_interp_bm1_cs3_experiment_1.1"), m.stream().map(StudyModel::name).toList());
        assertEquals(Variant.SYNONYM, m.get(0).variant());
        assertEquals(CommandSet.CS3, m.get(2).commandSet());
        assertEquals(StudyModel.DEFAULT_EXAMPLES, m.get(2).examples());
        assertEquals(1, StudyModel.discover(dir.resolve("run-cs2/model"), false).size());
        touchModel(dir.resolve("async-cs4"));
        touchModel(dir.resolve("cs5_syn"));
        List<StudyModel> more = StudyModel.discover(dir, false);
        assertEquals(Variant.LITERAL, more.stream().filter(x -> x.name().equals("async-cs4")).findFirst().orElseThrow().variant());
        assertEquals(Variant.SYNONYM, more.stream().filter(x -> x.name().equals("cs5_syn")).findFirst().orElseThrow().variant());

        touchModel(dir.resolve("unnamed"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StudyModel.discover(dir, false));
        assertTrue(e.getMessage().contains("unnamed") && e.getMessage().contains("cs1 .. cs5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StudyModel.discover(dir.resolve("notes"), false));
        assertThrows(IOException.class, () -> StudyModel.discover(dir.resolve("missing"), false));
        assertThrows(IllegalArgumentException.class, () -> new StudyModel("../x", dir, CommandSet.CS1, Variant.LITERAL, 100, 1));
    }

    @Test
    void optionsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> StudyOptions.builder().evalPrompts(0).build());
        assertThrows(IllegalArgumentException.class, () -> StudyOptions.builder().pairs(1, 1).build());
        assertThrows(IllegalArgumentException.class, () -> StudyOptions.builder().faithfulnessTarget(1.5).build());
        assertThrows(IllegalArgumentException.class, () -> StudyOptions.builder().kinds(java.util.Set.of()).build());
        StudyOptions q = StudyOptions.quick();
        assertEquals(16, q.pairs());
        assertEquals(17, q.kindList().size());
        assertEquals(q, q.toBuilder().build());
    }

    record Value(int a, String b) {
    }

    @Test
    void theStoreReusesMatchingResultsAndRecomputesOthers(@TempDir Path root) throws IOException {
        ResultStore s = new ResultStore(root);
        AtomicInteger calls = new AtomicInteger();
        ResultStore.Compute<Value> c = () -> new Value(calls.incrementAndGet(), "x");
        assertEquals(new Value(1, "x"), s.get("m", "a", "k=1", Value.class, c));
        assertEquals(new Value(1, "x"), new ResultStore(root).get("m", "a", "k=1", Value.class, c));
        assertEquals(new Value(2, "x"), s.get("m", "a", "k=2", Value.class, c), "other settings: recomputed");
        Files.writeString(root.resolve("m/a.json"), "{\"settings\": \"k=2\", \"result\": {\"a\": \"not a number\"");
        assertEquals(new Value(3, "x"), s.get("m", "a", "k=2", Value.class, c), "unreadable: recomputed");
        assertEquals(2, calls.get() - 1);
        assertEquals(3, s.computed());
        assertEquals(0, s.reused());
        assertTrue(ResultStore.JSON.readTree(root.resolve("m/a.json").toFile()).get("seconds").asDouble() >= 0);
    }

    @Test
    void theStoreAddsUpSecondsPerModelAndFamilyAndReadsThemBack(@TempDir Path root) throws IOException {
        ResultStore s = new ResultStore(root);
        s.put("m", "circuit-context-table", "k", new Value(1, "x"), 2.0);
        s.put("m", "circuit-instruction-field", "k", new Value(2, "x"), 3.0);
        s.put("m", "lens", "k", new Value(3, "x"), 0.5);
        s.put("n", "sae-blocks.0.hook_resid_post", "k", new Value(4, "x"), 7.0);
        assertEquals(Map.of("m", Map.of("circuit", 5.0, "lens", 0.5), "n", Map.of("sae", 7.0)), s.seconds());
        ResultStore again = new ResultStore(root);
        assertEquals(new Value(2, "x"), again.find("m", "circuit-instruction-field", "k", Value.class));
        assertNull(again.find("m", "lens", "other", Value.class), "other settings: not reused, not counted");
        assertEquals(Map.of("m", Map.of("circuit", 3.0)), again.seconds(), "a reused result counts the time it took");
        Files.writeString(root.resolve("m/old.json"), "{\"settings\": \"k\", \"result\": {\"a\": 9, \"b\": \"y\"}}");
        assertEquals(new Value(9, "y"), again.find("m", "old", "k", Value.class), "written before seconds were stored");
        assertEquals(Map.of("m", Map.of("circuit", 3.0)), again.seconds());
        assertEquals("accuracy", ResultStore.family("accuracy-cs3"));
        assertEquals("minimal", ResultStore.family("minimal"));
        for (Analysis a : Analysis.values()) { // each family's result names map back to it, and no key holds a '-'
            assertEquals(a.key(), ResultStore.family(a.file()));
            assertEquals(a.key(), ResultStore.family(a.file("blocks.1.hook_resid-post")));
        }
    }

    @Test
    void jaccardMatrices() {
        CircuitVariation.Matrix m = CircuitVariation.matrix("t", List.of(
                new CircuitVariation.Named("a", java.util.Set.of("x->y", "y->z"), java.util.Set.of("x", "y", "z")),
                new CircuitVariation.Named("b", java.util.Set.of("x->y"), java.util.Set.of("x", "y")),
                new CircuitVariation.Named("c", java.util.Set.of("q->r"), java.util.Set.of("q", "r"))));
        assertArrayEquals(new double[] {1, 0.5, 0}, m.edge()[0], 1e-12);
        assertArrayEquals(new double[] {2 / 3.0, 1, 0}, m.node()[1], 1e-12);
        assertEquals((0.5 + 0 + 0) / 3, m.meanEdge(), 1e-12);
        assertEquals((2 / 3.0) / 3, m.meanNode(), 1e-12);
    }

    @Test
    void theProbeSeparatesWhatIsSeparableAndNotNoise() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        int n = 200;
        float[][] x = new float[n][6];
        boolean[] wrong = new boolean[n];
        for (int i = 0; i < n; i++) {
            wrong[i] = i % 4 == 0;
            for (int j = 0; j < 6; j++) {
                x[i][j] = (float) r.nextGaussian();
            }
            x[i][2] += wrong[i] ? 3 : 0; // one informative feature
        }
        boolean[] train = ErrorProbe.split(wrong, 1);
        int trainWrong = 0;
        int trainAll = 0;
        for (int i = 0; i < n; i++) {
            trainAll += train[i] ? 1 : 0;
            trainWrong += train[i] && wrong[i] ? 1 : 0;
        }
        assertEquals(140, trainAll);
        assertEquals(35, trainWrong, "stratified: 70% of the 50 wrong rows");
        double sep = ErrorProbe.auroc(x, null, wrong, train, false);
        assertTrue(sep > 0.85, "separable (a single feature with a 3-sigma shift: at best 0.98): " + sep);
        boolean[] onlyNoise = {true, true, false, true, true, true};
        double chance = ErrorProbe.auroc(x, onlyNoise, wrong, train, false);
        // sparse features: one latent fires (0.5-1) on most wrong rows and a few right ones, 300 rare ones fire at random
        float[][] z = new float[n][301];
        for (int i = 0; i < n; i++) {
            z[i][0] = wrong[i] ? (r.nextDouble() < 0.8 ? 0.5f + (float) r.nextDouble() / 2 : 0) : (r.nextDouble() < 0.05 ? 0.5f : 0);
            for (int k = 0; k < 3; k++) {
                z[i][1 + r.nextInt(300)] = (float) (1 + 5 * r.nextDouble());
            }
        }
        double sparse = ErrorProbe.auroc(z, null, wrong, train, true);
        assertTrue(sparse > 0.8, "one informative latent among 300 rare ones: " + sparse);
        assertTrue(chance > 0.25 && chance < 0.75, "without the informative feature: " + chance);
    }

    @Test
    void featuresReadWhileDecodingEqualThoseOfPromptAndAnswerRunAgain() {
        org.tinysql.model.Transformer model = org.tinysql.interp.TinyModels.random(org.tinysql.interp.TinyModels.llama(20, 16, 2, 4, 2), 5, 0.5);
        String hook = org.tinysql.model.HookName.residPost(1);
        org.tinysql.interp.sae.Sae sae = org.tinysql.interp.sae.Sae.init(
                org.tinysql.interp.sae.SaeConfig.topK(16, 48, 4).withHook(hook), 2, model.kernels());
        // prompts of different lengths (left-padded together), 6 new tokens at most; the end token is the third token the
        // model writes for the first prompt, so that answer ends early and others may run to the limit
        List<int[]> prompts = List.of(new int[] {1, 2, 3}, new int[] {4, 5, 6, 8, 9, 10}, new int[] {11}, new int[] {12, 13});
        int n = prompts.size();
        int maxNew = 6;
        int eos = org.tinysql.model.Generator.generate(model, prompts, org.tinysql.model.Generator.Options.greedy(maxNew, -1, 0)).get(0)[2];
        float[][] resid = new float[n + 1][];
        float[][] latents = new float[n + 1][];
        List<int[]> answers = ErrorProbe.decodeAndPool(model, sae, prompts, maxNew, eos, 0, resid, latents,
                java.util.stream.IntStream.range(1, 1 + prompts.size()).toArray());
        boolean ended = false;
        for (int i = 0; i < n; i++) {
            int[] p = prompts.get(i);
            int[] a = answers.get(i);
            ended |= a.length < maxNew;
            // the reference: prompt and answer run as one sequence, mean over the positions where each answer token (and
            // the end, when decoding reached it) was chosen
            int used = Math.min(a.length + 1, maxNew);
            int[][] ids = new int[1][p.length + a.length];
            System.arraycopy(p, 0, ids[0], 0, p.length);
            System.arraycopy(a, 0, ids[0], p.length, a.length);
            float[] x;
            try (org.tinysql.model.ActivationCache c = model.run(org.tinysql.model.RunSpec.of(ids, null).cache(hook))) {
                x = org.tinysql.tensor.Buffers.toFloats(c.get(hook).dup('c'));
            }
            float[] mean = new float[16];
            for (int pos = p.length - 1; pos < p.length - 1 + used; pos++) {
                for (int k = 0; k < 16; k++) {
                    mean[k] += x[pos * 16 + k] / used;
                }
            }
            assertArrayEquals(mean, resid[1 + i], 1e-4f, "residual of prompt " + i);
            float[] l = new float[48];
            org.tinysql.interp.sae.Codes z = sae.encode(java.util.Arrays.copyOfRange(x, (p.length - 1) * 16, (p.length - 1 + used) * 16), used);
            for (int e = 0; e < z.idx.length; e++) {
                l[z.idx[e]] += z.val[e] / used;
            }
            assertArrayEquals(l, latents[1 + i], 1e-3f, "latents of prompt " + i);
        }
        assertTrue(resid[0] == null, "rows before the offset untouched");
        assertTrue(ended, "an answer ended before the limit");
    }

    @Test
    void logSpacedCurveSizes() {
        assertArrayEquals(new int[] {0, 1, 2, 4, 8, 10}, CircuitStudy.logSizes(10));
        assertArrayEquals(new int[] {0, 1}, CircuitStudy.logSizes(1));
    }

    @Test
    void markdownCellsCannotBreakTheTable() {
        assertEquals("a \\| b c", StudyTables.cellText("a | b\nc"));
        StudyModel m = new StudyModel("m", Path.of("m"), CommandSet.CS2, Variant.LITERAL, 1000, 1);
        AccuracyMatrix.Cell cell = new AccuracyMatrix.Cell(2, 10, 0.5, 0.6, 0.7, 0.8, 0.4, Map.of("select", 1.0), List.of());
        Study.Result r = new Study.Result(List.of(m), StudyOptions.quick(), Map.of("m", List.of(cell)), Map.of(), Map.of(), List.of(), List.of(),
                Map.of(), Map.of(), Map.of(), Map.of(), 1.5, 0, 1, Map.of("m", Map.of("accuracy", 30.0, "circuit", 90.0)));
        String md = StudyTables.markdown(r);
        assertTrue(md.contains("| m | 0.5 | 1.5 | - | - | - | - | - | 2.0 |"), md);
        assertTrue(md.contains("| m | CS2 literal |  | 50.0% / 60.0% |  |  |  |"), md);
        assertTrue(md.contains("| m | 10 | 70.0% | 80.0% | select 100.0% |"), md);
    }

    @Test
    void anUndefinedMetricIsStoredAndReusedAsNaN(@TempDir Path root) throws IOException {
        SaeStudy.SaeResult r = new SaeStudy.SaeResult("blocks.1.hook_mlp_out", 1920, 32, 500, 32, 0.016, Double.NaN, -1.2e-4, 0.19, List.of());
        new ResultStore(root).put("m", Analysis.SAE.file(r.hook()), "k", r, 1.0);
        ResultStore again = new ResultStore(root);
        SaeStudy.SaeResult back = again.find("m", Analysis.SAE.file(r.hook()), "k", SaeStudy.SaeResult.class);
        assertTrue(back != null && Double.isNaN(back.ceRecovered()), String.valueOf(back));
        assertEquals(1, again.reused(), "reused, not recomputed on every run");
    }

    @Test
    void normalizedHeadEffectsOnlyWhereTheConflictMovesTheLogitDifference() {
        StudyModel lit = new StudyModel("lit", Path.of("lit"), CommandSet.CS3, Variant.LITERAL, 1000, 1);
        StudyModel syn = new StudyModel("syn", Path.of("syn"), CommandSet.CS3, Variant.SYNONYM, 1000, 1);
        Study.Heuristic moved = new Study.Heuristic(0.5, 2.0, 18.0, 48, List.of(new org.tinysql.interp.patching.TableConflict.HeadEffect("a0.h1", 0.25, 4.0)),
                new double[0][], null);
        Study.Heuristic alike = new Study.Heuristic(1.0, 20.17, 20.18, 48, List.of(new org.tinysql.interp.patching.TableConflict.HeadEffect("a2.h2", -1.22, -0.0122)),
                new double[0][], null);
        assertTrue(moved.normalizable());
        assertTrue(!alike.normalizable(), "clean and conflict 0.01 logits apart: the ratio divides by almost nothing");
        Study.Result r = new Study.Result(List.of(lit, syn), StudyOptions.quick(), Map.of(), Map.of(), Map.of(), List.of(), List.of(),
                Map.of(), Map.of(), Map.of(), Map.of("lit", moved, "syn", alike), 1.5, 0, 1, Map.of());
        String md = StudyTables.markdown(r);
        assertTrue(md.contains("| a0.h1 +4.00 (0.25) |"), md);
        assertTrue(md.contains("| a2.h2 -0.01 (-) |"), md);
    }
}
