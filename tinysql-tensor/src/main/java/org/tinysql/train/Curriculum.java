package org.tinysql.train;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.data.TinySqlExample;

/**
 * Short lists first: the first {@link #steps} optimisation steps draw their batches only from the training examples
 * whose every list (the SELECT fields, the ORDER BY items, the GROUP BY fields, the WHERE conditions) has at most
 * {@link #maxItems} items; the later steps draw from the whole training set. The learning-rate schedule runs over all
 * steps unchanged.
 *
 * <p>Why: on CS2 synonym (SELECT and ORDER BY lists of 1 to 12 items whose fields are named by synonyms) two layers
 * trained on the whole set from the start learned to follow the instruction's list only slowly, writing the previous
 * field again (validation loss 0.74 at step 4000 of 8000, 11.0% exact at the end); with the first 2000 steps on the
 * examples with at most 3 SELECT and 3 ORDER BY items the same run had 0.18 at step 4000 and scored 72.2%, and with
 * 12000 steps, 3000 of them on short lists, 98.4%: the "next item of the list" heads form on short lists and carry
 * over to long ones. Short <em>responses</em> are not the same thing: the 35% of examples with the fewest response
 * tokens (mostly one or two items per list) left 0.52 at step 4000 (see {@link SmallModelRecipe}'s notes).
 *
 * @param steps    the steps at the start of the run that train on the short lists only; 0 turns the curriculum off
 * @param maxItems the most items any list of an example may have during those steps; at least 1 when {@code steps}
 *                 is above 0
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Curriculum(int steps, int maxItems) {

    private static final Logger LOG = LoggerFactory.getLogger(Curriculum.class);

    /** The list length a curriculum allows unless told otherwise (CS2 synonym's). */
    public static final int DEFAULT_MAX_ITEMS = 3;
    /** The largest {@link #maxItems} accepted (a bound for untrusted files; TinySQL's lists have at most 12 items). */
    static final int MAX_ITEMS = 1000;

    /** No curriculum: every step draws from the whole training set. */
    public static final Curriculum NONE = new Curriculum(0, 0);

    /**
     * Checks the values.
     * @param steps steps on the short lists, at least 0
     * @param maxItems the most items per list during those steps, 0 to 1000; at least 1 when steps is above 0
     */
    public Curriculum {
        if (steps < 0) {
            throw new IllegalArgumentException("curriculum steps must be at least 0, not " + steps);
        }
        if (maxItems < (steps > 0 ? 1 : 0) || maxItems > MAX_ITEMS) {
            throw new IllegalArgumentException("curriculum max_items must be " + (steps > 0 ? 1 : 0) + ".." + MAX_ITEMS
                    + (steps > 0 ? " for a curriculum of " + steps + " steps" : "") + ", not " + maxItems);
        }
    }

    /**
     * Whether some steps train on a part of the set.
     * @return true when {@link #steps} is above 0
     */
    public boolean active() {
        return steps > 0;
    }

    /**
     * Whether the curriculum's steps may train on {@code e}: none of its lists is longer than {@link #maxItems}.
     * @param e a training example
     * @return true when every list of {@code e} has at most {@code maxItems} items
     */
    public boolean admits(TinySqlExample e) {
        return e.select().size() <= maxItems && e.orderBy().size() <= maxItems && e.groupBy().size() <= maxItems
                && e.where().size() <= maxItems;
    }

    /**
     * The encoded examples the first {@link #steps} draw from, in the set's own order (so the per-epoch shuffles of
     * {@link BatchOrder} see them as they see the whole set).
     * @param examples the training set
     * @param encoded the same examples encoded, index for index
     * @param batchSize examples per step: the curriculum must admit at least one batch
     * @return the admitted examples; all of {@code encoded} when the curriculum is not {@link #active()}
     * @throws IllegalArgumentException when fewer than {@code batchSize} examples are admitted
     */
    List<EncodedExample> admitted(List<TinySqlExample> examples, List<EncodedExample> encoded, int batchSize) {
        if (!active()) {
            return encoded;
        }
        List<EncodedExample> out = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            if (admits(examples.get(i))) {
                out.add(encoded.get(i));
            }
        }
        if (out.size() < batchSize) {
            throw new IllegalArgumentException("the curriculum (lists of at most " + maxItems + " items) admits " + out.size()
                    + " of " + examples.size() + " training examples, fewer than one batch of " + batchSize);
        }
        return out;
    }

    /**
     * The batches of the curriculum's steps: a {@link BatchOrder} over the {@link #admitted} examples, logged.
     * @param examples the training set
     * @param encoded the same examples encoded, index for index
     * @param cfg the run's settings (batch size, length buckets, seed)
     * @return the order of the curriculum's batches
     */
    BatchOrder batchOrder(List<TinySqlExample> examples, List<EncodedExample> encoded, TrainerConfig cfg) {
        List<EncodedExample> admitted = admitted(examples, encoded, cfg.batchSize());
        LOG.info("curriculum: steps 0-{} draw from the {} of {} training examples whose lists have at most {} items", steps - 1,
                admitted.size(), encoded.size(), maxItems);
        return new BatchOrder(admitted, cfg.batchSize(), cfg.lengthBuckets(), cfg.seed());
    }

    /**
     * For a recipe's description: "" when off, else e.g. "curriculum: 2000 steps on lists of at most 3 items, ".
     * @return the phrase, ending with ", " when not empty
     */
    public String describe() {
        return active() ? "curriculum: " + steps + (steps == 1 ? " step" : " steps") + " on lists of at most " + maxItems + " items, " : "";
    }
}
