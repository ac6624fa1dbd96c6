package org.tinysql.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tinysql.data.TinySqlExample;
import org.tinysql.model.SqlPredictor;
import org.tinysql.sql.ExactMatch;
import org.tinysql.sql.ScoreReport;
import org.tinysql.sql.ScoreResult;
import org.tinysql.sql.Scoring;
import org.tinysql.sql.SelectSizeAccuracy;
import org.tinysql.util.ConsoleProgressBar;

/** Greedy predictions of a model folder and their scores with every scorer: {@code tinysql eval} and the zoo use it. */
final class ModelEvaluation {
    /** Prompts decoded together. */
    static final int BATCH = 32;

    private ModelEvaluation() {
    }

    /** The model folder's greedy predictions for {@code gold} (up to {@link SqlPredictor#MAX_NEW_TOKENS} tokens each). */
    static List<String> predict(Path modelDir, List<TinySqlExample> gold) throws IOException {
        SqlPredictor predictor = SqlPredictor.load(modelDir, SqlPredictor.MAX_NEW_TOKENS);
        try (ConsoleProgressBar bar = new ConsoleProgressBar("predict", gold.size())) {
            return predictor.predict(gold, BATCH, bar);
        }
    }

    /**
     * Every standard scorer's verdicts on {@code predictions[i]} against {@code gold[i]}.
     *
     * @param reports           one report per standard scorer
     * @param exactBySelectSize exact match per size band of the gold SELECT list (where long-list misses show)
     */
    record Scores(List<ScoreReport> reports, List<SelectSizeAccuracy> exactBySelectSize) {
        /** The reports and the exact match per SELECT size, as {@code tinysql eval} prints them. */
        String describe() {
            StringBuilder sb = new StringBuilder();
            reports.forEach(r -> sb.append(r.describe()).append('\n'));
            if (!exactBySelectSize.isEmpty()) {
                sb.append("exact by SELECT list size: ").append(SelectSizeAccuracy.describe(exactBySelectSize)).append('\n');
            }
            return sb.toString();
        }
    }

    /** Scores {@code predictions[i]} against {@code gold[i]} with every standard scorer; prints the time taken. */
    static Scores score(List<TinySqlExample> gold, List<String> predictions, int threads) {
        List<Scoring.Item> items = Scoring.items(gold, predictions);
        long t0 = System.nanoTime();
        Map<String, List<ScoreResult>> results = Scoring.scoreAll(items, Scoring.standardScorers(), threads);
        List<ScoreReport> reports = Scoring.report(results);
        System.out.printf(Locale.ROOT, "scored %d predictions in %.2f s%n", items.size(), (System.nanoTime() - t0) / 1e9);
        List<ScoreResult> exact = results.get(new ExactMatch().name());
        return new Scores(reports, exact == null ? List.of() : SelectSizeAccuracy.of(gold, exact));
    }
}
