package org.tinysql.train;

import java.util.Locale;
import org.tinysql.data.CommandSet;
import org.tinysql.data.Variant;

/**
 * The measured recipe for training a small TinySQL model from scratch on a CPU: a 2-layer d=128 8-head Llama style
 * model (RMSNorm, rotary positions, SwiGLU, tied embeddings), weights initialised with standard deviation 0.05, AdamW
 * at 2e-3 (5% warmup, cosine to 2e-4), 3000 batches of 32 examples in packed rows: {@link #CS1}. The quickstart,
 * the examples and the end-to-end test use it; {@code tinysql train} and {@code tinysql zoo} take the recipe of the
 * dataset's command set and variant from {@link #forDataset}, whose table borrows the nearest measured recipe wherever
 * none has been measured yet.
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
 *       the steps. Seeds 2 and 3 of that 4-head recipe ({@code tinysql zoo}, 100k examples, data seed 42) scored 99.4%
 *       and 95.2% (seed 3: 24 of 500 wrong, each a field repeated or skipped in a list of 7-12), a spread of 4.2
 *       points. With 8 heads of 16 dimensions (the same parameters and, since the fused attention, the same speed:
 *       27-29k tokens/s) seeds 1-3 scored 99.4%, 99.6% and 100% in 4.4-4.7 minutes: the recipe's heads since.</li>
 *   <li>Other command sets (issue 17; {@code tinysql zoo} trains and scores them; 100k examples, seed 1, 500 test
 *       prompts, exact match / execution accuracy): CS2 literal with this recipe unchanged (4 heads then) reached 90.2%
 *       / 99.0% (23.6 minutes on a shared machine), the misses all in ORDER BY (a direction or one of several fields);
 *       with 6000 steps
 *       98.4% / 99.4% in 14.4 minutes (25k tokens/s) for seed 1, but 59.0% / 82.6% for seed 2 and 43.0% / 61.0% for
 *       seed 3: their ORDER BY directions were right for 76% and 68% of the items (seed 1: 99%), the expressions for
 *       99.8%. On seed 2 the first ORDER BY item's direction was right 94-98% of the time, the later items' 60-67%
 *       (mostly the previous item's direction repeated): binding each item to its phrase (about 30 phrasings, before
 *       the field or after it, which a causal field mention cannot see) is the circuit that formed only on seed 1. A
 *       third layer did not make it form on seed 2 (54.2% exact, directions 71.6%), nor did twice the steps (12000:
 *       62.2%, directions 76.7%, the validation loss flat from step 8400). Twice the heads at the same width (8 of 16
 *       dimensions, the same parameters) did: seed 2 99.2% exact, 100% execution, directions 99.7%, validation loss
 *       0.013 at step 4200 where 4 heads had 0.10-0.14; 25.7 minutes (the smaller heads run at 14.5k tokens/s
 *       against 25k). So the limit was the number of attention patterns per layer, not depth or time: CS2 literal's
 *       recipe is 8 heads and 6000 steps. Seeds 1-3 with it: 98.6%, 99.2%, 98.8% exact (99.8%, 100%, 99.6% execution),
 *       a spread of 0.6 points; 25.7 minutes quiet (seed 1's 38.4 included pauses and builds on the machine).</li>
 *   <li>CS3 literal: 34.8% / 56.8% after 3000 steps, 91.4% / 93.8% after 6000 (18.3 minutes), 97.2% / 98.8% after 9000
 *       (its recipe; 40.7 minutes on a machine shared with builds, about 27.5 at the 6000-step run's 23.5k tokens/s).
 *       Reading the predictions ({@code eval --save-predictions}) showed why: the aggregate expressions of the ORDER BY
 *       items were right early (97% at 3000 steps) but their directions were at chance (53%, the model mostly repeats
 *       the previous item's direction); the heads that find an item's direction phrase in the instruction (after the
 *       item, or before it: "in descending order of price") form late, between steps 3000 and 3400 of the 6000-step
 *       run (directions 48% at step 2000, 87% at 3400, 97% at 6000; 99.3% after 9000 steps). The remaining misses
 *       repeat or skip an item of a long list, as in CS1. CS2's fix, 8 heads, with 6000 steps: 93.4% / 96.2% (seed 1;
 *       ORDER BY 96.4%, SELECT 96.6%), a little above 4 heads' 91.4% at 6000 steps and below their 97.2% at 9000: here
 *       the schedule, not the number of attention patterns, is what the directions need, so the recipe kept 4 heads
 *       and 9000 steps. But seeds 2 and 3 with it scored 95.4% and 55.0% (seed 3's directions 55.8%, CS2's 4-head
 *       failure), and 8 heads with 9000 steps brought seed 3 to 96.2% / 98.4% (ORDER BY 97.6%; validation loss 0.015
 *       at step 6300, where 4 heads ended at 0.042; 29 minutes of training): CS3 needs both the schedule and the
 *       heads. Seeds 1 and 2 with 8 heads: 96.2% / 97.6% (24.7 minutes on quiet cores) and 96.0% / 98.0%, a spread of
 *       0.2 points; the misses are long SELECT and ORDER BY lists (SELECT 97.8-98.6%, ORDER BY 97.6-98.6%).</li>
 *   <li>CS1 synonym with this recipe (4 heads then): 40.4% / 40.6% in 5.4 minutes. The table synonyms are learned
 *       (FROM 100%), but the SELECT list fails the way CS1 did before relative positions: a field repeated in place of the next ("SELECT
 *       likes, likes, likes"), for literal and synonym fields alike (60% and 63% of the fields right). To write the field
 *       after the one just written the model must find that field's words in the instruction, and a synonym ("time
 *       zone" for timezone, "worker id" for employee_id) has to be mapped to its column first: one more step of
 *       composition than literal names need. With a third layer and 8000 steps (4 heads) it reached 97.8% / 97.8% (99.5%
 *       of the fields in place) in 22.1 minutes (88% at step 4800). Which of the two it needs: 2 layers of 8 heads with
 *       8000 steps scored 99.8% on seed 1 (14.9 minutes) but 49.8% on seed 2, the repeated field again (validation loss
 *       0.86 at step 1600 where seed 1 had 0.15, and still 0.32 at step 6400), so the steps alone are not a recipe. With
 *       the third layer and 8 heads seeds 1-3 scored 99.4%, 98.2% and 96.0% exact (99.4%, 98.6%, 96.0% execution) in
 *       19.2, 19.9 and 20.3 minutes (18k tokens/s): its recipe. The third layer learns the format more slowly
 *       (validation loss 0.80 at step 1600) but every seed then forms the field-after-field heads. The spread, 3.4
 *       points, misses the target's 2: seed 3's 20 misses skip a field whose synonym is rarer ("last sign in" for
 *       last_login, "squad name" for team_name) and repeat the next one; its validation loss was still falling (0.0146
 *       at step 7200, 0.0073 at the end, where seeds 1 and 2 ended at 0.0001 and 0.0024). With 10000 steps seed 3 scored
 *       100% / 100% in 25.1 minutes (validation loss 0.0009 at step 6000), seed 2 99.8% and seed 1 97.4% (27.9 and 27.2
 *       minutes, 16-16.5k tokens/s): its recipe, with a higher mean (99.1% against 97.9%) and minimum (97.4% against
 *       96.0%), but still a spread of 2.6 points. Seed 1's 13 misses are 12 fields repeated in place of the next (in
 *       lists of 2 to 12: "total, director, director" for "total, film director and efficiency") and one table name
 *       written for a field ("From votes counted get grade": SELECT votes); its validation loss fell later (0.069 at step
 *       5000, where seed 2 had 0.012) and ended at 0.0031 (seed 2: 0.0010). Which seed forms the field-after-field
 *       heads early is what varies; with 8000 and 10000 steps different seeds were the weakest (3, then 1), so a
 *       longer schedule moves the miss rather than removing it.</li>
 *   <li>CS4 literal with CS2's recipe (8 heads, 6000 steps): 91.8% / 96.6% (seed 1, 57.9 minutes on a machine shared
 *       with the study's measurements, 13.3k tokens/s). WHERE, GROUP BY and FROM are right (99.8-100%); the misses
 *       are CS1's: an item of a long SELECT or ORDER BY list (10-12 items) repeated or skipped (ORDER BY 94.8%,
 *       SELECT 96.8%). Seed 2 with it: 78.8% / 91.4% (21.5 minutes, 23.8k tokens/s), ORDER BY 82.2%: the item
 *       expressions right (97.9%) but 7.7% of the directions wrong, the first item's as often as the later ones', CS3's
 *       failure at 6000 steps (CS4 has CS3's ORDER BY over aggregates, and WHERE besides). With CS3's 9000 steps seed 2
 *       scored 92.2% / 94.2% in 30.7 minutes (24.7k tokens/s), directions 99.2%, ORDER BY 97.2%; its 39 misses are
 *       long SELECT lists (SELECT 94.4%; 34 of them 7 to 12 fields), CS1's repeated or skipped field. CS3 literal's
 *       recipe is CS4 literal's since. Seeds 1 and 3 with it: 94.6% / 96.8% and 96.0% / 97.8% (30.7 and 32.1 minutes,
 *       23.7-24.7k tokens/s; seed 3's validation loss 0.0039 at the end): every seed over the 90% target, but a spread
 *       of 3.8 points (92.2-96.0), over the target's 2. The misses of all three are items of long lists (SELECT
 *       94.4-98.2%, ORDER BY 96.8-98.0%; seed 1: 14 of 27 in the SELECT list, of 5 to 12 fields, 16 in ORDER BY),
 *       no longer the directions: what varies between seeds is how well CS1's field-after-field heads work at 10-12
 *       items, as with CS1 synonym. Seed 2 with 12000 steps ({@code --steps 12000}): 95.8% / 98.4% in 41.1 minutes
 *       (24.6k tokens/s, validation loss 0.0037 where 9000 steps ended at 0.0111), SELECT 99.0% (9000 steps: 94.4%),
 *       19 of 31 prompts with 10-12 fields and 70 of 74 with 7-9 right (13 and 60 before): the weakest seed now above
 *       the other two's 9000-step results. Seeds 1 and 3 with 12000 steps are not measured yet, and CS1 synonym
 *       showed that a longer schedule can move the weak seed instead (there 10000 steps lowered seed 1 from 99.4% to
 *       97.4%), so the recipe stays at 9000 steps until they are.</li>
 *   <li>Synonym pairs with their borrowed recipes (the literal recipe with CS1 synonym's recipe then: 3 layers and 10000 steps), seed
 *       1. CS2 synonym: 31.0% / 41.4% in 36.1 minutes (17.6k tokens/s), validation loss falling slowly to 0.32 with no
 *       phase change (CS1 synonym's fell from 0.27 to 0.07 between steps 4000 and 5000). Its misses are the order of
 *       the fields, not the synonyms or the directions (1 of 500 wrong only in a direction): items repeated or a later
 *       one written first, the error per item growing with its index (teacher-forced on the model's own prefix: SELECT
 *       items 1-3 5.6%, 23%, 40%; the first ORDER BY item 38%), and as often after a literally named field as after a
 *       synonym (27-31% in all four combinations): it has not learned to follow the instruction's list at all, which
 *       CS2 literal's 2-layer model does at 99%. CS3 synonym: 94.6% / 96.4% in 41.0 minutes (17.7k tokens/s;
 *       validation loss 0.12 at step 4000, 0.013 at the end), SELECT 97.8%, ORDER BY 97.2%, exact on SELECT lists of
 *       1-3 / 4-6 / 7-9 / 10-12 items 99.2%, 96.0%, 86.6%, 56.5%: the list-following heads formed, 0.4 points under
 *       the target and 11 minutes over the budget. CS4 synonym: 91.6% / 94.8% in 50.6 minutes (17.1k tokens/s,
 *       validation loss 0.016), SELECT 96.6%, ORDER BY 95.6%, WHERE and GROUP BY 99.6%, exact on SELECT lists of 1-3 /
 *       4-6 / 7-9 / 10-12 items 98.9%, 94.8%, 70.3%, 53.6%: within its target and the hour on this seed.</li>
 *   <li>CS2 synonym (seed 1 unless stated): its list-following is what failed above, and a curriculum makes it form.
 *       2 layers of 8 heads and 8000 steps on the whole set: 11.0% / 14.2% (about 22 minutes), validation loss 0.74
 *       at step 4000 and 0.61 at 6400 (train loss the same: not overfitting), SELECT 27.8%, ORDER BY 30.0%, the
 *       previous field written again ("blood_pressure, blood_pressure"). The same run with its first 2000 steps on the
 *       27,851 of 76,500 training examples whose SELECT and ORDER BY lists have at most 3 items (then the whole set,
 *       one cosine schedule; {@link Curriculum}): validation loss 0.18 at step 4000, 0.046 at the end, 72.2% / 81.8%
 *       in 18.5 minutes (24.7k tokens/s), exact on SELECT lists of 1-3 / 4-6 / 7-9 / 10-12 items 86.6%, 66.0%,
 *       47.4%, 27.8%, the misses a field skipped and the next written twice (77 SELECT lists, 61 ORDER BY lists; 7
 *       only in a direction). A curriculum by response length instead (the 35% of examples with the fewest response
 *       tokens, up to 16: mostly lists of one or two items) left 0.52 at step 4000 where lists of up to 3 had 0.18:
 *       the short lists must still be lists. With 12000 steps, the first 3000 on lists of at most 3 items (its
 *       recipe): validation loss 0.217 at step 3600, 0.025 at 7200, 0.0014 at 10800; 98.4% / 98.8% in 27.2 minutes
 *       (25.3k tokens/s, 1.7 GB resident), SELECT 99.0%, ORDER BY 99.4%, exact on lists of 1-3 / 4-6 / 7-9 / 10-12
 *       items 99.2%, 99.3%, 100%, 72.2%. Seed 2: 99.0% / 99.4% in 28.7 minutes (24.1k tokens/s; validation loss
 *       0.0007 at the end), lists of 10-12 items 77.8%: 0.6 points apart. Seed 3: 97.4% / 99.2% in 34.3 minutes on an AMD EPYC host
 *       (20.4k tokens/s; the same recipe ran at 24-25k on the Xeon of seeds 1-2), ORDER BY 97.6%, SELECT 99.6%: three
 *       seeds within 1.6 points.</li>
 *   <li>CS3 synonym with CS2 synonym's curriculum in proportion (2 layers, 10000 steps, the first 2500 on the 37,862 of
 *       76,500 examples whose lists have at most 3 items), seed 1: 95.2% / 96.6% in 35.1 minutes (19.2k tokens/s;
 *       validation loss 0.15 at step 4000, 0.013 at the end), SELECT 98.0%, ORDER BY 97.6%, GROUP BY 98.8%, exact on
 *       SELECT lists of 1-3 / 4-6 / 7-9 / 10-12 items 99.6%, 96.7%, 86.6%, 60.9%: the borrowed 3 layers' accuracy
 *       (94.6%) and lists with two thirds of the parameters, 6 minutes faster, 5 minutes over CS3's 30 on the AMD EPYC
 *       host it ran on (where CS2 synonym's recipe ran at 0.82 times its Xeon speed: about 29 minutes there). Its
 *       recipe. Seed 2: 95.8% / 97.4% in 26.7 minutes (25.3k tokens/s on the same host, quieter that day; validation
 *       loss 0.017 at the end), lists of 1-3 / 4-6 / 7-9 / 10-12 items 99.6%, 98.7%, 94.0%, 39.1%. Seed 3: 91.4% /
 *       94.2% in 29.1 minutes (22.9k tokens/s), SELECT 95.4%, ORDER BY 96.2%, GROUP BY 98.2%, lists 98.8%, 96.0%,
 *       77.6%, 17.4%: the long lists again, and its validation loss was still falling (0.040 at step 8000, 0.021 at
 *       the end, where seed 2 had 0.035 and 0.017), as CS1 synonym's and CS4 literal's weak seeds were. So the recipe
 *       misses the target on one seed of three (spread 4.4 points); seed 3 with 12000 steps (the curriculum scaled to
 *       3000: CS2 synonym's values): 94.6% / 97.2% in 38.9 minutes (20.6k tokens/s; validation loss 0.022 at step
 *       10800), lists 99.6%, 98.0%, 88.1%, 34.8%: 3.2 points more, still 0.4 under the target and over the 30
 *       minutes, so the recipe stays at 10000 steps.</li>
 *   <li>CS4 synonym with the same values (2 layers, 10000 steps, the first 2500 on
 *       the 37,945 examples with short lists), seed 1 on the same host: 93.6% / 96.0% in 43.9 minutes (18.5k tokens/s,
 *       validation loss 0.016 at the end; the borrowed 3 layers: 91.6% / 94.8% in 50.6), SELECT 96.4%, ORDER BY 97.8%,
 *       WHERE 100%, GROUP BY 99.6%, exact on SELECT lists of 1-3 / 4-6 / 7-9 / 10-12 items 99.3%, 94.1%, 84.4%,
 *       57.1%: its recipe, within CS4's target and hour. Seed 2: 92.8% / 94.8% in 39.1 minutes (20.9k tokens/s;
 *       validation loss 0.017 at the end), SELECT 95.6%, ORDER BY 97.0%, lists 98.9%, 93.3%, 79.7%, 60.7%: 0.8
 *       points from seed 1; seed 3 not measured yet. The misses in both are the long SELECT lists, CS1's
 *       field-after-field failure, where CS4 literal's seed 2 gained most from 12000 steps.</li>
 *   <li>CS1 synonym on 2 layers with 8000 steps, the first 2000 on short lists, seed 2 (49.8% without the curriculum,
 *       its field-after-field heads never formed): 98.2% / 98.2% in 12.4 minutes on the AMD host (27.1k tokens/s),
 *       lists of 10-12 items 86.4%; seed 1 (97.4% with the 3-layer recipe): 98.4% in 12.3 minutes; seed 3: 99.0% / 99.0% in
 *       10.8 minutes (30.8k tokens/s; validation loss 0.0036 at the end), lists of 10-12 items 77.3%, every shorter
 *       list right. Three seeds within 0.8 points (the 3-layer recipe: 2.6) in less than half its time, with two
 *       thirds of its parameters: CS1 synonym's recipe since. The curriculum gives every seed's field-after-field
 *       heads the short lists they form on, as it did for CS2 synonym, where the whole set never formed them.</li>
 *   <li>CS5 examples reach 551 tokens, so its recipes have 768 positions. CS5 literal with this recipe and 4000 steps:
 *       18.8% / 20.4% in 19.7 minutes; queries without a JOIN 60% exact, with one 6%: the columns are qualified with
 *       the wrong table (which CREATE statement a field is in must be looked up across the context), and the FROM
 *       table is written again after JOIN. With a third layer, 8 heads and 8000 steps (1.0M parameters, 99 minutes
 *       at 10.1k tokens/s on a shared machine, validation loss 0.074): 28.8% / 30.0%. The JOIN clause itself is now
 *       right (100%), queries without a JOIN 87.4% exact, with one 10.5%, and 319 of the 341 wrong JOIN queries are
 *       wrong only in their column qualifiers: 65% of the qualified columns name the right table, about what copying
 *       one of the two tables at random and the always-right ON clause give. The model has not learned the lookup
 *       "which CREATE statement holds the next field": before writing {@code table.} it must know the field it is
 *       about to write (from the instruction) and find that field among the Context's two column lists, two hops of
 *       content-based attention that no run so far formed (CS2's ORDER BY directions were a similar late-forming
 *       lookup). With 4 layers of 4 heads (1.2M parameters, 0.65 s per step on quiet cores, so 10000 steps would take
 *       about 108 minutes) the run was stopped at step 4600 of 10000: 17.0% / 21.6% (JOIN queries 8.4%, without a JOIN
 *       44.5%, mid-schedule), the qualifier tokens right 70% (teacher-forced) and flat since step 2200, the FROM table
 *       written as often as the gold has it but not for the right fields. Probes on that checkpoint locate the gap: every
 *       Context field token's residual says which CREATE statement holds it (a linear probe reads it at 100% from block
 *       1 on), heads a1.h2 and a2.h2 attend to the next field's word in the instruction when a qualifier is written, but
 *       no head attends to that field's Context occurrence (0.003 of attention, as on any other Context field) and the
 *       residual there holds no trace of its statement (probe at chance). The one lookup head (query: the next field,
 *       key: the Context field tokens, value: their statement or table) formed with neither shape. Training on short JOIN
 *       queries first did not help either: 4 layers of 4 heads, 3000 steps on the JOIN queries with SQL under 250
 *       characters (58,830 of a 400,000-example CS5 set; 47 minutes on a shared machine, validation loss 0.34) scored
 *       1.3% exact on those same short queries, with 1.3% of them having every field right and 53.6% of the qualifiers
 *       naming the right table: with fewer tokens per step it had not even learned to copy the fields, so the second
 *       stage (the full set) was not run. Not yet tried: a longer schedule, wider heads. A 4-layer CS5 run since the
 *       fused tiled attention: 12.1k tokens/s on quiet cores (11.2k before), 2.3 GB resident (1.9 GB with -Xmx1g).
 *       A slower rotary base ({@code --rope-theta 1000000}; with 16-dimension heads four of the eight rotary pairs
 *       turn by less than half a radian over 400 tokens, against two with the usual 10000, so a content match across
 *       the Context is nearly free of position) with 3 layers of 8 heads and 8000 steps: 31.2% / 32.0% in 58.9 minutes
 *       on quiet cores (15.7k tokens/s; validation loss 0.076, where base 10000 had 0.074 and 28.8%): queries
 *       without a JOIN 93.3% exact, with one 11.8%, 312 of the 336 wrong JOIN queries wrong only in their qualifiers,
 *       and 58.6% of the qualifiers outside the ON clause right (the first table holds 54% of them), 57.8% at step
 *       3200 and 55.8% at step 5400: the lookup did not form with it either, so the rotary base is not what stops
 *       it.</li>
 *   <li>Pairs not measured yet (CS5's) borrow the nearest measured recipe of their variant (CS3 literal's and CS3
 *       synonym's).</li>
 * </ul>
 */
