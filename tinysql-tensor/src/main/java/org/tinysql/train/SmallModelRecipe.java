package org.tinysql.train;

import java.util.Locale;
import org.tinysql.data.CommandSet;
import org.tinysql.data.Variant;

/**
 * The measured recipe for training a small TinySQL model from scratch on a CPU: a 2-layer d=128 4-head Llama style
 * model (RMSNorm, rotary positions, SwiGLU, tied embeddings), weights initialised with standard deviation 0.05, AdamW
 * at 2e-3 (5% warmup, cosine to 2e-4), 3000 batches of 32 examples in packed rows: {@link #CS1}. The quickstart,
 * the examples and the end-to-end test use it; {@code tinysql train} and {@code tinysql zoo} take the recipe of the
 * dataset's command set and variant from {@link #forDataset}, whose table uses this recipe wherever no other has been
 * measured yet.
 *
 * <p>Why these choices (CS1, exact match on held-out prompts, greedy decoding; numbers in the notes of issue 5):
 * <ul>
 *   <li>Training has two plateaus. First the model only learns the format (validation loss about 2.5 per response
 *       token); with GPT-2's 0.02 initialisation that lasted about 1000 steps, with 0.05 it is over by step 500.</li>
 *   <li>Then it copies the first and the last requested field but repeats a field in the middle (about 55% exact)
 *       until the heads that find "the field after the one just written" form; they need relative positions. With
 *       GPT-2's learned absolute positions that happened at a seed-dependent step, from 1300 (3 layers) to past 5000
 *       (2 layers): 2-layer GPT-2 runs of 5000 steps ended between 77% and 96% depending on the seed. With rotary
 *       positions it happens between steps 750 and 1000 for every seed tried, and 1500 steps reached 99-100% on the
 *       narrower data generated before (SELECT lists of 1-4 fields).</li>
 *   <li>With the original TinySQL's variety (SELECT lists of 1 to 12 fields, mean 4; 80 instruction templates) the same
 *       failure lasts longer and concentrates on long lists: the model skips or repeats a field in the middle. One
 *       3000-step run (E2E seeds, 200k examples) scored 42% exact at step 1000, 81% at 1500, 84% at 2000 and 94.4% at
 *       the end on 500 held-out prompts (100% on 1 field, 94-99% on 2-6 fields, 87-91% on 7-9, 25-83% on 10-12); most
 *       of the gain comes in the cosine tail, so a 1500-step schedule stops at 37%. A third layer learned more slowly
 *       (validation loss 0.70 at step 1200 against 0.18 with two layers), so the recipe keeps two layers and doubles
 *       the steps.</li>
 *   <li>Other command sets (issue 17; {@code tinysql zoo} trains and scores them; 100k examples, seed 1, 500 test
 *       prompts): with this recipe unchanged, CS2 literal reached 90.2% exact match and 99.0% execution accuracy (23.6
 *       minutes on a shared machine); the misses are ORDER BY (91.2% of the clause right: a direction or one of
 *       several fields). With 6000 steps it reached 98.4% exact and 99.4% execution in 14.4 minutes (25k tokens/s),
 *       which is CS2 literal's recipe now. CS3 literal with this recipe: 34.8% exact, 56.8% execution in 8.8 minutes,
 *       ORDER BY right in 37% (aggregate references, directions) and SELECT in 90%: it needs more than steps alone.
 *       CS5 examples reach 551 tokens, so its recipes have 768 positions. The other pairs are not measured yet.</li>
 * </ul>
 */
