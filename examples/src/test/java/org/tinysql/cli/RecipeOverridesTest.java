package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
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
                        .batch(4096).lr(0.000123456789).ropeTheta(123456.789).initStd(0.0123456789)
                        .apply(SmallModelRecipe.forDataset(cs, v));
                assertTrue(r.note().endsWith("overridden: --arch llama --layers 12 --d-model 1024 --heads 16 --steps 1000000 "
                        + "--batch 4096 --lr 1.23456789E-4 --rope-theta 123456.789 --init-std 0.0123456789"), r.note());
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
}
