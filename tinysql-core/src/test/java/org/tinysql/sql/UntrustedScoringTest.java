package org.tinysql.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Regression tests for scoring untrusted predictions and untrusted Contexts (security issue, items 1-4). */
class UntrustedScoringTest {
    static final String CTX = ScorersTest.CTX;
    static final String GOLD = ScorersTest.GOLD_ORDER;

    static ExecutionMatch exec;
    static final List<SqlScorer> ALL = new ArrayList<>();

    @BeforeAll
    static void open() {
        exec = new ExecutionMatch();
        ALL.add(new PartialScore());
        ALL.add(new ExactMatch());
        ALL.add(new StructuralMatch());
        ALL.add(exec);
    }

    @AfterAll
    static void close() {
        exec.close();
    }

    // ---- Item 1: code execution from a dataset's Context ----

    @Test
    void contextColumnNamesCannotInjectSqlIntoTheAdminConnection() throws Exception {
        String file = "TINYSQL_ITEM1_" + System.nanoTime() + ".CSV";
        Path written = Path.of(file);
        String[] payloads = {
            "`e\" INT); CALL CSVWRITE('" + file + "', 'SELECT 1'); --` INT",
            "\"e\"\" INT); CALL CSVWRITE('" + file + "', 'SELECT 1'); --\" INT",
            "[e\" INT); EXECUTE IMMEDIATE 'CREATE ALIAS PWN AS ''int p() { return 1; }'''; --] INT",
        };
        try {
            for (String payload : payloads) {
                String ctx = "CREATE TABLE products ( price DECIMAL(10,2), name VARCHAR(255), " + payload + " )";
                ScoreResult r = exec.score(ctx, GOLD, GOLD);
                assertFalse(r.correct(), payload);
                assertTrue(r.reason().startsWith("cannot build the Context schema: Context at character"), r.reason());
                assertFalse(Files.exists(written), "the Context wrote a file through the admin connection: " + payload);
            }
        } finally {
            Files.deleteIfExists(written);
        }
        assertTrue(exec.score(CTX, GOLD, GOLD).correct());
    }

    @Test
    void quotedContextIdentifiersScoreNormally() {
        String gold = "SELECT title FROM tasks WHERE id > 3 ORDER BY title";
        String[] contexts = {
            "CREATE TABLE \"tasks\" (\"id\" INT, \"title\" VARCHAR(50))",
            "CREATE TABLE `tasks` (`id` INT, `title` VARCHAR(50));",
            "CREATE TABLE [tasks] ([id] INT NOT NULL PRIMARY KEY, [title] VARCHAR(50))",
        };
        for (String ctx : contexts) {
            ScoreResult r = exec.score(ctx, gold, gold);
            assertTrue(r.correct(), ctx + ": " + r.reason());
            ScoreResult quoted = exec.score(ctx, gold, "SELECT \"title\" FROM \"tasks\" WHERE \"id\" > 3 ORDER BY \"title\"");
            assertTrue(quoted.correct(), ctx + ": " + quoted.reason());
            assertFalse(exec.score(ctx, gold, "SELECT title FROM tasks WHERE id > 4 ORDER BY title").correct(), ctx);
        }
    }

    @Test
    void contextIsReadIntoAValidatedModel() throws SqlRejectedException {
        ContextSchema s = ContextSchema.parse("CREATE TABLE products ( price DECIMAL(10,2), name VARCHAR(255), "
                + "stock INTEGER, created_at DATE, is_active BOOLEAN ) ; CREATE TABLE IF NOT EXISTS \"Orders\" "
                + "(id INT PRIMARY KEY, total DOUBLE PRECISION NOT NULL, note TEXT, PRIMARY KEY (id))");
        assertEquals(2, s.tables().size());
        assertEquals("CREATE TABLE \"PRODUCTS\" (\"PRICE\" DECIMAL(10,2), \"NAME\" CHARACTER VARYING(255), "
                + "\"STOCK\" INTEGER, \"CREATED_AT\" DATE, \"IS_ACTIVE\" BOOLEAN)", s.tables().get(0).ddl());
        assertEquals("CREATE TABLE \"ORDERS\" (\"ID\" INTEGER, \"TOTAL\" DOUBLE PRECISION, \"NOTE\" CHARACTER VARYING)",
                s.tables().get(1).ddl());
    }

