package org.tinysql.interp.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.HfCheckpoint;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.DType;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.train.SmallModelRecipe;

/** The whole study on two small random models (CS1 and CS2): every analysis runs, writes its files and is reused. */
class StudyTest {

    static Path model(Path dir, CommandSet cs, long seed) throws Exception {
        List<String> texts = new DatasetGenerator(cs, Variant.LITERAL, 42).generate(600).stream().map(TinySqlExample::fullText).toList();
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(texts, 1, 16_000);
        Transformer m = SmallModelRecipe.CS1.withDModel(32).withHeads(2).model(tok, seed);
        HfCheckpoint.save(m.parameters(), dir, DType.F32);
        tok.save(dir.resolve("tokenizer.json"));
        return dir;
    }

    static StudyOptions tiny() {
        return StudyOptions.builder().evalPrompts(3).pairs(2, 3).stableTop(6).igSteps(2).lensPrompts(3).saeSteps(2)
                .sae(2, 4).saePrompts(8, 4).probePrompts(6).heuristicPairs(3).minimalPrompts(3)
                .kinds(EnumSet.of(CorruptionKind.INSTRUCTION_TABLE, CorruptionKind.CONTEXT_CREATE, CorruptionKind.ORDER_BY_DIRECTION))
                .build();
    }

    @Test
    void everyAnalysisRunsAndIsReusedOnTheSecondRun(@TempDir Path tmp) throws Exception {
        model(tmp.resolve("models/tiny-cs1"), CommandSet.CS1, 1);
        model(tmp.resolve("models/tiny-cs2"), CommandSet.CS2, 2);
        List<StudyModel> models = StudyModel.discover(tmp.resolve("models"), false);
        assertEquals(List.of("tiny-cs1", "tiny-cs2"), models.stream().map(StudyModel::name).toList());
        Path out = tmp.resolve("study");
        Study.Result r = new Study(out, tiny()).run(models);

        assertEquals(1, r.accuracy().get("tiny-cs1").size());
        assertEquals(2, r.accuracy().get("tiny-cs2").size(), "the CS2 model on CS1 and CS2");
        assertEquals(3, r.accuracy().get("tiny-cs2").get(0).prompts());
        // CS1: two kinds x (EAP, EAP-IG); CS2: three kinds x two methods
        assertEquals(4, r.circuits().get("tiny-cs1").size(), r.circuits().get("tiny-cs1").toString());
        assertEquals(4, r.circuits().get("tiny-cs1").size());
        assertEquals(6, r.circuits().get("tiny-cs2").size());
        for (CircuitStudy.KindCircuit c : r.circuits().get("tiny-cs2")) {
            assertNull(c.skipped(), c.kind() + ": " + c.skipped());
            assertEquals(6, c.pairs());
            assertTrue(c.edgesForTarget() >= 1 && c.edgesForTarget() <= c.totalEdges());
            assertTrue(c.faithfulness() >= 0.9 || c.edgesForTarget() == c.totalEdges(), c.kind() + " " + c.faithfulness());
            assertFalse(c.curve().isEmpty());
            assertEquals(c.kind().equals("context-create") ? "kl" : "logit_diff", c.metric());
            if (c.method().equals("EAP")) {
                assertEquals(2, c.batches());
                assertTrue(c.batchJaccard() >= 0 && c.batchJaccard() <= 1);
            } else {
                assertEquals("EAP-IG(2)", c.method());
            }
            assertTrue(Files.isRegularFile(out.resolve("results/tiny-cs2/circuit-" + c.kind() + ".svg")));
        }
        assertEquals(2, r.acrossSets().size(), "instruction-table and context-create on both models");
        assertEquals(2, r.acrossKinds().size());
        assertEquals(List.of("keyword", "table", "field", "other"), r.lens().get("tiny-cs1").roles());
        assertEquals(4, r.saes().get("tiny-cs1").size(), "resid_post and mlp_out of both layers");
        assertTrue(Files.isRegularFile(out.resolve("results/tiny-cs1/sae-blocks.0.hook_mlp_out/cfg.json")));
        assertEquals(3, r.heuristics().get("tiny-cs2").pairs());
        MinimalStudy.Minimal minimal = r.minimal().get("tiny-cs2");
        assertEquals(3, minimal.prompts());
        assertEquals(4, minimal.totalHeads());
        assertEquals(minimal.totalHeads(), minimal.kept().size() + minimal.removals().size());
        assertTrue(minimal.similarity() >= 0.9 * minimal.fullSimilarity() - 1e-9);
        ErrorProbe.Probe probe = r.probes().get("tiny-cs1");
        assertEquals(6, probe.prompts());
        assertEquals(6, probe.wrong(), "a random model gets nothing right");
        assertTrue(probe.skipped().contains("at least 20 of each"), probe.skipped());

        JsonNode json = ResultStore.JSON.readTree(out.resolve(Study.STUDY_JSON).toFile());
        assertEquals(2, json.get("models").size());
        assertTrue(json.get("circuits").get("tiny-cs2").get(0).has("edges_for_target"));
        String md = Files.readString(out.resolve(Study.STUDY_MD));
        for (String title : List.of("## Accuracy matrix", "## Circuits per corruption kind", "## Circuit variation", "## Logit lens",
                "## TopK SAEs", "## Flawed heuristic", "## Minimal circuits", "## Error prediction", "## Time per analysis")) {
            assertTrue(md.contains(title), title);
        }
        String html = Files.readString(out.resolve(Study.STUDY_HTML));
        assertTrue(html.contains("<svg") && html.contains("order-by-direction"));
        int computed = r.computed();
        assertTrue(computed > 0);
        assertEquals(0, r.reused());

        Study.Result again = new Study(out, tiny()).run(models);
        assertEquals(0, again.computed(), "every result is reused");
        assertEquals(computed, again.reused());
        assertEquals(r.analysisSeconds(), again.analysisSeconds(), "a reused result counts the seconds it took when computed");
        assertEquals(java.util.Set.of("accuracy", "circuit", "minimal", "lens", "sae", "probe", "heuristic"),
                r.analysisSeconds().get("tiny-cs2").keySet());
        assertTrue(r.analysisSeconds().get("tiny-cs2").values().stream().allMatch(s -> s > 0), r.analysisSeconds().toString());
        assertTrue(json.get("analysis_seconds").get("tiny-cs1").get("circuit").asDouble() > 0);
        assertEquals(r.circuits().get("tiny-cs2").get(0).edges(), again.circuits().get("tiny-cs2").get(0).edges());

        Study.Result moreSaeSteps = new Study(out, tiny().toBuilder().saeSteps(3).build()).run(models);
        assertEquals(10, moreSaeSteps.computed(), "only the SAEs and the probes that read them are recomputed");
        assertNotNull(moreSaeSteps.saes().get("tiny-cs2").get(0));
    }
}
