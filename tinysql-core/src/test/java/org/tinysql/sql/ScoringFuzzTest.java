package org.tinysql.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of everything the scorers parse: hostile predictions through all five scorers and hostile Contexts
 * through {@link ContextSchema} and the execution scorer. Every input must get a score with a reason (or a clear
 * {@link SqlRejectedException}) within its time budget; inputs built to be wrong must never be scored correct.
 */
class ScoringFuzzTest {
    static final String CTX = ScorersTest.CTX;
    static final String GOLD = ScorersTest.GOLD_ORDER;
    /** JSqlParser's parse timeout plus slack, for the scorers that only parse. */
    static final long PARSE_BUDGET_MS = SqlParsing.PARSE_TIMEOUT_MS + 1_500;

    /** A generated input; {@code mayBeRight} when it can legitimately be equivalent to the gold / a valid Context. */
    record Input(String template, String text, boolean mayBeRight) {
    }

    static final String[] STATEMENTS = {
        "SET SCHEMA INFORMATION_SCHEMA", "DROP TABLE products", "DELETE FROM products", "SHUTDOWN", "SET @x = 1",
        "CALL CSVWRITE('fuzz.csv', 'SELECT 1')", "CREATE ALIAS X AS 'int x() { return 1; }'", "RUNSCRIPT FROM 'x.sql'",
        "GRANT ALL ON products TO PUBLIC", "INSERT INTO products VALUES (1)", "CREATE TABLE z (a INT)", "SELECT 1",
        "EXECUTE IMMEDIATE 'DROP TABLE products'", "SET QUERY_TIMEOUT 0", "CHECKPOINT", "BACKUP TO 'b.zip'",
    };
    static final String[] FUNCTIONS = {
        "REGEXP_REPLACE(name, '(.*a){14}$', 'x')", "REGEXP_LIKE(name, 'a')", "REGEXP_SUBSTR(name, 'a')",
        "REPEAT(name, 1000000)", "SPACE(1000000)", "LPAD(name, 1000000, 'x')", "RPAD(name, 1000000, 'x')",
        "REPLACE(name, 'a', 'aaaaaaaa')", "FILE_READ('/etc/passwd')", "CSVREAD('/etc/passwd')", "ARRAY_AGG(name)",
        "LINK_SCHEMA('a', '', 'jdbc:h2:mem:x', 'sa', '', 'PUBLIC')", "STRING_AGG(name, ',')", "LISTAGG(name, ',')",
        "GROUP_CONCAT(name)", "RAND()", "RANDOM_UUID()", "DATABASE_PATH()", "SESSION_ID()", "NEXTVAL('s')",
        "H2VERSION()", "MEMORY_USED()", "DISK_SPACE_USED('products')", "CANCEL_SESSION(1)", "ABORT_SESSION(1)",
        "SET(@x, 1)", "SLEEP(10)", "ROUND(price, 100000)", "CAST(name AS CHAR(255))", "COUNT(*) OVER ()",
        "ZERO()", "TRUNCATE_VALUE(name, 1, FALSE)", "CURRVAL('s')", "ARRAY[1, 2]", "name::text", "@x := 1",
    };
    static final String[] FROMS = {
        "SYSTEM_RANGE(1, 1000000000)", "CSVREAD('/etc/passwd')", "INFORMATION_SCHEMA.USERS", "TABLE(a INT = (1, 2))",
        "PUBLIC.products", "products AS OF SYSTEM TIME '2020-01-01'", "products a, products b, products c, products d",
        "UNNEST(ARRAY[1, 2])", "(VALUES (1), (2)) v(x)", "LATERAL (SELECT 1) t", "nowhere", "products TABLESAMPLE (10)",
    };
    static final String[] SOUP = {
        "SELECT", "FROM", "WHERE", "ORDER", "BY", "GROUP", "(", ")", ",", ";", "'", "\"", "`", "--", "/*", "*/", "*",
        "=", "<", ">", "name", "price", "products", "AND", "OR", "NOT", "NULL", "1", "1e308", "UNION", "ALL", "JOIN",
        "ON", "AS", "CASE", "WHEN", "THEN", "END", "LIKE", "'%a%'", "IN", "EXISTS", "LIMIT", "OFFSET", "\\", "$$",
    };
    static final String[] ODD_CHARS = {
        "\u0000", "\u0001", "\u00a0", "\u202e", "\u200b", "\ufeff", "\uff33", "\ud83d\ude00", "\ud800", "\u2028",
        "\u0301", "\u00e9", "\u0131", "\u03a3", "\t", "\r\n", "\\", "\u001a",
    };

