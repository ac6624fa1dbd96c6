package org.tinysql.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Cases where a scorer compared text (or order, or columns) more strictly or more loosely than SQL's meaning. */
class ScorerEdgeCasesTest {
    static final String JOIN_CTX = "CREATE TABLE products ( id INTEGER, name VARCHAR(255), price DECIMAL(10,2) ) "
            + "CREATE TABLE orders ( id INTEGER, product_id INTEGER, qty INTEGER )";
    static final String JOIN_GOLD = "SELECT products.name, orders.qty FROM products JOIN orders ON products.id = orders.product_id";
    static final String BOOL_CTX = "CREATE TABLE flags ( id INTEGER, name VARCHAR(50), is_active BOOLEAN, is_deleted BOOLEAN, city VARCHAR(50) )";

    static ExecutionMatch exec;
    static final StructuralMatch STRUCT = new StructuralMatch();

    @BeforeAll
    static void open() {
        exec = new ExecutionMatch();
    }

    @AfterAll
    static void close() {
        exec.close();
    }

    private static void right(SqlScorer s, String ctx, String gold, String pred) {
        ScoreResult r = s.score(ctx, gold, pred);
        assertTrue(r.correct(), s.name() + " should accept " + pred + " for " + gold + ": " + r.reason());
    }

    private static void wrong(SqlScorer s, String ctx, String gold, String pred) {
        ScoreResult r = s.score(ctx, gold, pred);
        assertFalse(r.correct(), s.name() + " should refuse " + pred + " for " + gold);
    }

    /** Was: structural compared FROM and each JOIN's table literally, so the same inner join written the other way round was wrong. */
    @Test
    void anInnerJoinWithSwappedSidesOrReversedOnIsRight() {
        for (String pred : List.of(
                "SELECT products.name, orders.qty FROM orders JOIN products ON orders.product_id = products.id",
                "SELECT products.name, orders.qty FROM products JOIN orders ON orders.product_id = products.id",
                "SELECT orders.qty, products.name FROM orders INNER JOIN products ON products.id = orders.product_id",
                "SELECT p.name, o.qty FROM products AS p JOIN orders AS o ON p.id = o.product_id",
                "SELECT p.name, o.qty FROM orders o JOIN products p ON o.product_id = p.id")) {
            right(STRUCT, JOIN_CTX, JOIN_GOLD, pred);
            right(exec, JOIN_CTX, JOIN_GOLD, pred);
        }
    }

    @Test
    void aWrongJoinKeyOrKindIsWrong() {
        for (String pred : List.of(
                "SELECT products.name, orders.qty FROM products JOIN orders ON products.id = orders.id",
                "SELECT products.name, orders.qty FROM orders JOIN products ON orders.qty = products.id",
                "SELECT products.name, orders.qty FROM products LEFT JOIN orders ON products.id = orders.product_id")) {
            wrong(STRUCT, JOIN_CTX, JOIN_GOLD, pred);
            wrong(exec, JOIN_CTX, JOIN_GOLD, pred);
        }
        // An outer join keeps its sides: a LEFT JOIN b is b RIGHT JOIN a, not b LEFT JOIN a.
        String left = "SELECT products.name, orders.qty FROM products LEFT JOIN orders ON products.id = orders.product_id";
        wrong(STRUCT, JOIN_CTX, left, "SELECT products.name, orders.qty FROM orders LEFT JOIN products ON products.id = orders.product_id");
        right(STRUCT, JOIN_CTX, left, "SELECT products.name, orders.qty FROM products LEFT JOIN orders ON orders.product_id = products.id");
    }

