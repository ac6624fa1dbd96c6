package org.tinysql.sql;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.data.CommandSet;
import org.tinysql.data.TinySqlExample;

/** Scores many predictions with every scorer, in parallel (each worker thread owns its own scorers). */
public final class Scoring {
    private static final Logger LOG = LoggerFactory.getLogger(Scoring.class);

    /**
     * One item to score: the Context, the gold SQL, the prediction and, when known, the command set the example
     * belongs to (a dataset row's {@code command_set}; only the {@code original} scorer's rules depend on it).
     *
     * @param context    the prompt's Context: the CREATE statement(s)
     * @param gold       the gold SQL
     * @param predicted  the predicted SQL; may be {@code null} or empty
     * @param commandSet the example's command set, or {@code null} when unknown
     */
    public record Item(String context, String gold, String predicted, CommandSet commandSet) {
        /**
         * An item whose command set is not known.
         *
         * @param context   the prompt's Context
         * @param gold      the gold SQL
         * @param predicted the predicted SQL
         */
        public Item(String context, String gold, String predicted) {
            this(context, gold, predicted, null);
        }

        /**
         * The item of a dataset row and a prediction for it.
         *
         * @param row       the dataset row: its Context, gold SQL and command set are used
         * @param predicted the predicted SQL for its prompt
         * @return the item
         */
        public static Item of(TinySqlExample row, String predicted) {
            return new Item(row.createStatement(), row.sqlStatement(), predicted, CommandSet.values()[row.commandSet() - 1]);
        }
    }

    private Scoring() {
    }

    /**
     * The items of dataset rows and their predictions, pairwise.
     *
     * @param rows        the dataset rows
     * @param predictions the predicted SQL of each row, in the same order
     * @return one item per row
     * @throws IllegalArgumentException when the lists differ in length
     */
    public static List<Item> items(List<TinySqlExample> rows, List<String> predictions) {
        if (rows.size() != predictions.size()) {
            throw new IllegalArgumentException(rows.size() + " rows but " + predictions.size() + " predictions");
        }
        List<Item> items = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            items.add(Item.of(rows.get(i), predictions.get(i)));
        }
        return items;
    }

    /**
     * The five standard scorers: original (the paper's metric), partial, exact, structural, execution.
     *
     * @return one factory per scorer, in that order; each call makes a fresh scorer
     */
    public static List<Supplier<SqlScorer>> standardScorers() {
        return List.of(OriginalScore::new, PartialScore::new, ExactMatch::new, StructuralMatch::new, ExecutionMatch::new);
    }

    /**
     * Per-example results for each scorer, keyed by scorer name, in input order.
     *
     * @param items   the items to score
     * @param scorers factories; every worker thread makes its own scorer from each and closes it when done
     * @param threads the number of worker threads, at least 1 used and at most one per item
     * @return for each scorer name, in {@code scorers} order, one result per item in {@code items} order
     * @throws IllegalStateException if interrupted, or if a worker fails outside a scorer's item scoring
     */
    public static Map<String, List<ScoreResult>> scoreAll(List<Item> items, List<Supplier<SqlScorer>> scorers, int threads) {
        int workers = Math.max(1, Math.min(threads, items.size()));
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "tinysql-scoring");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Map<String, List<ScoreResult>>>> parts = new ArrayList<>();
            int chunk = (items.size() + workers - 1) / workers;
            for (int w = 0; w < workers; w++) {
                List<Item> slice = items.subList(Math.min(items.size(), w * chunk), Math.min(items.size(), (w + 1) * chunk));
                parts.add(pool.submit(() -> scoreSlice(slice, scorers)));
            }
            Map<String, List<ScoreResult>> merged = new LinkedHashMap<>();
            for (Future<Map<String, List<ScoreResult>>> f : parts) {
                f.get().forEach((name, list) -> merged.computeIfAbsent(name, k -> new ArrayList<>()).addAll(list));
            }
            return merged;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("scoring interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("scoring failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Aggregate reports, one per scorer.
     *
     * @param results per scorer name, its results, as {@link #scoreAll} returns
     * @return one report per scorer, in the map's order
     */
    public static List<ScoreReport> report(Map<String, List<ScoreResult>> results) {
        List<ScoreReport> reports = new ArrayList<>();
        results.forEach((name, list) -> reports.add(ScoreReport.of(name, list)));
        return reports;
    }

    private static Map<String, List<ScoreResult>> scoreSlice(List<Item> slice, List<Supplier<SqlScorer>> scorers) {
        Map<String, List<ScoreResult>> out = new LinkedHashMap<>();
        for (Supplier<SqlScorer> sup : scorers) {
            SqlScorer scorer = sup.get();
            try {
                List<ScoreResult> results = new ArrayList<>(slice.size());
                for (Item it : slice) {
                    results.add(scoreOne(scorer, it));
                }
                out.put(scorer.name(), results);
            } finally {
                closeQuietly(scorer);
            }
        }
        return out;
    }

    /**
     * One item under one scorer. Scorers do not throw on bad input; should one still fail, the item counts as wrong
     * with the reason and the other items are scored as usual.
     */
    static ScoreResult scoreOne(SqlScorer scorer, Item it) {
        try {
            return scorer.score(it);
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            LOG.warn("{} scorer failed on an item: {}", scorer.name(), e.toString());
            return ScoreResult.wrong("scorer failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + ReasonText.firstLine(e)));
        }
    }

    private static void closeQuietly(SqlScorer s) {
        if (s instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // nothing to release beyond the scorer itself
            }
        }
    }
}
