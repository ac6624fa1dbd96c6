package org.tinysql.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;

/**
 * The {@code original} scorer against scores computed by hand from the original's rules (withmartian/TinySQL,
 * {@code evaluate_cs1/2/3_prediction}): one row per kind of prediction, each score written as points earned over
 * points possible with the arithmetic in the comment.
 *
 * <p>Totals with every criterion counted, for N gold fields (A of them aggregated) and M ORDER BY fields:
 * CS1 = part 1 (4 + 10 length) + part 2 (N present + N after SELECT + 1 FROM after fields + 1 table after FROM +
 * 10 unknown words); CS2 adds ORDER BY (1 + M + 10); CS3 replaces part 2 by N + A aliases + N + 1 + 1 + 10.
 * "After SELECT" is only counted when SELECT is present, "FROM after fields" when FROM is, "table after FROM" when both
 * FROM and the table are. Unknown words: 0 -> 10, 1 -> 8, 2 -> 6, 3-4 -> 4, 5-8 -> 2. Length: at most 2 characters
 * longer than the gold -> 10, 3-4 -> 8, 5-6 -> 6, 7-8 -> 4, 9-10 -> 2, more -> 0.
 */
class OriginalScoreTest {
    /** 32 characters. */
    static final String CS1 = "SELECT name, price FROM products";
    /** 52 characters. */
    static final String CS2 = "SELECT name, price FROM products ORDER BY price DESC";
    static final String CS3 = "SELECT MAX(price) AS MAX_price, COUNT(name) AS COUNT_name FROM products ORDER BY MAX(price) DESC";
    static final String CS3_GROUPED = "SELECT AVG(price) AS AVG_price, name FROM products GROUP BY name ORDER BY AVG(price) DESC";
    static final String CS4 = "SELECT name FROM products WHERE stock >= 7 AND name LIKE '%a%' ORDER BY name ASC";
    static final String CS5 = "SELECT customers.name, orders.total FROM customers JOIN orders ON customers.id = "
            + "orders.customer_id WHERE orders.total > 100";

    /** One hand-scored prediction; {@code cs} null: the command set the gold's features imply. */
    record Row(String kind, CommandSet cs, String gold, String predicted, int earned, int total) {
    }

