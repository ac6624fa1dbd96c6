package org.tinysql.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Our stricter partial-credit scorer: what it must and must not forgive. */
class PartialScoreTest {
    static final String CTX = ScorersTest.CTX;
    static final String GOLD = "SELECT name, price FROM products WHERE stock >= 7 ORDER BY price DESC";
    final PartialScore partial = new PartialScore();

    @Test
    void aTrailingSemicolonCostsNothing() {
        // The exact scorer strips it; so does the partial scorer (before: 0.993, the length part lost 1/15).
        for (String pred : new String[] {GOLD + ";", GOLD + " ;", GOLD + ";;", " " + GOLD + " ; "}) {
            ScoreResult r = partial.score(CTX, GOLD, pred);
            assertTrue(r.correct(), pred + ": " + r);
            assertEquals(1.0, r.score(), pred);
            assertTrue(new ExactMatch().score(CTX, GOLD, pred).correct(), pred);
        }
        // A semicolon anywhere else is still a difference.
        assertFalse(partial.score(CTX, GOLD, "SELECT name, price FROM products; WHERE stock >= 7 ORDER BY price DESC").correct());
    }

    @Test
    void comparisonOperatorsCount() {
        // Before: operators were neither keywords nor identifiers, so every one of these scored 1.0 and correct.
        for (String op : new String[] {">", "<", "<=", "=", "!=", "<>"}) {
            String pred = GOLD.replace(">=", op);
            ScoreResult r = partial.score(CTX, GOLD, pred);
            assertFalse(r.correct(), pred);
            assertTrue(r.score() < 1.0 && r.score() > 0.8, pred + ": " + r.score());
            assertEquals(Boolean.FALSE, r.clauses().get("keywords"), pred);
        }
        // != and <> are the same operator.
        String ne = "SELECT name FROM products WHERE stock != 7";
        assertTrue(partial.score(CTX, ne, ne.replace("!=", "<>")).correct());
        // A dropped operator is a difference too.
        assertFalse(partial.score(CTX, GOLD, GOLD.replace(" >= 7", " 7")).correct());
    }
}
