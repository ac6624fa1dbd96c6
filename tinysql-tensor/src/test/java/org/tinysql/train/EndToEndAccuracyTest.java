package org.tinysql.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.SqlPredictor;
import org.tinysql.model.Transformer;
import org.tinysql.sql.ExactMatch;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.util.Progress;

/**
 * End to end: the {@link SmallModelRecipe} model (2 layers, d=128, Llama style) trained from scratch on 96k fresh CS1
 * examples (3000 steps of 32, packed rows; SELECT lists of 1 to 12 fields as in the original TinySQL) with the
 * SqlVocabTokenizer reaches >= 90% exact match on 500 held-out prompts with greedy decoding (94.4% measured, then 97.8%
 * after the SIMD and tiled-attention kernels changed float rounding, 99.6% with the recipe's 8 heads). About 6 minutes on 2 cores; skip it with {@code -Dtinysql.e2e=false}, change it with
 * {@code -Dtinysql.e2e.steps=N -Dtinysql.e2e.min=X}.
 *
 * <p>Seeds: model init 1, data order 1, dataset 42. On the narrower data generated before (1-4 fields), seeds 1, 2, 3, 4
 * and the quickstart's 42 all reached 99-100% after 1500 steps; with today's data 1500 steps stop at about 37% (see
 * {@link SmallModelRecipe} for the learning curve).
 */
class EndToEndAccuracyTest {

    @Test
    void smallModelLearnsCs1FromScratch(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Boolean.parseBoolean(System.getProperty("tinysql.e2e", "true")), "skipped: -Dtinysql.e2e=false");
        int steps = Integer.getInteger("tinysql.e2e.steps", SmallModelRecipe.STEPS);
        double min = Double.parseDouble(System.getProperty("tinysql.e2e.min", "0.9"));
        double acc = trainAndScore(dir, CommandSet.CS1, Variant.LITERAL, 200_000, SmallModelRecipe.CS1.withSteps(steps));
        assertTrue(acc >= min, "exact match " + acc + " after " + steps + " steps");
    }

    /**
     * Opt-in ({@code -Dtinysql.e2e.cs5=true}; {@code -Dtinysql.e2e.variant=literal|synonym}, default synonym): CS5's
     * recipe from {@link SmallModelRecipe#forDataset} on 100k fresh examples must reach issue 17's target of 90% exact
     * match on 500 held-out prompts. Not in the default suite: about 45 (literal) or, estimated from its steps, 50
     * (synonym) minutes of training on 2 cores.
     */
    @Test
    void cs5RecipeReachesItsTarget(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("tinysql.e2e.cs5"), "opt-in: -Dtinysql.e2e.cs5=true");
        Variant variant = Variant.parse(System.getProperty("tinysql.e2e.variant", "synonym"));
        TrainingRecipe recipe = SmallModelRecipe.forDataset(5, variant.name().toLowerCase(java.util.Locale.ROOT));
        double acc = trainAndScore(dir, CommandSet.CS5, variant, 100_000, recipe);
        assertTrue(acc >= 0.9, "CS5 " + variant + " exact match " + acc + " with " + recipe.describe());
    }

    /** Generates the data (dataset seed 42), trains (seeds 1), prints and returns exact match on 500 test prompts. */
    private static double trainAndScore(Path dir, CommandSet cs, Variant variant, int n, TrainingRecipe recipe) throws Exception {
        new DatasetGenerator(cs, variant, 42).writeSplits(dir, n, Progress.NONE);
        HfTokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"));
        Transformer model = recipe.model(tok, 1);
        long t0 = System.nanoTime();
        List<Trainer.StepLog> log = new Trainer(model, tok, DatasetIO.read(dir, Split.TRAIN), DatasetIO.read(dir, Split.VALIDATION),
                recipe.training(1), dir.resolve("ckpt")).run(Progress.NONE);
        double minutes = (System.nanoTime() - t0) / 6e10;
        double tokensPerSecond = log.stream().mapToDouble(Trainer.StepLog::tokensPerSecond).skip(log.size() / 10).average().orElse(0);
        List<TinySqlExample> test = DatasetIO.read(dir, Split.TEST).subList(0, 500);
        // CS1 answers are at most ~40 tokens; CS5 answers reach 225 (two tables' fields with prefixes)
        List<String> preds = new SqlPredictor(model, tok, cs == CommandSet.CS1 ? 48 : 256).predict(test, 64, Progress.NONE);
        ExactMatch exact = new ExactMatch();
        int ok = 0;
        for (int i = 0; i < test.size(); i++) {
            ok += exact.score(test.get(i).createStatement(), test.get(i).sqlStatement(), preds.get(i)).correct() ? 1 : 0;
        }
        double acc = ok / (double) test.size();
        System.out.printf("end-to-end %s %s: %.1f%% exact match on %d held-out prompts after %d steps (%.1f min training,"
                + " %.0f tokens/s)%n", cs, variant, 100 * acc, test.size(), recipe.steps(), minutes, tokensPerSecond);
        return acc;
    }
}