    static final List<Row> TABLE = List.of(
            // ---- CS1: full marks are 14 + 16 = 30
            new Row("gold", null, CS1, CS1, 30, 30),
            new Row("lower-cased keywords", null, CS1, "select name, price from products", 30, 30),
            new Row("layout: newlines, tabs, no-break space", null, CS1, "SELECT\tname,\n  price\u00a0FROM products", 30, 30),
            // part 2: NAME 1/2 present; after SELECT 2/2 (PRICE absent: vacuous); FROM after 1/1; table 1/1; unknown 10
            new Row("missing field", null, CS1, "SELECT name FROM products", 14 + 15, 30),
            // 39 chars, 7 over: length 4; unknown STOCK: 8; part 1 = 4 + 4, part 2 = 2 + 2 + 1 + 1 + 8
            new Row("extra field", null, CS1, "SELECT name, price, stock FROM products", 8 + 14, 30),
            // field order is not checked
            new Row("swapped fields", null, CS1, "SELECT price, name FROM products", 30, 30),
            // part 1: table missing 3 + 10; part 2: 2 + 2 + 1, "table after FROM" not counted, unknown ITEMS 8
            new Row("wrong table", null, CS1, "SELECT name, price FROM items", 13 + 13, 14 + 15),
            // "PRODUCTS;" is neither the table nor known: as a wrong table
            new Row("trailing semicolon", null, CS1, CS1 + ";", 13 + 13, 14 + 15),
            // "NAME,PRICE" is one word: fields 0/2, after SELECT 2/2 (vacuous), FROM 1/1, table 1/1, unknown 8
            new Row("comma without space", null, CS1, "SELECT name,price FROM products", 14 + 12, 30),
            // part 1: table only 1 + length 10 = 11/14; part 2: fields 0/2, no SELECT/FROM rules, PRODUCTS known 10
            new Row("short junk: the table name", null, CS1, "products", 11 + 10, 14 + 12),
            // part 1: 0 + 10; part 2: 0/2 + one unknown word 8
            new Row("short junk: a word", null, CS1, "hello", 10 + 8, 14 + 12),
            // 65 chars: length 0 -> part 1 = 4; part 2: 2 + 2 + FROM (3) not after PRICE (8) 0 + table (4) after FROM 1 + 10
            new Row("repeated answer", null, CS1, CS1 + " " + CS1, 4 + 15, 30),
            // part 1: no SELECT, not first: 2 + 10; part 2: 2, no SELECT rule, FROM 1, table 1, unknown 10 -> 14/14
            new Row("no SELECT", null, CS1, "name, price FROM products", 12 + 14, 14 + 14),
            // The length allowance is relative to the gold as given: the original's own gold layout (40 chars)
            // lets the 39-char extra-field answer keep its 10 length points.
            new Row("extra field, original gold layout", null, "SELECT\n    name,\n    price\nFROM products",
                    "SELECT name, price, stock FROM products", 14 + 14, 30),

            // ---- CS2: 14 + 16 + ORDER BY (1 + 1 + 10) = 42
            new Row("gold", null, CS2, CS2, 42, 42),
            new Row("lower-cased keywords", null, CS2, CS2.toLowerCase(java.util.Locale.ROOT), 42, 42),
            // directions are never checked
            new Row("flipped direction", null, CS2, CS1 + " ORDER BY price ASC", 42, 42),
            // no ORDER BY: its part is 0 of 0
            new Row("missing ORDER BY", null, CS2, CS1, 30, 30),
            // ORDER BY part: 1 + PRICE missing 0 + unknown NAME 8 = 9/12
            new Row("wrong ORDER BY field", null, CS2, CS1 + " ORDER BY name DESC", 30 + 9, 42),
            // ORDER BY part: 1 + 1 + unknown NAME 8 = 10/12
            new Row("extra ORDER BY field", null, CS2, CS2 + ", name ASC", 30 + 10, 42),
            // Command set given as CS2 for a gold without ORDER BY: the part before ORDER BY (33 chars, 1 over) is
            // perfect, the ORDER BY part 1 + unknown PRICE 8 = 9/11.
            new Row("ORDER BY the gold lacks, CS2 rules", CommandSet.CS2, CS1, CS1 + " ORDER BY price ASC", 30 + 9, 30 + 11),
            // The same under CS1 rules (the gold's own features): 52 chars -> length 0: part 1 = 4/14; part 2: 2 + 2 +
            // FROM (word 3) before the second PRICE (word 7) 0 + table 1 + unknown ORDER, BY, ASC 4 = 9/16
            new Row("ORDER BY the gold lacks, CS1 rules", null, CS1, CS1 + " ORDER BY price ASC", 4 + 9, 30),

            // ---- CS3, two aggregates, no GROUP BY: 14 + ORDER BY 12 + (2 + 2 aliases + 2 + 1 + 1 + 10 = 18) = 44
            new Row("gold", null, CS3, CS3, 44, 44),
            // aliases 0/2
            new Row("missing aliases", null, CS3, "SELECT MAX(price), COUNT(name) FROM products ORDER BY MAX(price) DESC",
                    42, 44),
            // MAX(PRICE) 0 + COUNT(NAME) 1; aliases 1/2; after SELECT 2/2; FROM 1; table 1; unknown MIN(PRICE), MIN_PRICE 6
            new Row("wrong aggregate", null, CS3, CS3.replaceFirst("MAX\\(price\\) AS MAX_price", "MIN(price) AS MIN_price"),
                    14 + 12 + 12, 44),
            // "MAX(", "PRICE", ")" are three unknown words and MAX(PRICE) is missing: 1 + 2 + 2 + 1 + 1 + 4 = 11/18
            new Row("spaces inside an aggregate", null, CS3, CS3.replaceFirst("MAX\\(price\\)", "MAX( price )"),
                    14 + 12 + 11, 44),
            new Row("flipped direction", null, CS3, CS3.replace("DESC", "ASC"), 44, 44),
            // GROUP and BY are unknown (6) and NAME in GROUP BY comes after FROM (FROM after fields 0): the gold
            // itself scores 14 + 12 + (2 + 1 + 2 + 0 + 1 + 6 = 12 of 17)
            new Row("gold with GROUP BY (CS3 rules)", null, CS3_GROUPED, CS3_GROUPED, 14 + 12 + 12, 14 + 12 + 17),

            // ---- extension, CS4: 14 + (1 + 0 + 1 + 1 + 1 + 10 = 14) + WHERE (1 + 7 + 10 = 18) + ORDER BY 12 = 58
            new Row("gold", null, CS4, CS4, 58, 58),
            // WHERE: 1 + 6 of 7 (>= missing) + unknown > 8 = 15/18
            new Row("operator changed", null, CS4, CS4.replace(">=", ">"), 58 - 3, 58),
            // WHERE: all 18 points lost
            new Row("missing WHERE", null, CS4, "SELECT name FROM products ORDER BY name ASC", 58 - 18, 58),
            // conditions in another order: every gold word is there
            new Row("conditions swapped", null, CS4,
                    "SELECT name FROM products WHERE name LIKE '%a%' AND stock >= 7 ORDER BY name ASC", 58, 58),
            // a WHERE the gold lacks: 1 + unknown STOCK, >, 7 -> 4 = 5/11
            new Row("WHERE the gold lacks", CommandSet.CS4, "SELECT name FROM products ORDER BY name ASC",
                    "SELECT name FROM products WHERE stock > 7 ORDER BY name ASC", 14 + 14 + 5 + 12, 14 + 14 + 11 + 12),
            // GROUP BY has its own clause in the extension: the grouped gold scores full marks under CS4 rules
            new Row("gold with GROUP BY (CS4 rules)", CommandSet.CS4, CS3_GROUPED, CS3_GROUPED, 14 + 17 + 12 + 12, 55),

            // ---- extension, CS5: 14 + (2 + 2 + 1 + 1 + 10 = 16) + JOIN (1 + 5 + 10) + WHERE (1 + 3 + 10) = 60
            new Row("gold", null, CS5, CS5, 60, 60),
            new Row("JOIN keys swapped", null, CS5, CS5.replace("customers.id = orders.customer_id",
                    "orders.customer_id = customers.id"), 60, 60),
            // JOIN: all 16 points lost
            new Row("missing JOIN", null, CS5,
                    "SELECT customers.name, orders.total FROM customers WHERE orders.total > 100", 44, 60),
            // fields 0/2, after SELECT 2/2 (vacuous), FROM 1, table 1, unknown NAME, TOTAL 6 = 10/16
            new Row("unqualified fields", null, CS5, CS5.replace("SELECT customers.name, orders.total", "SELECT name, total"),
                    54, 60));

