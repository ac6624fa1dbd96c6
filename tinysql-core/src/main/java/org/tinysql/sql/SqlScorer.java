package org.tinysql.sql;

/**
 * Scores a predicted SQL statement against the gold statement, given the prompt's Context (CREATE statements).
 * Implementations never throw on bad predictions: any failure is a wrong result with a reason.
 */
public interface SqlScorer {

    /**
     * A short name for reports, e.g. {@code exact}.
     *
     * @return the name, lower case
     */
    String name();

    /**
     * Scores a prediction.
     *
     * @param context   the prompt's Context: the CREATE statement(s) the SQL runs against
     * @param gold      the gold SQL
     * @param predicted the predicted SQL; may be {@code null}, empty or malformed
     * @return the result; never {@code null}, and a failure is a wrong result with a reason, not an exception
     */
    ScoreResult score(String context, String gold, String predicted);

    /**
     * Scores one item. Scorers whose rules depend on the item's command set (the {@code original} scorer) override
     * this; the others score the Context, gold and prediction alone.
     *
     * @param item the Context, gold and prediction, with the command set
     * @return the result, as {@link #score(String, String, String)} gives
     */
    default ScoreResult score(Scoring.Item item) {
        return score(item.context(), item.gold(), item.predicted());
    }

    /**
     * Shared guard for null, empty and oversized predictions; returns null when the prediction may be scored.
     *
     * @param predicted the predicted SQL, or {@code null}
     * @return a wrong result for a null, blank or over-long ({@link SqlText#MAX_PREDICTION_CHARS}) prediction, else
     *     {@code null}
     */
    static ScoreResult rejectUnscorable(String predicted) {
        if (predicted == null || predicted.isBlank()) {
            return ScoreResult.wrong("empty prediction");
        }
        if (predicted.length() > SqlText.MAX_PREDICTION_CHARS) {
            return ScoreResult.wrong("prediction too long (" + predicted.length() + " chars > "
                    + SqlText.MAX_PREDICTION_CHARS + ")");
        }
        return null;
    }
}