public final class SmallModelRecipe {
    /** Model width C of the recipe. */
    public static final int D_MODEL = 128;
    /** Blocks L of the recipe. */
    public static final int LAYERS = 2;
    /**
     * Attention heads H of the recipe (head dimension 16): with 4 heads (of 32 dimensions, the same parameters) CS1
     * literal's seed 3 scored 95.2% and CS3's 55.0%, with 8 heads 100% and 96.2% (see the notes).
     */
    public static final int HEADS = 8;
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
            LAYERS, D_MODEL, HEADS, MAX_POSITIONS, null, INIT_STD, STEPS, BATCH, PEAK_LR, 10, 5, 0.01, null);

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
     * CS1 synonym's measured recipe: {@link #CS1} with 8000 steps, the first 2000 on the examples whose lists have at
     * most 3 items ({@link Curriculum}): mapping a synonym to its column is one more composition step, and on 2 layers
     * without the curriculum the field-after-field heads formed on one seed of two; a third layer made them form on
     * every seed but took twice the time (see the notes).
     */
    private static final TrainingRecipe CS1_SYNONYM = CS1.as("CS1 synonym", true,
            "CS1 recipe with 8000 steps, the first 2000 on lists of at most 3 items; seeds 1-3: 98.4%, 98.2%, 99.0% exact "
                    + "(3 layers and 10000 steps without the curriculum: 97.4%, 99.8%, 100% in twice the time)")
            .withSteps(8000).withCurriculum(new Curriculum(2000, Curriculum.DEFAULT_MAX_ITEMS));

    /**
     * CS2 literal's measured recipe: {@link #CS1} (8 heads of 16 dimensions) with 6000 steps; with 4 heads the ORDER BY
     * direction heads formed on one seed of three (see the notes).
     */
    private static final TrainingRecipe CS2_LITERAL = CS1.as("CS2 literal", true,
            "CS1 recipe with 6000 steps; seeds 1-3: 98.6%, 99.2%, 98.8% exact (4 heads: 98.4%, 59.0%, 43.0%)")
            .withSteps(6000);

    /**
     * CS2 synonym's measured recipe: {@link #CS2_LITERAL} (2 layers, 8 heads) with 12000 steps, the first 3000 on the
     * examples whose lists have at most 3 items ({@link Curriculum}): the list-following heads form on short lists,
     * which the whole set alone did not make them do in 8000 or 10000 steps (see the notes).
     */
    private static final TrainingRecipe CS2_SYNONYM = CS2_LITERAL.as("CS2 synonym", true,
            "CS2 literal recipe with 12000 steps, the first 3000 on lists of at most 3 items; seeds 1-3: 98.4%, 99.0%, "
                    + "97.4% exact (without the curriculum: 11.0% after 8000 steps)").withSteps(12000)
            .withCurriculum(new Curriculum(3000, Curriculum.DEFAULT_MAX_ITEMS));

    /**
     * CS3 literal's measured recipe: {@link #CS1} with 9000 steps (the ORDER BY directions form late, and with 4 heads
     * on some seeds never; see the notes).
     */
    private static final TrainingRecipe CS3_LITERAL = CS1.as("CS3 literal", true,
            "CS1 recipe with 9000 steps; seeds 1-3: 96.2%, 96.0%, 96.2% exact (4 heads: 97.2%, 95.4%, 55.0%)").withSteps(9000);

    /**
     * CS3 synonym's measured recipe: {@link #CS3_LITERAL}'s 2 layers with 10000 steps, the first 2500 on lists of at
     * most 3 items ({@link #CS2_SYNONYM}'s curriculum in proportion): the borrowed 3 layers and 10000 steps without a
     * curriculum scored 94.6% in 41.0 minutes on seed 1, this 95.2% in 35.1; seed 3 is short of the target (91.4%; see
     * the notes).
     */
    private static final TrainingRecipe CS3_SYNONYM = CS3_LITERAL.as("CS3 synonym", true,
            "CS3 literal recipe with 10000 steps, the first 2500 on lists of at most 3 items; seeds 1-3: 95.2%, 95.8%, "
                    + "91.4% exact in 26.7-35.1 minutes (3 layers without the curriculum, seed 1: 94.6% in 41.0)").withSteps(10000)
            .withCurriculum(new Curriculum(2500, Curriculum.DEFAULT_MAX_ITEMS));

    /**
     * CS4 literal's measured recipe: {@link #CS3_LITERAL}'s values ({@link #CS1} with 9000 steps): CS4 has CS3's ORDER BY
     * over aggregates, whose directions 6000 steps left half-formed on seed 2 (see the notes).
     */
    private static final TrainingRecipe CS4_LITERAL = CS3_LITERAL.as("CS4 literal", true,
            "CS1 recipe with 9000 steps (CS3 literal's); seeds 1-3: 94.6%, 92.2%, 96.0% exact (6000 steps: 91.8%, 78.8% for seeds 1-2)");

    /**
     * CS4 synonym's measured recipe: {@link #CS3_SYNONYM}'s values (as CS4 literal's are CS3 literal's: 2 layers, 10000
     * steps, the first 2500 on lists of at most 3 items): the borrowed 3 layers without a curriculum scored 91.6% in
     * 50.6 minutes, this 93.6% in 43.9 (see the notes).
     */
    private static final TrainingRecipe CS4_SYNONYM = CS3_SYNONYM.as("CS4 synonym", true,
            "CS3 synonym recipe (CS4 literal's with 10000 steps, the first 2500 on lists of at most 3 items); seeds 1-2: "
                    + "93.6%, 92.8% exact in 43.9 and 39.1 minutes (3 layers without the curriculum, seed 1: 91.6% in 50.6)");

    /**
     * THE RECIPE TABLE: one entry per (command set, variant). Measured entries are complete recipes ({@link
     * TrainingRecipe#tuned()} true); every other pair borrows the nearest measured one, the literal recipe of its own
     * command set or of the last measured set before it, of the same variant, and says so (note "CS3 literal recipe,
     * not yet tuned"),
     * which {@code tinysql train} and the zoo's summary report. To record a measured recipe, replace the pair's
     * {@code untuned(...)} with a complete recipe, e.g.
     * {@code CS1.as(name(cs, v), true, "measured, issue 17").withLayers(3).withSteps(5000)}, and add its numbers to the
     * class notes.
     */
    private static TrainingRecipe table(CommandSet cs, Variant v) {
        return switch (cs) {
            case CS1 -> switch (v) {
                // 4 heads: 97.8%, 99.4%, 95.2% exact for seeds 1-3; 8 heads (the recipe): 99.4%, 99.6%, 100%
                case LITERAL -> CS1;
                // 4 heads, 2 layers, 3000 steps: 40.4% exact (a field repeated in place of the next); 3 layers, 8000
                // steps: 97.8%; 8 heads, 2 layers, 8000 steps: 99.8%, 49.8% for seeds 1-2; 8 heads, 3 layers, 8000 steps:
                // 99.4%, 98.2%, 96.0% for seeds 1-3; 10000 steps: 97.4%, 99.8%, 100% (25-28 minutes); 2 layers, 8000 steps,
                // the first 2000 on short lists (the recipe): 98.4%, 98.2%, 99.0% (seeds 1-3, 10.8-12.4 minutes)
                case SYNONYM -> CS1_SYNONYM;
            };
            case CS2 -> switch (v) {
                // 4 heads: 3000 steps 90.2% exact (ORDER BY); 6000: 98.4%, 59.0%, 43.0% for seeds 1-3; seed 2 with 3 layers
                // 54.2%, with 12000 steps 62.2%; with 8 heads and 6000 steps 98.6%, 99.2%, 98.8% for seeds 1-3
                case LITERAL -> CS2_LITERAL;
                // borrowed (3 layers, 10000 steps): 31.0% exact on seed 1 (36.1 minutes), the field order never learned;
                // 2 layers, 8000 steps: 11.0%; with 2000 of them on lists of at most 3 items 72.2%; 12000 steps with 3000
                // on short lists (the recipe): 98.4%, 99.0%, 97.4% (seeds 1-3, 27.2, 28.7 and 34.3 minutes, the last on a slower host)
                case SYNONYM -> CS2_SYNONYM;
            };
            case CS3 -> switch (v) {
                // 3000 steps: 34.8% exact; 6000: 91.4%; 9000: 97.2% exact, 98.8% execution (seed 1); 8 heads, 6000: 93.4%
                // seeds 2 and 3 with 9000 steps: 95.4% and 55.0% (seed 3's ORDER BY directions 55.8%: CS2's 4-head failure);
                // 8 heads and 9000 steps (the recipe): 96.2%, 96.0%, 96.2% for seeds 1-3
                case LITERAL -> CS3_LITERAL;
                // borrowed (3 layers, 10000 steps): 94.6% exact, 96.4% execution on seed 1 (41.0 minutes); 2 layers, 10000
                // steps, the first 2500 on short lists (the recipe): 95.2%, 95.8%, 91.4% for seeds 1-3 (seed 3 misses long
                // lists and was still learning)
                case SYNONYM -> CS3_SYNONYM;
            };
            case CS4 -> switch (v) {
                // 8 heads, 6000 steps: 91.8% exact (seed 1), 78.8% (seed 2: ORDER BY directions 92%); 9000 steps (the
                // recipe): 94.6%, 92.2%, 96.0% for seeds 1-3 (seed 2's directions 99.2%; the misses long lists)
                case LITERAL -> CS4_LITERAL;
                // borrowed (3 layers, 10000 steps): 91.6% exact, 94.8% execution on seed 1 (50.6 minutes); 2 layers, 10000
                // steps, the first 2500 on short lists (the recipe): 93.6%, 92.8% for seeds 1-2 (43.9, 39.1 minutes)
                case SYNONYM -> CS4_SYNONYM;
            };
            // CS5 examples (two CREATE statements, joined fields) reach 551 tokens (p99 435): 512 positions are too few.
            // CS5 keeps CS3's recipes (not CS4's, the last measured set, whose values they are): neither 4000 steps nor
            // 3 layers with 8 heads formed its field-to-table lookup (18.8%, 28.8% exact), nor did a rotary base of 10^6
            // with them (31.2%, synonym 31.4%), so the shorter and cheaper runs stay the defaults
            case CS5 -> switch (v) {
                case LITERAL -> untuned(cs, v, CS3_LITERAL).withMaxPositions(768);
                case SYNONYM -> untuned(cs, v, CS3_SYNONYM).withMaxPositions(768);
            };
        };
    }

    /** "CS3 synonym". */
    static String name(CommandSet cs, Variant v) {
        return cs + " " + v.name().toLowerCase(Locale.ROOT);
    }

    /** {@code base}'s values, named for another pair and marked as not measured for it. */
    private static TrainingRecipe untuned(CommandSet cs, Variant v, TrainingRecipe base) {
        return base.as(name(cs, v), false, base.name() + " recipe, not yet tuned");
    }
}