    @Test
    void badContextsGetAnErrorNamingThePlace() {
        assertRejected("CREATE TABLE products ( price DECIMAL(10,2), \"na me\" VARCHAR(20) )",
                "Context at character 46 (table PRODUCTS): name \"na me\" is not allowed");
        assertRejected("CREATE TABLE products ( price BLOB )",
                "Context at character 31 (table PRODUCTS, column PRICE): unsupported type \"BLOB\"");
        assertRejected("CREATE TABLE products ( name VARCHAR(999999) )",
                "(table PRODUCTS, column NAME): length of VARCHAR must be 1..65535");
        assertRejected("CREATE TABLE t ( a INT, a INT )", "(table T): column A is declared twice");
        assertRejected("CREATE TABLE t ( a INT ); DROP TABLE t", "Context at character 27: expected CREATE");
        assertRejected("CREATE TABLE t ( a INT DEFAULT 'x' )", "unexpected character \"'\"");
        assertRejected("CREATE TABLE t ( a INT ) " + "x".repeat(ContextSchema.MAX_CONTEXT_CHARS), "Context too long");
        StringBuilder wide = new StringBuilder("CREATE TABLE t (c0 INT");
        for (int i = 1; i <= ContextSchema.MAX_COLUMNS; i++) {
            wide.append(", c").append(i).append(" INT");
        }
        assertRejected(wide.append(')').toString(), "more than 64 columns");
    }

    private static void assertRejected(String context, String expected) {
        try {
            ContextSchema.parse(context);
        } catch (SqlRejectedException e) {
            assertTrue(e.getMessage().contains(expected), e.getMessage());
            return;
        }
        throw new AssertionError("accepted: " + context);
    }

    // ---- Item 2: multiple statements ----

    @Test
    void onlyExactlyOneSelectIsScoredAndItemsStayIsolated() {
        String[] multi = {
            GOLD + "; SET SCHEMA INFORMATION_SCHEMA",
            GOLD + "; SET SCHEMA INFORMATION_SCHEMA;",
            GOLD + " -- comment\n; SET SCHEMA INFORMATION_SCHEMA",
            GOLD + " /* ; */ ; SET SCHEMA INFORMATION_SCHEMA",
            GOLD + "; " + GOLD,
        };
        for (String m : multi) {
            for (SqlScorer s : ALL) {
                ScoreResult r = s.score(CTX, GOLD, m);
                assertFalse(r.correct(), s.name() + " accepted " + m);
            }
            assertTrue(exec.score(CTX, GOLD, m).reason().contains("exactly one statement"), exec.score(CTX, GOLD, m).reason());
            assertTrue(new StructuralMatch().score(CTX, GOLD, m).reason().contains("exactly one statement"));
            // The next item is unaffected.
            assertTrue(exec.score(CTX, GOLD, GOLD).correct(), "after " + m);
        }
    }

