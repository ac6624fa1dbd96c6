package org.tinysql.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;

class ScorersTest {
    static final String CTX = "CREATE TABLE products ( price DECIMAL(10,2), name VARCHAR(255), stock INTEGER, "
            + "created_at DATE, is_active BOOLEAN )";
    static final String GOLD_ORDER = "SELECT name, price FROM products ORDER BY price DESC";
    static final String GOLD_WHERE = "SELECT name, price FROM products WHERE stock > 5 AND name LIKE '%a%'";

    static ExecutionMatch exec;
    static final List<SqlScorer> ALL = new ArrayList<>();

    @BeforeAll
    static void open() {
        exec = new ExecutionMatch();
        ALL.add(new OriginalScore());
        ALL.add(new PartialScore());
        ALL.add(new ExactMatch());
        ALL.add(new StructuralMatch());
        ALL.add(exec);
    }

    @AfterAll
    static void close() {
        exec.close();
    }

    @Test
    void groundTruthScoresOneUnderEveryScorerForEveryCommandSet() {
        List<Scoring.Item> items = new ArrayList<>();
        for (CommandSet cs : CommandSet.values()) {
            for (Variant v : Variant.values()) {
                for (TinySqlExample e : new DatasetGenerator(cs, v, 100 + cs.level()).generate(600)) {
                    items.add(Scoring.Item.of(e, e.sqlStatement()));
                }
            }
        }
        Map<String, List<ScoreResult>> res = Scoring.scoreAll(items, Scoring.standardScorers(), 2);
        assertEquals(List.of("original", "partial", "exact", "structural", "execution"), List.copyOf(res.keySet()));
        res.forEach((name, list) -> {
            assertEquals(items.size(), list.size());
            for (int i = 0; i < list.size(); i++) {
                ScoreResult r = list.get(i);
                Scoring.Item it = items.get(i);
                // The paper's metric does not know GROUP BY: a grouped CS3 gold loses points (a documented flaw).
                boolean flaw = name.equals("original") && it.commandSet() == CommandSet.CS3 && it.gold().contains(" GROUP BY ");
                assertTrue(flaw ? !r.correct() && r.score() < 1.0 : r.correct() && r.score() == 1.0,
                        name + " on " + it.gold() + " | " + it.context() + ": " + r.reason());
            }
        });
    }

    @Test
    void swappedFieldIsWrongEverywhere() {
        String pred = "SELECT name, stock FROM products ORDER BY price DESC";
        for (SqlScorer s : ALL) {
            ScoreResult r = s.score(CTX, GOLD_ORDER, pred);
            assertFalse(r.correct(), s.name());
            assertTrue(r.score() < 1.0, s.name());
        }
        ScoreResult partial = new PartialScore().score(CTX, GOLD_ORDER, pred);
        assertTrue(partial.score() > 0.5, "partial credit for a near miss: " + partial);
        ScoreResult struct = new StructuralMatch().score(CTX, GOLD_ORDER, pred);
        assertEquals(Boolean.FALSE, struct.clauses().get("select"));
        assertEquals(Boolean.TRUE, struct.clauses().get("order_by"));
    }

    @Test
    void wrongDirectionIsWrong() {
        String pred = "SELECT name, price FROM products ORDER BY price ASC";
        for (SqlScorer s : ALL) {
            // The paper's metric never checks directions (a documented flaw it keeps on purpose).
            assertEquals(s instanceof OriginalScore, s.score(CTX, GOLD_ORDER, pred).correct(), s.name());
        }
        assertEquals(Boolean.FALSE, new StructuralMatch().score(CTX, GOLD_ORDER, pred).clauses().get("order_by"));
        assertTrue(exec.score(CTX, GOLD_ORDER, pred).reason().contains("order"), exec.score(CTX, GOLD_ORDER, pred).reason());
    }

    @Test
    void missingWhereIsWrong() {
        String pred = "SELECT name, price FROM products";
        for (SqlScorer s : ALL) {
            assertFalse(s.score(CTX, GOLD_WHERE, pred).correct(), s.name());
        }
        assertEquals(Boolean.FALSE, new StructuralMatch().score(CTX, GOLD_WHERE, pred).clauses().get("where"));
    }

