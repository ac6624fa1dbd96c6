package org.tinysql.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.StrictJson;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.SqlVocabTokenizer;

/** The recipe table and {@link TrainingRecipe}: lookup, overrides, the model and schedule built from a recipe, checks. */
class SmallModelRecipeTest {

    @Test
    void theCs1RecipeIsTheMeasuredConstantsAndGivesTheScheduleCheckpointsWereWrittenWith() {
        TrainingRecipe r = SmallModelRecipe.CS1;
        assertEquals(List.of("llama", SmallModelRecipe.LAYERS, SmallModelRecipe.D_MODEL, SmallModelRecipe.HEADS,
                SmallModelRecipe.INIT_STD, SmallModelRecipe.STEPS, SmallModelRecipe.BATCH, SmallModelRecipe.PEAK_LR),
                List.of(r.arch(), r.layers(), r.dModel(), r.heads(), r.initStd(), r.steps(), r.batch(), r.peakLr()));
        assertTrue(r.tuned());
        // The schedule of the recipe before it was a record (steps / 20 warmup, peak / 10 at the end, validation every
        // tenth): checkpoints written by earlier versions resume without --force.
        TrainerConfig c = r.withSteps(1234).withPeakLr(1e-3).training(7);
        TrainerConfig before = new TrainerConfig(1234, SmallModelRecipe.BATCH, 1e-3, 1e-3 / 10, 1234 / 20, 0.01, 1.0, 1234 / 10,
                4, 0, 2, 7, SmallModelRecipe.MAX_POSITIONS);
        assertEquals(before, c);
        assertEquals(RunSettings.of(before, 100), RunSettings.of(c, 100));
    }

