package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tinysql.train.Curriculum;
import org.tinysql.train.SmallModelRecipe;
import org.tinysql.train.TrainingRecipe;

/** {@link RecipeOverrides}: values replaced, and the recipe's description says which options replaced them. */
class RecipeOverridesTest {

    @Test
    void noOptionLeavesTheRecipeAsTheTableHasIt() {
        TrainingRecipe table = SmallModelRecipe.forDataset(2, "literal");
        assertSame(table, new RecipeOverrides().apply(table));
    }

    @Test
    void givenOptionsReplaceValuesAndAreNamedInTheNote() {
        TrainingRecipe table = SmallModelRecipe.forDataset(1, "synonym");
        TrainingRecipe r = new RecipeOverrides().layers(3).heads(4).steps(500).apply(table);
        assertEquals(List.of(3, 4, 500, table.dModel()), List.of(r.layers(), r.heads(), r.steps(), r.dModel()));
        assertEquals(table.name(), r.name());
        assertEquals(table.tuned(), r.tuned(), "tuned says whether the table's entry was measured");
        assertEquals(table.note() + "; overridden: --layers 3 --heads 4 --steps 500", r.note());
        assertTrue(r.describe().startsWith(table.name() + " (" + r.note() + "): llama, 3 layers"), r.describe());
    }

    @Test
    void everyOptionAtOnceStillMakesAValidRecipe() {
        for (int cs = 1; cs <= 5; cs++) {
            for (String v : List.of("literal", "synonym")) {
                TrainingRecipe r = new RecipeOverrides().arch("llama").layers(12).dModel(1024).heads(16).steps(1_000_000)
                        .batch(4096).lr(0.000123456789).ropeTheta(123456.789).initStd(0.0123456789).curriculumSteps(5000)
                        .curriculumItems(4).apply(SmallModelRecipe.forDataset(cs, v));
                assertTrue(r.note().endsWith("overridden: --arch llama --layers 12 --d-model 1024 --heads 16 --steps 1000000 "
                        + "--batch 4096 --lr 1.23456789E-4 --rope-theta 123456.789 --init-std 0.0123456789 --curriculum-steps 5000 "
                        + "--curriculum-items 4"), r.note());
                assertEquals(new Curriculum(5000, 4), r.curriculum());
            }
        }
    }

    @Test
    void aRopeBaseReachesTheModelAndNeedsRotaryPositions() {
        TrainingRecipe r = new RecipeOverrides().ropeTheta(1e6).apply(SmallModelRecipe.forDataset(5, "literal"));
        assertEquals(1e6, r.config(100, -1).ropeTheta());
        assertTrue(r.describe().contains("8 heads, rope theta 1000000, init std"), r.describe());
        String msg = assertThrows(IllegalArgumentException.class,
                () -> new RecipeOverrides().arch("gpt2").ropeTheta(1e6).apply(SmallModelRecipe.forDataset(5, "literal"))).getMessage();
        assertTrue(msg.contains("--arch gpt2 --rope-theta 1000000.0 does not describe a model: rope_theta 1000000 needs rotary "
                + "positions (arch llama), not gpt2"), msg);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RecipeOverrides().ropeTheta(-1)
                .apply(SmallModelRecipe.CS1)).getMessage().startsWith("--rope-theta -1.0: rope_theta must be positive"));
    }

    @Test
    void curriculumOptionsSetTheShortListsFirstPhase() {
        TrainingRecipe on = new RecipeOverrides().curriculumSteps(600).apply(SmallModelRecipe.CS1);
        assertEquals(new Curriculum(600, Curriculum.DEFAULT_MAX_ITEMS), on.curriculum());
        assertEquals(new Curriculum(600, Curriculum.DEFAULT_MAX_ITEMS), on.training(1).curriculum());
        // --steps scales a recipe's curriculum; --curriculum-steps, applied after it, sets it outright.
        assertEquals(new Curriculum(300, Curriculum.DEFAULT_MAX_ITEMS), new RecipeOverrides().steps(1500).apply(on).curriculum());
        assertEquals(new Curriculum(100, 5), new RecipeOverrides().steps(1500).curriculumSteps(100).curriculumItems(5).apply(on)
                .curriculum());
        assertEquals(null, new RecipeOverrides().curriculumSteps(0).apply(on).curriculum(), "0 turns it off");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RecipeOverrides().curriculumItems(5)
                .apply(SmallModelRecipe.CS1)).getMessage().contains("recipe has no curriculum: give --curriculum-steps too"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RecipeOverrides().curriculumSteps(4000)
                .apply(SmallModelRecipe.CS1)).getMessage().startsWith("--curriculum-steps 4000: curriculum steps (4000) must not"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RecipeOverrides().curriculumItems(0)
                .apply(on)).getMessage().startsWith("--curriculum-items 0: curriculum max_items must be 1..1000"));
    }
}
