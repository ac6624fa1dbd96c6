package org.tinysql.interp.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tinysql.data.CommandSet;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.model.SqlPredictor;
import org.tinysql.sql.ScoreReport;
import org.tinysql.sql.Scoring;
import org.tinysql.util.Progress;

/**
 * Analysis 1: a model trained on CSi, evaluated with greedy decoding on the held-out test prompts of every CSj <= i
 * (same variant), with all four scorers and the structural scorer's per-clause accuracy. The test prompts of CSj are
 * the test split of the CSj dataset generated with the model's dataset size and seed, so they are the ones the zoo
 * evaluates on the diagonal.
 */
public final class AccuracyMatrix {
    /** Prompts decoded together. */
    static final int DECODE_BATCH = 32;
    /** Threads that score predictions. */
    static final int SCORING_THREADS = 2;
    /** Wrong predictions kept per cell as examples. */
    static final int EXAMPLES_KEPT = 3;

    private AccuracyMatrix() {
    }

    /**
     * One cell of the matrix.
     *
     * @param commandSet the command set of the test prompts (1-5)
     * @param prompts    the number of test prompts
     * @param exact      exact-match accuracy
     * @param execution  execution accuracy (same result rows on H2)
     * @param structural structural accuracy (same clauses)
     * @param partial    partial-match accuracy
     * @param original   the paper's own metric (its share of fully right answers)
     * @param clauses    the structural scorer's per-clause accuracy
     * @param wrong      a few wrong predictions: instruction, gold SQL, predicted SQL
     */
    public record Cell(int commandSet, int prompts, double exact, double execution, double structural, double partial,
                       double original, Map<String, Double> clauses, List<List<String>> wrong) {
    }

    /**
     * The held-out test prompts of a command set.
     *
     * @param model the model (its variant, dataset size and seed)
     * @param cs    the command set of the prompts
     * @param n     how many (at most the test split's size)
     * @return the first {@code n} test prompts
     */
    public static List<TinySqlExample> testPrompts(StudyModel model, CommandSet cs, int n) {
        return model.rows(cs, Split.TEST, n);
    }

    /**
     * Evaluates one cell.
     *
     * @param predictor the model with its tokenizer
     * @param prompts   the test prompts of one command set
     * @param cs        that command set
     * @param progress  advanced per prompt decoded
     * @return the cell
     */
    public static Cell evaluate(SqlPredictor predictor, List<TinySqlExample> prompts, CommandSet cs, Progress progress) {
        List<String> predicted = predictor.predict(prompts, DECODE_BATCH, progress);
        Map<String, List<org.tinysql.sql.ScoreResult>> results = Scoring.scoreAll(Scoring.items(prompts, predicted), Scoring.standardScorers(), SCORING_THREADS);
        List<ScoreReport> reports = Scoring.report(results);
        List<org.tinysql.sql.ScoreResult> exact = results.get("exact");
        List<List<String>> wrong = new ArrayList<>();
        for (int i = 0; i < prompts.size() && wrong.size() < EXAMPLES_KEPT; i++) {
            if (!exact.get(i).correct()) {
                wrong.add(List.of(prompts.get(i).englishPrompt(), prompts.get(i).sqlStatement(), predicted.get(i)));
            }
        }
        ScoreReport structural = find(reports, "structural");
        return new Cell(cs.level(), prompts.size(), accuracy(reports, "exact"), accuracy(reports, "execution"),
                accuracy(reports, "structural"), accuracy(reports, "partial"), accuracy(reports, "original"),
                structural == null ? Map.of() : structural.clauseAccuracy(), wrong);
    }

    private static double accuracy(List<ScoreReport> reports, String scorer) {
        ScoreReport r = find(reports, scorer);
        return r == null ? Double.NaN : r.accuracy();
    }

    private static ScoreReport find(List<ScoreReport> reports, String scorer) {
        return reports.stream().filter(r -> r.scorer().equals(scorer)).findFirst().orElse(null);
    }
}