public final class SmallModelRecipe {
    /** Model width C of the recipe. */
    public static final int D_MODEL = 128;
    /** Blocks L of the recipe. */
    public static final int LAYERS = 2;
    /** Attention heads H of the recipe (head dimension 32). */
    public static final int HEADS = 4;
    /** Maximum positions of the recipe's model (its context), in tokens. */
    public static final int MAX_POSITIONS = 512;
    /** Standard deviation of the initial weights (see {@code Parameters.init}). */
    public static final double INIT_STD = 0.05;
    /** Peak learning rate after warmup. */
    public static final double PEAK_LR = 2e-3;
    /** Examples per training step. */
    public static final int BATCH = 32;
    /** Optimisation steps of the CS1 recipe. */
    public static final int STEPS = 3000;

    /** The measured CS1 recipe: the constants above (cosine to a tenth of the peak, 5% warmup, weight decay 0.01). */
    public static final TrainingRecipe CS1 = new TrainingRecipe("CS1 literal", true, "measured, see SmallModelRecipe", "llama",
            LAYERS, D_MODEL, HEADS, MAX_POSITIONS, INIT_STD, STEPS, BATCH, PEAK_LR, 10, 5, 0.01);

    private SmallModelRecipe() {
    }

    /**
     * The recipe for a dataset of command set {@code commandSet} (1..5) and {@code variant} (literal or synonym), as a
     * dataset's stats.json names them; named after the pair, e.g. "CS3 synonym". See {@link #table} for the values.
     * @param commandSet the command set, 1 to 5
     * @param variant the dataset variant, "literal" or "synonym"
     * @return the pair's recipe, tuned or borrowed from {@link #CS1}
     */
    public static TrainingRecipe forDataset(int commandSet, String variant) {
        if (commandSet < 1 || commandSet > CommandSet.values().length) {
            throw new IllegalArgumentException("command set must be 1.." + CommandSet.values().length + ", not " + commandSet);
        }
        return table(CommandSet.values()[commandSet - 1], Variant.parse(variant));
    }

    /**
     * THE RECIPE TABLE: one entry per (command set, variant). Only CS1 literal has been measured (see the class notes);
     * every other pair borrows {@link #CS1} and says so ({@link TrainingRecipe#tuned()} false, note "CS1 recipe, not yet
     * tuned"), which {@code tinysql train} and the zoo's summary report. To record a measured recipe, replace the pair's
     * {@code untuned(...)} with a complete recipe, e.g.
     * {@code CS1.as(name(cs, v), true, "measured, issue 17").withLayers(3).withSteps(5000)}, and add its numbers to the
     * class notes.
     */
    private static TrainingRecipe table(CommandSet cs, Variant v) {
        return switch (cs) {
            case CS1 -> switch (v) {
                case LITERAL -> CS1;
                case SYNONYM -> untuned(cs, v);
            };
            case CS2 -> switch (v) {
                // 3000 steps: 90.2% exact (ORDER BY); 6000: 98.4% exact, 99.4% execution in 14.4 min (seed 1)
                case LITERAL -> CS1.as(name(cs, v), true, "CS1 recipe with 6000 steps, measured on one seed").withSteps(6000);
                case SYNONYM -> untuned(cs, v);
            };
            case CS3 -> switch (v) {
                case LITERAL -> untuned(cs, v);
                case SYNONYM -> untuned(cs, v);
            };
            case CS4 -> switch (v) {
                case LITERAL -> untuned(cs, v);
                case SYNONYM -> untuned(cs, v);
            };
            // CS5 examples (two CREATE statements, joined fields) reach 551 tokens (p99 435): 512 positions are too few
            case CS5 -> switch (v) {
                case LITERAL -> untuned(cs, v).withMaxPositions(768);
                case SYNONYM -> untuned(cs, v).withMaxPositions(768);
            };
        };
    }

    /** "CS3 synonym". */
    static String name(CommandSet cs, Variant v) {
        return cs + " " + v.name().toLowerCase(Locale.ROOT);
    }

    /** The CS1 recipe, named for another pair and marked as not measured for it. */
    private static TrainingRecipe untuned(CommandSet cs, Variant v) {
        return CS1.as(name(cs, v), false, "CS1 recipe, not yet tuned");
    }
}
