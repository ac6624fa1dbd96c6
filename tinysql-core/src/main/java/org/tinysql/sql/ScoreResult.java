package org.tinysql.sql;

import java.util.Map;

/**
 * The score of one prediction.
 *
 * @param score   in [0, 1]; 1 means fully correct
 * @param correct whether the prediction counts as right under this scorer
 * @param reason  why it is wrong (parse error, missing clause, execution error), or "" when right
 * @param clauses per-clause verdicts where the scorer has them (e.g. select, where, order_by), else empty
 */
public record ScoreResult(double score, boolean correct, String reason, Map<String, Boolean> clauses) {

    /**
     * A fully correct result.
     *
     * @return score 1, correct, empty reason and no clause verdicts
     */
    public static ScoreResult right() {
        return new ScoreResult(1.0, true, "", Map.of());
    }

    /**
     * A wrong result without partial credit.
     *
     * @param reason why the prediction is wrong
     * @return score 0, not correct, no clause verdicts
     */
    public static ScoreResult wrong(String reason) {
        return new ScoreResult(0.0, false, reason, Map.of());
    }
}
