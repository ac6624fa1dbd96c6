package org.tinysql.sql;

/** Exact match after whitespace and case normalisation (string literals keep their case). */
public final class ExactMatch implements SqlScorer {

    @Override
    public String name() {
        return "exact";
    }

    @Override
    public ScoreResult score(String context, String gold, String predicted) {
        ScoreResult rejected = SqlScorer.rejectUnscorable(predicted);
        if (rejected != null) {
            return rejected;
        }
        return SqlText.normalize(gold).equals(SqlText.normalize(predicted))
                ? ScoreResult.right() : ScoreResult.wrong("differs from gold");
    }
}
