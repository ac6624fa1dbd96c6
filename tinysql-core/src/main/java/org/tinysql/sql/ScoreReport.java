package org.tinysql.sql;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Aggregate of one scorer over many predictions: mean score, accuracy, per-clause accuracy and the most frequent
 * reasons for failure.
 *
 * @param scorer         the scorer's {@link SqlScorer#name()}
 * @param n              the number of predictions
 * @param meanScore      the mean {@link ScoreResult#score()}, 0 when {@code n} is 0
 * @param accuracy       the share of correct predictions, 0 when {@code n} is 0
 * @param clauseAccuracy per clause, the share of the results that have a verdict for it and got it right
 * @param topReasons     the five commonest failure reasons (first 60 characters) with their counts, commonest first
 */
public record ScoreReport(String scorer, int n, double meanScore, double accuracy, Map<String, Double> clauseAccuracy,
                          Map<String, Integer> topReasons) {

    /**
     * Aggregates results.
     *
     * @param scorer  the scorer's name
     * @param results one result per prediction; may be empty
     * @return the report
     */
    public static ScoreReport of(String scorer, List<ScoreResult> results) {
        int n = results.size();
        double sum = 0;
        int correct = 0;
        Map<String, int[]> clauses = new LinkedHashMap<>();
        Map<String, Integer> reasons = new TreeMap<>();
        for (ScoreResult r : results) {
            sum += r.score();
            correct += r.correct() ? 1 : 0;
            r.clauses().forEach((k, v) -> {
                int[] c = clauses.computeIfAbsent(k, x -> new int[2]);
                c[0] += v ? 1 : 0;
                c[1]++;
            });
            if (!r.correct()) {
                String key = r.reason().length() > 60 ? r.reason().substring(0, 60) : r.reason();
                reasons.merge(key, 1, Integer::sum);
            }
        }
        Map<String, Double> clauseAcc = new LinkedHashMap<>();
        clauses.forEach((k, c) -> clauseAcc.put(k, (double) c[0] / c[1]));
        Map<String, Integer> top = new LinkedHashMap<>();
        reasons.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(5)
                .forEach(e -> top.put(e.getKey(), e.getValue()));
        return new ScoreReport(scorer, n, n == 0 ? 0 : sum / n, n == 0 ? 0 : (double) correct / n, clauseAcc, top);
    }

    /**
     * A human-readable summary: accuracy and mean score, then per-clause accuracy and top failure reasons if any.
     *
     * @return one to three lines
     */
    public String describe() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-10s n=%d  accuracy %.2f%%  mean score %.4f",
                scorer, n, 100 * accuracy, meanScore));
        if (!clauseAccuracy.isEmpty()) {
            sb.append("\n  per clause:");
            clauseAccuracy.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.1f%%", k, 100 * v)));
        }
        if (!topReasons.isEmpty()) {
            sb.append("\n  top failure reasons: ").append(topReasons);
        }
        return sb.toString();
    }
}