    @Test
    void whatRunsIsWhatWasCheckedEvenWhereParsersDisagreeOnComments() {
        // JSqlParser ends the comment at the first "*/"; H2 nests block comments and would run the REGEXP_REPLACE.
        String regex = "REGEXP_REPLACE(REPEAT('a', 28) || '!', '(.*a){14}$', 'x')";
        String hidden = "SELECT name, price /* /* */ FROM products ORDER BY price DESC -- */ , " + regex
                + " FROM (SELECT * FROM products LIMIT 1) products ORDER BY price DESC";
        ScoreResult r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> exec.score(CTX, GOLD, hidden));
        assertTrue(r.correct(), r.reason());
    }

    // ---- Item 3: timeouts that hold ----

    @Test
    void regularExpressionsAreRefusedBeforeTheyRun() {
        String[] regexes = {
            "SELECT REGEXP_REPLACE(REPEAT('a', 28) || '!', '(.*a){14}$', 'x')",
            "SELECT 1 WHERE REGEXP_LIKE(REPEAT('a', 28) || '!', '(.*a){14}$')",
            "SELECT 1 WHERE REPEAT('a', 28) || '!' REGEXP '(.*a){14}$'",
            "SELECT 1 WHERE REPEAT('a', 28) || '!' SIMILAR TO '(%a){14}'",
            "SELECT 1 WHERE REPEAT('a', 28) || '!' ~ '(.*a){14}$'",
        };
        for (String q : regexes) {
            ScoreResult r = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> exec.score(CTX, GOLD, q));
            assertFalse(r.correct(), q);
            assertTrue(r.reason().startsWith("rejected: ") || r.reason().startsWith("unparsable: "), q + ": " + r.reason());
        }
        assertTrue(exec.score(CTX, GOLD, regexes[0]).reason().contains("REGEXP_REPLACE"));
    }

    @Test
    void likePatternsThatBacktrackAreRefused() {
        // H2 matches LIKE by backtracking and does not check for cancellation inside: this takes ~50 s.
        String q = "SELECT 1 WHERE '" + "a".repeat(70) + "' LIKE '" + "%a".repeat(7) + "%b'";
        ScoreResult r = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> exec.score(CTX, GOLD, q));
        assertTrue(r.reason().contains("LIKE pattern with more than"), r.reason());
    }

    // ---- Item 4: one bad item must not abort an eval ----

    @Test
    void deepExpressionsAreWrongWithAReasonNotAStackOverflow() {
        String deep = "SELECT " + "1+".repeat(6_000) + "1 FROM products";
        assertTrue(deep.length() > 12_000);
        for (SqlScorer s : ALL) {
            ScoreResult r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> s.score(CTX, GOLD, deep));
            assertFalse(r.correct(), s.name());
            assertFalse(r.reason().isEmpty(), s.name());
        }
        assertTrue(new StructuralMatch().score(CTX, GOLD, deep).reason().contains("too many tokens"));
        String parens = "SELECT name FROM products WHERE " + "(".repeat(40) + "1 = 1" + ")".repeat(40);
        assertTrue(new StructuralMatch().score(CTX, GOLD, parens).reason().contains("nested too deeply"));
    }

    @Test
    void memoryHungryPredictionsAreRefused() {
        String[] hungry = {
            "SELECT ARRAY_AGG(REPEAT('x', 1000000)) FROM SYSTEM_RANGE(1, 5000)",
            "SELECT REPEAT(name, 100000000) FROM products",
            "SELECT LPAD(name, 100000000, 'x') FROM products",
            "SELECT COUNT(*) FROM SYSTEM_RANGE(1, 1000000000)",
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r",
            "SELECT CAST(name AS CHAR(255)) FROM products",
        };
        for (String q : hungry) {
            ScoreResult r = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> exec.score(CTX, GOLD, q));
            assertFalse(r.correct(), q);
            assertTrue(r.reason().startsWith("rejected: "), q + ": " + r.reason());
        }
    }

    @Test
    void resultsAreReadUnderACharacterBudget() {
        String wide = "SELECT '" + "x".repeat(500) + "', a.name FROM products a, products b, products c";
        ScoreResult r = exec.score(CTX, GOLD, wide);
        assertEquals("execution error: result too large (more than 1000000 characters)", r.reason());
    }

    @Test
    void infiniteAndHugeNumbersAreCompared() {
        ScoreResult inf = exec.score(CTX, GOLD, "SELECT name, CAST('Infinity' AS DOUBLE) FROM products ORDER BY price DESC");
        assertEquals("no predicted column has the values of result column 2", inf.reason());
        ScoreResult huge = exec.score(CTX, GOLD, "SELECT name, price * 1e99 * 1e99 * 1e99 * 1e99 FROM products ORDER BY price DESC");
        assertEquals("no predicted column has the values of result column 2", huge.reason());
        assertEquals("1.23456789E+400", QueryResult.value(new java.math.BigDecimal("1.2345678912E+400")));
    }

    @Test
    void aScorerThatFailsOnOneItemDoesNotAbortTheOthers() {
        Supplier<SqlScorer> fragile = () -> new SqlScorer() {
            @Override
            public String name() {
                return "fragile";
            }

            @Override
            public ScoreResult score(String context, String gold, String predicted) {
                switch (predicted) {
                    case "stack" -> throw new StackOverflowError();
                    case "memory" -> throw new OutOfMemoryError("Java heap space");
                    case "bug" -> throw new IllegalStateException("bug");
                    default -> {
                        return ScoreResult.right();
                    }
                }
            }
        };
        List<Scoring.Item> items = new ArrayList<>();
        for (String p : List.of("ok", "stack", "ok", "memory", "bug", "ok")) {
            items.add(new Scoring.Item(CTX, GOLD, p));
        }
        Map<String, List<ScoreResult>> res = Scoring.scoreAll(items, List.of(fragile), 2);
        List<ScoreResult> list = res.get("fragile");
        assertEquals(6, list.size());
        assertEquals(List.of(true, false, true, false, false, true), list.stream().map(ScoreResult::correct).toList());
        assertEquals("scorer failed: StackOverflowError", list.get(1).reason());
        assertEquals("scorer failed: OutOfMemoryError: Java heap space", list.get(3).reason());
        assertEquals("scorer failed: IllegalStateException: bug", list.get(4).reason());
    }
}