    @Test
    void reproducesTheHandComputedScores() {
        OriginalScore s = new OriginalScore();
        List<String> failures = new ArrayList<>();
        for (Row row : TABLE) {
            ScoreResult r = s.scoreAs(row.cs(), row.gold(), row.predicted());
            double expected = (double) row.earned() / row.total();
            if (Math.abs(r.score() - expected) > 1e-9 || r.correct() != (row.earned() == row.total())) {
                failures.add(String.format("%s (%s): expected %d/%d = %.6f, got %.6f (%s)", row.kind(), row.gold(),
                        row.earned(), row.total(), expected, r.score(), r.reason()));
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void emptyAndBlankPredictionsScoreZero() {
        OriginalScore s = new OriginalScore();
        for (String p : new String[] {"", "   ", "\n\t", "\u00a0\u2003", null}) {
            ScoreResult r = s.score(null, CS2, p);
            assertEquals(0.0, r.score());
            assertFalse(r.correct());
        }
    }

    @Test
    void reasonsAndClausesNameThePartsThatLostPoints() {
        ScoreResult r = new OriginalScore().score(null, CS4, "SELECT name FROM products ORDER BY name ASC");
        assertEquals(Map.of("select", true, "where", false, "order_by", true), r.clauses());
        assertTrue(r.reason().startsWith("40 of 58 points (CS4 rules); short in where 0/18"), r.reason());
        assertTrue(new OriginalScore().score(null, CS4, CS4).reason().isEmpty());
    }

    @Test
    void goldOutsideTheTinySqlShapeIsAClearError() {
        OriginalScore s = new OriginalScore();
        for (String gold : new String[] {"DELETE FROM products", "SELECT 1", "SELECT FROM products", "SELECT name FROM",
            "SELECT a,, b FROM t", "SELECT a FROM t ORDER BY ,", "x".repeat(SqlText.MAX_PREDICTION_CHARS + 1)}) {
            ScoreResult r = s.score(null, gold, CS1);
            assertFalse(r.correct(), gold);
            assertTrue(r.reason().startsWith("gold SQL is not a TinySQL query: "), r.reason());
        }
    }

    @Test
    void theItemsCommandSetDecidesTheRules() {
        // A CS2 row whose gold has no ORDER BY, and a prediction that adds one: the row's command set applies.
        TinySqlExample row = new TinySqlExample(2, "products", null, false, ScorersTest.CTX, "Show name and price", CS1,
                List.of(), List.of(), List.of(), List.of(), List.of(), null, null, List.of(), null);
        Scoring.Item item = Scoring.Item.of(row, CS1 + " ORDER BY price ASC");
        assertEquals(CommandSet.CS2, item.commandSet());
        assertEquals(39.0 / 41, Scoring.scoreOne(new OriginalScore(), item).score(), 1e-12);
        assertEquals(13.0 / 30, new OriginalScore().score(item.context(), item.gold(), item.predicted()).score(), 1e-12);
    }

    @Test
    void everyGeneratedGoldScoresFullMarksExceptCs3GroupBy() {
        OriginalScore s = new OriginalScore();
        for (CommandSet cs : CommandSet.values()) {
            for (TinySqlExample e : new DatasetGenerator(cs, Variant.SYNONYM, 31).generate(1_000)) {
                ScoreResult r = s.score(Scoring.Item.of(e, e.sqlStatement()));
                boolean grouped = cs == CommandSet.CS3 && !e.groupBy().isEmpty();
                assertEquals(!grouped, r.correct(), cs + " " + e.sqlStatement() + ": " + r.reason());
            }
        }
    }
}