    @Test
    void equivalentRewritesAreAcceptedWhereSqlIsOrderInsensitive() {
        String pred = "select price, name from products where name like '%a%' and 5 < stock;";
        assertTrue(new StructuralMatch().score(CTX, GOLD_WHERE, pred).correct());
        assertTrue(exec.score(CTX, GOLD_WHERE, pred).correct(), exec.score(CTX, GOLD_WHERE, pred).reason());
        assertFalse(new ExactMatch().score(CTX, GOLD_WHERE, pred).correct());
        assertTrue(new ExactMatch().score(CTX, GOLD_ORDER, "select  name ,price from PRODUCTS order by price desc ;").correct());
        // ORDER BY an alias is the same as ORDER BY its expression.
        String ctx = CTX;
        String gold = "SELECT COUNT(name) AS COUNT_name, is_active FROM products GROUP BY is_active ORDER BY COUNT(name) ASC";
        String alias = "SELECT COUNT(name) AS COUNT_name, is_active FROM products GROUP BY is_active ORDER BY COUNT_name";
        assertTrue(new StructuralMatch().score(ctx, gold, alias).correct());
        assertTrue(exec.score(ctx, gold, alias).correct(), exec.score(ctx, gold, alias).reason());
    }

    @Test
    void injectionLikeJunkIsWrongAndHarmless() {
        String[] junk = {
            "DROP TABLE products", "SELECT name FROM products; DROP TABLE products", "'; DELETE FROM products; --",
            "SELECT FILE_READ('/etc/passwd') FROM products", "CREATE ALIAS X AS 'int x() { return 1; }'",
            "SELECT * FROM INFORMATION_SCHEMA.USERS", "SHUTDOWN", "SELECT name FROM nowhere", "SELECT",
            "select name,, from", "\u0000\u0001\u0002", "SELECT name FROM products WHERE"
        };
        for (String j : junk) {
            for (SqlScorer s : ALL) {
                ScoreResult r = s.score(CTX, GOLD_ORDER, j);
                assertFalse(r.correct(), s.name() + " accepted " + j);
            }
        }
        // The database still works after all of that.
        assertTrue(exec.score(CTX, GOLD_ORDER, GOLD_ORDER).correct());
    }

    @Test
    void emptyNullAndHugePredictionsAreWrongWithAReason() {
        String huge = "SELECT " + "x, ".repeat(350_000) + "y FROM products";
        assertTrue(huge.length() > 1_000_000);
        for (SqlScorer s : ALL) {
            assertEquals("empty prediction", s.score(CTX, GOLD_ORDER, "").reason(), s.name());
            assertEquals("empty prediction", s.score(CTX, GOLD_ORDER, null).reason(), s.name());
            ScoreResult r = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> s.score(CTX, GOLD_ORDER, huge));
            assertFalse(r.correct());
            assertTrue(r.reason().contains("too long"), r.reason());
        }
    }

    @Test
    void runawayQueryTimesOut() {
        // Three table references pass the query policy; with 5000 rows each that is 1.25e11 combinations.
        String runaway = "SELECT COUNT(*) FROM products a, products b, products c";
        ExecutionMatch fast = new ExecutionMatch(5_000, 1);
        try {
            ScoreResult r = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> fast.score(CTX, GOLD_ORDER, runaway));
            assertFalse(r.correct());
            assertTrue(r.reason().contains("timed out"), r.reason());
        } finally {
            fast.close();
        }
    }

    @Test
    void executionCatchesSemanticallyWrongLiterals() {
        String gold = "SELECT name FROM products WHERE stock >= 7";
        assertFalse(exec.score(CTX, gold, "SELECT name FROM products WHERE stock > 7").correct(),
                "boundary rows make >= and > differ");
        assertFalse(exec.score(CTX, gold, "SELECT name FROM products WHERE stock >= 8").correct());
        assertTrue(exec.score(CTX, gold, "SELECT name FROM products WHERE 7 <= stock").correct());
    }

    @Test
    void reportAggregates() {
        List<Supplier<SqlScorer>> scorers = List.of(ExactMatch::new, StructuralMatch::new);
        List<Scoring.Item> items = List.of(new Scoring.Item(CTX, GOLD_ORDER, GOLD_ORDER),
                new Scoring.Item(CTX, GOLD_ORDER, "SELECT name, price FROM products ORDER BY price ASC"));
        List<ScoreReport> reports = Scoring.report(Scoring.scoreAll(items, scorers, 2));
        assertEquals(0.5, reports.get(0).accuracy());
        assertEquals(0.5, reports.get(1).accuracy());
        assertEquals(0.5, reports.get(1).clauseAccuracy().get("order_by"));
        assertEquals(1.0, reports.get(1).clauseAccuracy().get("select"));
        assertTrue(reports.get(1).describe().contains("order_by 50.0%"));
    }
}
