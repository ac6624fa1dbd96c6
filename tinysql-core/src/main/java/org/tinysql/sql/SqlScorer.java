package org.tinysql.sql;

/**
 * Scores a predicted SQL statement against the gold statement, given the prompt's Context (CREATE statements).
 * Implementations never throw on bad predictions: any failure is a wrong result with a reason.
 */
public interface SqlScorer {

    /** A short name for reports, e.g. {@code exact}. */
    String name();

    ScoreResult score(String context, String gold, String predicted);

    /**
     * Scores one item. Scorers whose rules depend on the item's command set (the {@code original} scorer) override
     * this; the others score the Context, gold and prediction alone.
     */
    default ScoreResult score(Scoring.Item item) {
        return score(item.context(), item.gold(), item.predicted());
    }

    /** Shared guard for null, empty and oversized predictions; returns null when the prediction may be scored. */
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
