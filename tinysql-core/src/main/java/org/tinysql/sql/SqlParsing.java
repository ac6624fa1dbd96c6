package org.tinysql.sql;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParser;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.Statements;
import net.sf.jsqlparser.statement.select.Select;

/**
 * Parses untrusted SQL into exactly one SELECT statement. Size and nesting are checked on the tokens before the
 * parser runs (so no later tree walk can recurse deeply), and the parse itself is bounded in time: JSqlParser
 * runs on a pool thread and stops when it overruns.
 */
public final class SqlParsing {
    /** Most tokens a statement may have: ten times the longest gold query, far below any stack limit. */
    public static final int MAX_TOKENS = 1_000;
    /** Deepest nesting of parentheses and CASE; JSqlParser's slower retry only handles up to 10 anyway. */
    public static final int MAX_NESTING = 16;
    /** Time for the whole parse, both of JSqlParser's attempts together. */
    public static final long PARSE_TIMEOUT_MS = 2_000;
    /** JSqlParser retries a failed fast parse with its complex mode only up to this nesting. */
    private static final int COMPLEX_PARSE_NESTING = 10;
    private static final long PARSER_STACK_BYTES = 16L << 20;
    private static final ExecutorService PARSER = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(null, r, "tinysql-sql-parser", PARSER_STACK_BYTES);
        t.setDaemon(true);
        return t;
    });

    private SqlParsing() {
    }

    /**
     * The one SELECT statement of {@code sql} (a trailing {@code ;} is fine).
     *
     * @throws SqlRejectedException when the text is empty, too long, too many tokens, nested too deeply, does not
     *                              parse in time, holds more or fewer than one statement, or is not a SELECT
     * @param sql the untrusted SQL text; may be {@code null}
     * @return the parsed JSqlParser SELECT
     */
    public static Select parseSingleSelect(String sql) throws SqlRejectedException {
        if (sql == null || sql.isBlank()) {
            throw new SqlRejectedException("empty SQL");
        }
        if (sql.length() > SqlText.MAX_PREDICTION_CHARS) {
            throw new SqlRejectedException("SQL too long (" + sql.length() + " chars > " + SqlText.MAX_PREDICTION_CHARS + ")");
        }
        int depth = checkTokens(sql);
        Statements statements = parse(sql, depth);
        if (statements == null || statements.size() != 1) {
            throw new SqlRejectedException("expected exactly one statement, found "
                    + (statements == null ? 0 : statements.size()));
        }
        Statement st = statements.get(0);
        if (!(st instanceof Select select)) {
            throw new SqlRejectedException("not a SELECT statement: " + st.getClass().getSimpleName());
        }
        return select;
    }

    /** Checks token count and parenthesis nesting; returns the deepest nesting. */
    private static int checkTokens(String sql) throws SqlRejectedException {
        List<String> tokens = SqlText.tokens(sql);
        if (tokens.size() > MAX_TOKENS) {
            throw new SqlRejectedException("too many tokens (" + tokens.size() + " > " + MAX_TOKENS + ")");
        }
        int depth = 0;
        int max = 0;
        for (String t : tokens) {
            if (t.equals("(") || t.equalsIgnoreCase("CASE")) {
                max = Math.max(max, ++depth);
            } else if (t.equals(")") || t.equalsIgnoreCase("END")) {
                depth--;
            }
        }
        if (max > MAX_NESTING) {
            throw new SqlRejectedException("nested too deeply (" + max + " levels of parentheses or CASE > "
                    + MAX_NESTING + ")");
        }
        return max;
    }

    /** The fast parse, then (as JSqlParser itself does) the slower complex parse in the time that is left. */
    private static Statements parse(String sql, int depth) throws SqlRejectedException {
        long start = System.nanoTime();
        try {
            try {
                return CCJSqlParserUtil.parseStatements(parser(sql, false, PARSE_TIMEOUT_MS), PARSER);
            } catch (JSQLParserException e) {
                long left = PARSE_TIMEOUT_MS - (System.nanoTime() - start) / 1_000_000;
                if (depth > COMPLEX_PARSE_NESTING || left <= 0 || e.getCause() instanceof TimeoutException) {
                    throw e;
                }
                return CCJSqlParserUtil.parseStatements(parser(sql, true, left), PARSER);
            }
        } catch (JSQLParserException e) {
            throw new SqlRejectedException("does not parse: " + reason(e));
        } catch (StackOverflowError e) {
            throw new SqlRejectedException("nested too deeply for the parser");
        }
    }

    private static CCJSqlParser parser(String sql, boolean complex, long timeoutMs) {
        return CCJSqlParserUtil.newParser(sql).withAllowComplexParsing(complex).withTimeOut(timeoutMs);
    }

    private static String reason(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof StackOverflowError) {
                return "nested too deeply for the parser";
            }
        }
        String line = ReasonText.firstLine(e).replace("net.sf.jsqlparser.parser.ParseException: ", "");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