    @Test
    void hostilePredictionsGetAScoreWithAReasonInTime() {
        List<Input> inputs = predictions(new SplittableRandom(20_240_611L));
        ExecutionMatch exec = new ExecutionMatch(24, 1);
        List<SqlScorer> scorers = List.of(new OriginalScore(), new PartialScore(), new ExactMatch(), new StructuralMatch(), exec);
        Counts c = new Counts();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                for (Input in : inputs) {
                    for (SqlScorer s : scorers) {
                        long budget = s == exec ? exec.deadlineMillis() + 1_000 : PARSE_BUDGET_MS;
                        c.score(in, s.name(), budget, () -> s.score(CTX, GOLD, in.text()));
                    }
                }
            });
            // No item changed the database of a later one.
            assertTrue(exec.score(CTX, GOLD, GOLD).correct());
        } finally {
            exec.close();
        }
        c.report("fuzz sql predictions", inputs.size(), scorers.size(), "scorers");
    }

    @Test
    void hostileContextsGetAClearErrorOrAValidModel() {
        List<Input> inputs = contexts(new SplittableRandom(19_700_101L));
        ExecutionMatch exec = new ExecutionMatch(24, 1);
        Counts c = new Counts();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                for (Input in : inputs) {
                    String parseError = c.parseContext(in);
                    ScoreResult r = c.score(in, "execution", exec.deadlineMillis() + 1_000,
                            () -> exec.score(in.text(), GOLD, GOLD));
                    if (parseError != null && r != null) {
                        assertEquals("cannot build the Context schema: " + parseError, r.reason(), in.toString());
                    }
                }
            });
        } finally {
            exec.close();
        }
        c.report("fuzz create_statement", inputs.size(), 2, "checks (ContextSchema.parse, execution scorer)");
    }

    /** Outcome counts; every crash, hang and silent acceptance is kept with its input for the failure message. */
    static final class Counts {
        int clearErrors;
        int accepted;
        final List<String> crashes = new ArrayList<>();
        final List<String> hangs = new ArrayList<>();
        final List<String> silent = new ArrayList<>();

        ScoreResult score(Input in, String scorer, long budgetMs, java.util.function.Supplier<ScoreResult> call) {
            long t0 = System.nanoTime();
            ScoreResult r;
            try {
                r = call.get();
            } catch (Throwable t) {
                crashes.add(scorer + " threw " + t + " on " + in);
                return null;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (ms > budgetMs) {
                hangs.add(scorer + " took " + ms + " ms on " + in);
            }
            if (r == null || r.reason() == null) {
                crashes.add(scorer + " returned no result on " + in);
            } else if (r.correct()) {
                accepted++;
                if (!in.mayBeRight()) {
                    silent.add(scorer + " accepted " + in);
                }
            } else if (r.reason().isBlank()) {
                crashes.add(scorer + " gave no reason on " + in);
            } else {
                clearErrors++;
            }
            return r;
        }

        /** The parse error message, or null when the Context was accepted. */
        String parseContext(Input in) {
            long t0 = System.nanoTime();
            try {
                ContextSchema s = ContextSchema.parse(in.text());
                for (ContextSchema.Table t : s.tables()) {
                    assertTrue(ContextSchema.IDENTIFIER.matcher(t.name()).matches(), t.name());
                    t.columns().forEach(col -> assertTrue(ContextSchema.IDENTIFIER.matcher(col.name()).matches()));
                }
                accepted++;
                if (!in.mayBeRight()) {
                    silent.add("ContextSchema accepted " + in);
                }
                return null;
            } catch (SqlRejectedException e) {
                if (e.getMessage().startsWith("Context ")) {
                    clearErrors++;
                } else {
                    crashes.add("unclear error '" + e.getMessage() + "' on " + in);
                }
                return e.getMessage();
            } catch (Throwable t) {
                crashes.add("ContextSchema threw " + t + " on " + in);
                return null;
            } finally {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (ms > 1_000) {
                    hangs.add("ContextSchema took " + ms + " ms on " + in);
                }
            }
        }

        void report(String what, int inputs, int checksPerInput, String checks) {
            System.out.printf("%s: %d inputs x %d %s = %d outcomes: %d clear errors, %d accepted, %d crashes, %d hangs,"
                    + " %d silent acceptances%n", what, inputs, checksPerInput, checks, inputs * checksPerInput,
                    clearErrors, accepted, crashes.size(), hangs.size(), silent.size());
            assertTrue(crashes.isEmpty(), String.join("\n", crashes));
            assertTrue(hangs.isEmpty(), String.join("\n", hangs));
            assertTrue(silent.isEmpty(), String.join("\n", silent));
        }
    }

    static List<Input> predictions(SplittableRandom r) {
        List<Input> out = new ArrayList<>();
        List<Function<SplittableRandom, Input>> templates = List.of(
                x -> wrong("multi-statement", GOLD + pick(x, "; ", ";\n", " ;", "/**/;", ";;") + pick(x, STATEMENTS)),
                x -> wrong("comment-hidden statement", GOLD + pick(x, " -- x\n; ", " /* ; */ ; ", " /* /* */ ; ",
                        "\n--;\n;") + pick(x, STATEMENTS)),
                x -> wrong("nested comment", "SELECT name, price /* /* */ FROM products -- */ ; " + pick(x, STATEMENTS)),
                x -> wrong("function", "SELECT name, " + pick(x, FUNCTIONS) + " FROM products ORDER BY price DESC"),
                x -> wrong("table function", "SELECT * FROM " + pick(x, FROMS)),
                x -> maybe("parentheses", "SELECT " + "(".repeat(x.nextInt(1, 41)) + "price"
                        + ")".repeat(x.nextInt(1, 41)) + ", name FROM products ORDER BY price DESC"),
                x -> maybe("NOT chain", "SELECT name, price FROM products WHERE " + "NOT ".repeat(x.nextInt(1, 1_500))
                        + "TRUE ORDER BY price DESC"),
                x -> wrong("operator chain", "SELECT name, price FROM products WHERE "
                        + ("price " + pick(x, "+", "*", "-", "||") + " ").repeat(x.nextInt(1, 7_000)) + "1 > 0 ORDER BY name"),
                x -> {
                    int depth = x.nextInt(1, 8);
                    return maybe("nested subqueries", "SELECT name, price FROM " + "(SELECT * FROM ".repeat(depth)
                            + "products" + ") t".repeat(depth) + " ORDER BY price DESC");
                },
                x -> maybe("CASE nesting", "SELECT name, " + "CASE WHEN TRUE THEN ".repeat(x.nextInt(1, 120)) + "price"
                        + " END".repeat(x.nextInt(1, 120)) + " FROM products ORDER BY price DESC"),
                x -> maybe("giant literal", "SELECT name, price FROM products WHERE name <> '"
                        + "x".repeat(x.nextInt(1, 20_000)) + "' ORDER BY price DESC"),
                x -> wrong("giant number", "SELECT name, price * " + pick(x, "1" + "0".repeat(x.nextInt(1, 5_000)),
                        "1e" + x.nextInt(100, 10_000_000), "1e-" + x.nextInt(100, 10_000_000)) + " FROM products"),
                x -> maybe("unicode", insert(GOLD, x, pick(x, ODD_CHARS))),
                x -> maybe("quoting", insert(GOLD, x, pick(x, "'", "\"", "`", "[", "]", "''", "\"\"", "$$"))),
                x -> maybe("quoted names", "SELECT " + q(x, "name") + ", " + q(x, "price") + " FROM " + q(x, "products")
                        + " ORDER BY " + q(x, "price") + " DESC"),
                x -> wrong("cross join", "SELECT a.name, a.price FROM products a, products b"
                        + pick(x, "", ", products c", ", products c, products d") + " ORDER BY a.price DESC"),
                x -> wrong("LIKE backtracking", "SELECT name, price FROM products WHERE '" + "a".repeat(x.nextInt(1, 200))
                        + "' LIKE '" + "%a".repeat(x.nextInt(1, 12)) + "%b' ORDER BY price DESC"),
                x -> wrong("token soup", soup(x)),
                x -> maybe("gold mutation", mutate(GOLD, x)));
        for (int i = 0; i < 340; i++) {
            out.add(templates.get(i % templates.size()).apply(r));
        }
        return out;
    }

    static List<Input> contexts(SplittableRandom r) {
        String[] badNames = {
            "`e\" INT); CALL CSVWRITE('fuzz.csv', 'SELECT 1'); --`", "\"e\"\" INT); DROP TABLE x; --\"", "`a b`", "1abc",
            "\"\"", "x".repeat(65), "na\u00efve", "`na\u0000me`", "na-me", "name'", "[e]] INT); SHUTDOWN; --]",
            "`EXECUTE IMMEDIATE 'CREATE ALIAS P AS ''int p() { return 1; }'''`", "\"\u202ename\"", "na.me", "@name",
        };
        String[] badTypes = {
            "BLOB", "GEOMETRY", "VARCHAR(0)", "VARCHAR(99999999)", "VARCHAR(-1)", "DECIMAL(1000,2)", "DECIMAL(10,20)",
            "ENUM('a','b')", "VARCHAR(10,2)", "INT(99999999999)", "CHAR(100000)", "ARRAY", "VARCHAR(", "INT)", "",
            "DOUBLE(10)", "JAVA_OBJECT", "VARCHAR(255) DEFAULT 'x'", "INT CHECK (price > 0)", "INT REFERENCES t(a)",
        };
        String[] goodTypes = {"INT(11)", "DOUBLE PRECISION", "CHARACTER VARYING(20)", "TEXT NOT NULL", "BIGINT UNIQUE",
            "NUMERIC(12,2) NULL", "DATETIME", "BOOL PRIMARY KEY", "varchar(50)"};
        List<Function<SplittableRandom, Input>> templates = List.of(
                x -> wrong("bad column name", CTX.replace("name VARCHAR", pick(x, badNames) + " VARCHAR")),
                x -> wrong("bad table name", CTX.replace("products", pick(x, badNames))),
                x -> wrong("bad type", CTX.replace("VARCHAR(255)", pick(x, badTypes))),
                x -> maybe("good type", CTX.replace("VARCHAR(255)", pick(x, goodTypes))),
                x -> {
                    String st = pick(x, STATEMENTS);
                    String ctx = CTX + pick(x, "; ", " ", ";\n") + st;
                    return st.startsWith("CREATE TABLE") ? maybe("second table", ctx) : wrong("second statement", ctx);
                },
                x -> wrong("comment", pick(x, "-- c\n" + CTX, CTX + " -- c", "/* c */ " + CTX, CTX + " /* ; DROP */")),
                x -> wrong("separator", CTX.replace(", ", pick(x, " | ", " ; ", " ,, ", " . "))),
                x -> wrong("not a table", pick(x, "CREATE VIEW v AS SELECT 1", "CREATE TABLE t AS SELECT * FROM "
                        + "INFORMATION_SCHEMA.USERS", "CREATE TEMPORARY TABLE t (a INT)", "CREATE TABLE", "DROP TABLE x",
                        "CREATE TABLE t (a INT) ENGINE=InnoDB", "CREATE TABLE t ()", "CREATE TABLE t (PRIMARY KEY (a))",
                        "CREATE TABLE t (a INT, FOREIGN KEY (a) REFERENCES u(b))", "", "   ", ";;;")),
                x -> wrong("too many tables", CTX + " " + tables(x.nextInt(17, 40))),
                x -> wrong("too many columns", "CREATE TABLE t (" + columns(x.nextInt(65, 400)) + ")"),
                x -> wrong("too long", CTX + " ".repeat(ContextSchema.MAX_CONTEXT_CHARS) + pick(x, "", "x")),
                x -> wrong("parentheses", "CREATE TABLE t " + "(".repeat(x.nextInt(2, 100_000)) + "a INT)"),
                x -> wrong("duplicates", pick(x, CTX + " " + CTX, CTX.replace("stock", "price"))),
                x -> maybe("unicode", insert(CTX, x, pick(x, ODD_CHARS))),
                x -> maybe("quoting", insert(CTX, x, pick(x, "'", "\"", "`", "[", "]", "\"\""))),
                x -> maybe("quoted names", "CREATE TABLE " + q(x, "products") + " ( " + q(x, "price") + " DECIMAL(10,2), "
                        + q(x, "name") + " VARCHAR(255) )"),
                x -> maybe("layout", pick(x, CTX.toLowerCase(java.util.Locale.ROOT), CTX.replace(" ", "\n\t "),
                        CTX.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"), CTX + ";", CTX + " " + tables(2))),
                x -> maybe("mutation", mutate(CTX, x)),
                x -> wrong("byte soup", randomText(x)));
        List<Input> out = new ArrayList<>();
        for (int i = 0; i < 260; i++) {
            out.add(templates.get(i % templates.size()).apply(r));
        }
        return out;
    }

    static Input wrong(String template, String text) {
        return new Input(template, text, false);
    }

    static Input maybe(String template, String text) {
        return new Input(template, text, true);
    }

    @SafeVarargs
    static <T> T pick(SplittableRandom r, T... options) {
        return options[r.nextInt(options.length)];
    }

    static String q(SplittableRandom r, String name) {
        return pick(r, name, "\"" + name + "\"", "`" + name + "`", "\"" + name.toUpperCase(java.util.Locale.ROOT) + "\"");
    }

    static String insert(String s, SplittableRandom r, String what) {
        int at = r.nextInt(s.length() + 1);
        return s.substring(0, at) + what + s.substring(at);
    }

    static String mutate(String s, SplittableRandom r) {
        StringBuilder sb = new StringBuilder(s);
        for (int k = r.nextInt(1, 4); k > 0 && sb.length() > 1; k--) {
            int at = r.nextInt(sb.length());
            switch (r.nextInt(3)) {
                case 0 -> sb.deleteCharAt(at);
                case 1 -> sb.insert(at, sb.charAt(r.nextInt(sb.length())));
                default -> sb.setCharAt(at, (char) r.nextInt(32, 127));
            }
        }
        return sb.toString();
    }

    static String soup(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        for (int n = r.nextInt(1, 80); n > 0; n--) {
            sb.append(pick(r, SOUP)).append(' ');
        }
        return sb.toString();
    }

    static String randomText(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        for (int n = r.nextInt(1, 300); n > 0; n--) {
            sb.append((char) r.nextInt(0, 0x3000));
        }
        return sb.toString();
    }

    static String tables(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("CREATE TABLE t").append(i).append(" (a INT) ");
        }
        return sb.toString();
    }

    static String columns(int n) {
        StringBuilder sb = new StringBuilder("c0 INT");
        for (int i = 1; i < n; i++) {
            sb.append(", c").append(i).append(" INT");
        }
        return sb.toString();
    }
}