    /** Was: structural split its text at every space, so literals with spaces were torn apart. */
    @Test
    void stringLiteralsWithSpacesStayWhole() {
        String ctx = "CREATE TABLE stores ( name VARCHAR(50), city VARCHAR(50) )";
        String gold = "SELECT name FROM stores WHERE city = 'New York'";
        right(STRUCT, ctx, gold, "SELECT name FROM stores WHERE 'New York' = city");
        right(exec, ctx, gold, "SELECT name FROM stores WHERE 'New York' = city");
        for (String pred : List.of("SELECT name FROM stores WHERE city = 'New  York'", "SELECT name FROM stores WHERE city = 'new york'",
                "SELECT name FROM stores WHERE city = 'NewYork'")) {
            wrong(STRUCT, ctx, gold, pred);
            wrong(new ExactMatch(), ctx, gold, pred);
            wrong(exec, ctx, gold, pred);
        }
        // A dotted word inside a literal is not a table qualifier.
        String dotted = "SELECT name FROM stores WHERE city = 'St. x.y'";
        wrong(STRUCT, ctx, dotted, "SELECT name FROM stores WHERE city = 'St. y'");
        wrong(STRUCT, ctx, "SELECT name FROM stores WHERE city = 'a ( b'", "SELECT name FROM stores WHERE city = 'a (b'");
    }

    /** Was: execution compared ordered results row by row, so rows that tie on the ORDER BY keys had to come in H2's order. */
    @Test
    void rowsThatTieOnTheOrderByKeysMayComeInAnyOrder() {
        String gold = "SELECT name, city FROM flags ORDER BY is_active";
        right(exec, BOOL_CTX, gold, "SELECT city, name FROM flags ORDER BY is_active");
        right(exec, BOOL_CTX, gold, "SELECT name, city FROM flags ORDER BY is_active ASC, name DESC");
        right(exec, BOOL_CTX, gold, "SELECT name, city FROM flags ORDER BY is_active, city DESC, name DESC");
        wrong(exec, BOOL_CTX, gold, "SELECT name, city FROM flags ORDER BY is_active DESC");
        wrong(exec, BOOL_CTX, gold, "SELECT name, city FROM flags ORDER BY name");
        // Keys given by position or alias, and aggregate keys.
        String agg = "SELECT COUNT(id) AS n, city FROM flags GROUP BY city ORDER BY COUNT(id) DESC";
        right(exec, BOOL_CTX, agg, "SELECT city, COUNT(id) AS n FROM flags GROUP BY city ORDER BY n DESC, city");
        right(exec, BOOL_CTX, "SELECT COUNT(id) AS n, city FROM flags GROUP BY city ORDER BY n DESC", agg);
        right(exec, BOOL_CTX, "SELECT COUNT(id), city FROM flags GROUP BY city ORDER BY 1 DESC", agg);
        wrong(exec, BOOL_CTX, agg, "SELECT COUNT(id) AS n, city FROM flags GROUP BY city ORDER BY COUNT(id) ASC");
    }

    private static QueryResult result(String... rows) {
        List<List<String>> r = new ArrayList<>();
        for (String row : rows) {
            r.add(List.of(row.split(",")));
        }
        return new QueryResult(r.get(0).size(), r);
    }

    /** Was: each gold column took the first predicted column with the same sorted values, which need not be its own. */
    @Test
    void columnsWithTheSameValuesAreMatchedByWholeRows() {
        QueryResult want = result("T,F,a", "F,T,b", "T,T,c", "F,F,d");
        assertNull(QueryResult.compare(want, result("F,T,a", "T,F,b", "T,T,c", "F,F,d"), null),
                "the two boolean columns swapped");
        assertNull(QueryResult.compare(want, result("a,F,T", "b,T,F", "c,T,T", "d,F,F"), null));
        assertEquals("different rows", QueryResult.compare(want, result("T,T,a", "F,F,b", "T,F,c", "F,T,d"), null));
        assertNull(QueryResult.compare(want, result("F,T,a", "T,F,b", "T,T,c", "F,F,d"), QueryResult.strictOrder(4)));
        // Many identical columns: found at once, not after trying their 10! orders.
        String row = "T,".repeat(10) + "x";
        assertNull(QueryResult.compare(result(row, row), result(row, row), null));
        String gold = "SELECT is_active, is_deleted, city FROM flags";
        right(exec, BOOL_CTX, gold, "SELECT is_deleted, is_active, city FROM flags");
        right(exec, BOOL_CTX, gold, "SELECT city, is_deleted, is_active FROM flags");
        wrong(exec, BOOL_CTX, gold, "SELECT is_active, is_active, city FROM flags");
    }
}