    @Test
    void everyCommandSetAndVariantHasARecipeNamedForItAndUnmeasuredOnesSaySo() {
        assertSame(SmallModelRecipe.CS1, SmallModelRecipe.forDataset(1, "literal"));
        for (CommandSet cs : CommandSet.values()) {
            for (Variant v : Variant.values()) {
                TrainingRecipe r = SmallModelRecipe.forDataset(cs.level(), v.name().toLowerCase()).validate();
                String name = cs + " " + v.name().toLowerCase();
                assertEquals(name, r.name());
                assertTrue(r.describe().startsWith(name + " ("), r.describe());
                assertEquals(cs == CommandSet.CS5 ? 768 : 512, r.maxPositions(), name);
                if (!r.tuned()) {
                    // an unmeasured entry borrows a measured recipe of its variant (its own set's, or the last
                    // measured set's before it) and names it, with room for its longest examples (CS5: 768 positions)
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                            "CS([1-5]) (literal|synonym) recipe, not yet tuned").matcher(r.note());
                    assertTrue(m.matches(), r.note());
                    assertEquals(v.name().toLowerCase(), m.group(2), r.note());
                    int from = Integer.parseInt(m.group(1));
                    assertTrue(from < cs.level(), name + " borrows from its own or a later command set: " + r.note());
                    TrainingRecipe base = SmallModelRecipe.forDataset(from, m.group(2));
                    assertTrue(base.tuned(), name + " borrows an unmeasured recipe: " + r.note());
                    TrainingRecipe expected = base.as(name, false, r.note()).withMaxPositions(r.maxPositions());
                    assertEquals(expected, r, name);
                    assertTrue(r.describe().contains("(" + r.note() + ")"), r.describe());
                }
            }
        }
        assertFalse(SmallModelRecipe.forDataset(5, "SYNONYM").tuned());
        IllegalArgumentException cs = assertThrows(IllegalArgumentException.class, () -> SmallModelRecipe.forDataset(6, "literal"));
        assertEquals("command set must be 1..5, not 6", cs.getMessage());
        IllegalArgumentException v = assertThrows(IllegalArgumentException.class, () -> SmallModelRecipe.forDataset(2, "mixed"));
        assertTrue(v.getMessage().contains("unknown variant 'mixed'"), v.getMessage());
    }

    @Test
    void overridesBuildTheModelAndScheduleTheyDescribe() {
        List<String> texts = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 3).generate(50).stream()
                .map(e -> e.fullText()).toList();
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(texts, 1, 4000);
        TrainingRecipe r = SmallModelRecipe.forDataset(3, "synonym").withArch("gpt2").withLayers(1).withDModel(32).withHeads(2)
                .withInitStd(0.02).withSteps(40).withBatch(4).withPeakLr(1e-3).withMinLrDivisor(4).withWarmupPercent(10)
                .withWeightDecay(0).withMaxPositions(128);
        ModelConfig cfg = r.config(tok);
        assertEquals(List.of("gpt2", 1, 32, 2, 128, tok.vocabSize(), tok.eosId()), List.of(cfg.modelType(), cfg.nLayers(), cfg.dModel(),
                cfg.nHeads(), cfg.maxPositions(), cfg.vocabSize(), cfg.eosTokenId()));
        Transformer a = r.model(tok, 5);
        Transformer b = r.model(tok, 5);
        assertEquals(a.parameters().get("embed.W_E").getDouble(3), b.parameters().get("embed.W_E").getDouble(3));
        assertNotEquals(a.parameters().get("embed.W_E").getDouble(3), r.model(tok, 6).parameters().get("embed.W_E").getDouble(3));
        TrainerConfig c = r.training(9);
        assertEquals(List.of(40, 4, 1e-3, 2.5e-4, 4, 0.0, 4, 9L, 128), List.of(c.steps(), c.batchSize(), c.peakLr(), c.minLr(),
                c.warmupSteps(), c.weightDecay(), c.evalEvery(), c.seed(), c.maxLength()));
        assertEquals("CS3 synonym", r.name(), "overrides keep the recipe's name");
        assertTrue(r.sameValues(r.as("renamed", !r.tuned(), "another note")), "name, note and tuned are not values");
        assertFalse(r.sameValues(r.withSteps(41)));
        assertFalse(r.sameValues(r.withWeightDecay(0.01)));
    }

    @Test
    void badValuesFailWithTheFieldAndAShapeThatIsNoModelFailsValidation() {
        TrainingRecipe r = SmallModelRecipe.CS1;
        assertEquals("steps must be at least 1, not 0", assertThrows(IllegalArgumentException.class, () -> r.withSteps(0)).getMessage());
        assertEquals("batch must be at least 1, not -2", assertThrows(IllegalArgumentException.class, () -> r.withBatch(-2)).getMessage());
        assertEquals("arch must be llama, gpt2 or gpt_neo, not 'mamba'",
                assertThrows(IllegalArgumentException.class, () -> r.withArch("mamba")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> r.withPeakLr(Double.NaN)).getMessage().startsWith("peak_lr"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> r.withInitStd(0)).getMessage().startsWith("init_std"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> r.withWarmupPercent(101)).getMessage().startsWith("warmup_percent"));
        // Shape rules are ModelConfig's: checked once the shape is complete, so with-calls chain in any order.
        TrainingRecipe odd = r.withDModel(30);
        String msg = assertThrows(IllegalArgumentException.class, odd::validate).getMessage();
        assertTrue(msg.contains("30") && msg.contains("must be a multiple of"), msg);
        assertEquals(30, odd.withHeads(3).validate().dModel());
        assertEquals("layers must be 1..1024, not 0", assertThrows(IllegalArgumentException.class, () -> r.withLayers(0)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> r.withHeads(256).validate()).getMessage().contains("out of range"));
    }

    @Test
    void aRecipeRoundTripsThroughStrictJson() throws Exception {
        TrainingRecipe r = SmallModelRecipe.forDataset(4, "synonym").withLayers(3).withPeakLr(1.5e-3);
        String json = StrictJson.mapper().writeValueAsString(r);
        assertTrue(json.contains("\"d_model\":128") && json.contains("\"tuned\":true")
                && json.contains("\"curriculum\":{\"steps\":2500,\"max_items\":3}"), json);
        assertEquals(r, StrictJson.mapper().readValue(json, TrainingRecipe.class));
        assertTrue(SmallModelRecipe.forDataset(4, "synonym").sameValues(SmallModelRecipe.forDataset(3, "synonym")),
                "CS4 synonym trains with CS3 synonym's values");
        TrainingRecipe borrowed = SmallModelRecipe.forDataset(5, "synonym");
        String borrowedJson = StrictJson.mapper().writeValueAsString(borrowed);
        assertTrue(borrowedJson.contains("\"tuned\":false") && borrowedJson.contains("\"max_positions\":768"), borrowedJson);
        assertEquals(borrowed, StrictJson.mapper().readValue(borrowedJson, TrainingRecipe.class));
    }

    @Test
    void aRopeBaseIsOptionalInJsonAndSetsTheRotaryModelsFrequencies() throws Exception {
        TrainingRecipe r = SmallModelRecipe.forDataset(5, "literal");
        assertEquals(null, r.ropeTheta(), "the architecture's own base unless a recipe sets one");
        assertEquals(10000.0, r.config(50, -1).ropeTheta());
        TrainingRecipe wide = r.withRopeTheta(1e6);
        ModelConfig c = wide.config(50, -1);
        assertEquals(1e6, c.ropeTheta());
        assertEquals(Math.pow(1e6, -14.0 / 16), c.ropeInverseFrequencies()[7], 1e-18, "head size 16: the slowest pair");
        assertFalse(r.sameValues(wide));
        String json = StrictJson.mapper().writeValueAsString(wide);
        assertTrue(json.contains("\"rope_theta\":1000000.0"), json);
        assertEquals(wide, StrictJson.mapper().readValue(json, TrainingRecipe.class));
        // A training.json written before the field existed: read as the architecture's own base.
        String old = StrictJson.mapper().writeValueAsString(r).replace("\"rope_theta\":null,", "");
        assertFalse(old.contains("rope_theta"), old);
        assertEquals(r, StrictJson.mapper().readValue(old, TrainingRecipe.class));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> r.withRopeTheta(Double.POSITIVE_INFINITY)).getMessage()
                .startsWith("rope_theta must be positive and finite"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> wide.withArch("gpt_neo").validate()).getMessage()
                .contains("needs rotary positions"));
    }

    @Test
    void aCurriculumIsOptionalInJsonScalesWithTheStepsAndReachesTheTrainer() throws Exception {
        TrainingRecipe r = SmallModelRecipe.CS1.withSteps(8000).withCurriculum(new Curriculum(2000, 3));
        assertTrue(r.sameValues(SmallModelRecipe.forDataset(1, "synonym")), "CS1 synonym's recipe");
        assertEquals(new Curriculum(2000, 3), r.training(1).curriculum());
        assertTrue(r.describe().contains("8000 steps of 32, curriculum: 2000 steps on lists of at most 3 items, lr"), r.describe());
        assertEquals(new Curriculum(500, 3), r.withSteps(2000).curriculum(), "a quarter of the run either way");
        assertEquals(Curriculum.NONE, SmallModelRecipe.CS1.training(1).curriculum());
        assertEquals(null, r.withCurriculum(Curriculum.NONE).curriculum(), "no curriculum is null, as in older files");
        assertFalse(r.sameValues(SmallModelRecipe.CS1.withSteps(8000)));
        String json = StrictJson.mapper().writeValueAsString(r);
        assertTrue(json.contains("\"curriculum\":{\"steps\":2000,\"max_items\":3}"), json);
        assertEquals(r, StrictJson.mapper().readValue(json, TrainingRecipe.class));
        // A training.json written before the field existed reads as no curriculum.
        String old = StrictJson.mapper().writeValueAsString(SmallModelRecipe.CS1).replace(",\"curriculum\":null", "");
        assertFalse(old.contains("curriculum"), old);
        assertEquals(SmallModelRecipe.CS1, StrictJson.mapper().readValue(old, TrainingRecipe.class));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SmallModelRecipe.CS1.withCurriculum(new Curriculum(3001, 3)))
                .getMessage().startsWith("curriculum steps (3001) must not exceed the steps (3000)"));
        assertTrue(assertThrows(Exception.class, () -> StrictJson.mapper().readValue(
                json.replace("\"max_items\":3", "\"max_items\":0"), TrainingRecipe.class)).getMessage().contains("max_items"));
    }

    @Test
    void theCurriculumAdmitsExamplesWhoseEveryListIsShort() {
        Curriculum c = new Curriculum(10, 3);
        for (CommandSet cs : CommandSet.values()) {
            for (TinySqlExample e : new DatasetGenerator(cs, Variant.SYNONYM, 5).generate(200)) {
                boolean shortLists = e.select().size() <= 3 && e.orderBy().size() <= 3 && e.groupBy().size() <= 3
                        && e.where().size() <= 3;
                assertEquals(shortLists, c.admits(e), e.sqlStatement());
            }
        }
        assertFalse(Curriculum.NONE.active());
        assertEquals("", Curriculum.NONE.describe());
        assertThrows(IllegalArgumentException.class, () -> new Curriculum(-1, 3));
        assertThrows(IllegalArgumentException.class, () -> new Curriculum(1, 0), "a curriculum that admits nothing");
        assertThrows(IllegalArgumentException.class, () -> new Curriculum(1, 1001));
        assertEquals(new Curriculum(0, 0), Curriculum.NONE);
    }
}
