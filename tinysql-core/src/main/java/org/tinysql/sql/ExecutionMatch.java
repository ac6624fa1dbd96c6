package org.tinysql.sql;

import java.math.BigDecimal;
import java.math.MathContext;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.create.table.ColumnDefinition;
import net.sf.jsqlparser.statement.create.table.CreateTable;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import org.tinysql.data.FieldKind;
import org.tinysql.data.ValuePools;

/**
 * Execution match: builds the Context's schema in a private in-memory H2 database, fills it with seeded random
 * rows (plus rows that hit the gold query's WHERE literals, so conditions are tested both ways), runs gold and
 * prediction, and compares the results as multisets of rows (as sequences when the gold has ORDER BY). Column
 * order is ignored: columns are matched by their values.
 *
 * <p>Predictions run as a read-only, non-admin database user with a statement timeout and a row cap; anything
 * that is not a single SELECT is rejected before it reaches the database. Every failure is a "wrong" result with
 * the reason: no exception escapes {@link #score}, and no prediction can hang it.
 *
 * <p>Not thread-safe (it owns one database); use one instance per thread. Close it to free the database.
 */
public final class ExecutionMatch implements SqlScorer, AutoCloseable {
    private static final Pattern CREATE_SPLIT = Pattern.compile("(?i)(?=\\bCREATE\\s+TABLE\\b)");
    private static final Pattern CONDITION = Pattern.compile(
            "(?i)\\b([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)?)\\s*(<=|>=|!=|<>|=|<|>|\\bLIKE\\b)\\s*('[^']*'|-?\\d+(?:\\.\\d+)?|TRUE|FALSE)");
    private static final int MAX_ROWS = 10_000;

    private final int rowsPerTable;
    private final int timeoutSeconds;
    private final Connection admin;
    private final Connection reader;
    private final List<String> tables = new ArrayList<>();
    private String loadedKey;

    public ExecutionMatch() {
        this(24, 2);
    }

    /**
     * @param rowsPerTable   random rows inserted into each table
     * @param timeoutSeconds statement timeout for the gold and the predicted query
     */
    public ExecutionMatch(int rowsPerTable, int timeoutSeconds) {
        this.rowsPerTable = rowsPerTable;
        this.timeoutSeconds = timeoutSeconds;
        String url = "jdbc:h2:mem:tinysql_" + UUID.randomUUID().toString().replace("-", "");
        try {
            // The admin connection stays open for the scorer's life, which keeps the in-memory database alive.
            admin = DriverManager.getConnection(url, "sa", "");
            try (Statement s = admin.createStatement()) {
                s.execute("CREATE USER tinysql_reader PASSWORD 'tinysql'");
            }
            reader = DriverManager.getConnection(url, "tinysql_reader", "tinysql");
            reader.setReadOnly(true);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot start the embedded H2 database: " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return "execution";
    }

    @Override
    public synchronized ScoreResult score(String context, String gold, String predicted) {
        ScoreResult rejected = SqlScorer.rejectUnscorable(predicted);
        if (rejected != null) {
            return rejected;
        }
        boolean ordered;
        try {
            if (!(CCJSqlParserUtil.parse(gold) instanceof PlainSelect gs)) {
                return ScoreResult.wrong("gold is not a simple SELECT");
            }
            ordered = gs.getOrderByElements() != null && !gs.getOrderByElements().isEmpty();
        } catch (JSQLParserException | RuntimeException e) {
            return ScoreResult.wrong("gold SQL does not parse: " + firstLine(e));
        }
        try {
            if (!(CCJSqlParserUtil.parse(predicted) instanceof Select)) {
                return ScoreResult.wrong("not a SELECT statement");
            }
        } catch (JSQLParserException | RuntimeException e) {
            return ScoreResult.wrong("unparsable: " + firstLine(e));
        }
        try {
            load(context, gold);
        } catch (SQLException | IllegalArgumentException e) {
            return ScoreResult.wrong("cannot build the Context schema: " + firstLine(e));
        }
        Result want;
        try {
            want = run(gold);
        } catch (SQLException e) {
            return ScoreResult.wrong("gold SQL failed: " + firstLine(e));
        }
        Result got;
        try {
            got = run(predicted);
        } catch (SQLTimeoutException e) {
            return ScoreResult.wrong("timed out after " + timeoutSeconds + " s");
        } catch (SQLException e) {
            return ScoreResult.wrong("execution error: " + firstLine(e));
        }
        String diff = compare(want, got, ordered);
        return diff == null ? ScoreResult.right() : ScoreResult.wrong(diff);
    }

    /** A query result: its column count and its rows as normalised strings. */
    record Result(int columns, List<List<String>> rows) {
    }

    /** Rows of a query as normalised strings; at most {@value #MAX_ROWS} + 1 rows are read. */
    private Result run(String sql) throws SQLException {
        try (Statement st = reader.createStatement()) {
            st.setQueryTimeout(timeoutSeconds);
            st.setMaxRows(MAX_ROWS + 1);
            try (ResultSet rs = st.executeQuery(sql)) {
                int cols = rs.getMetaData().getColumnCount();
                List<List<String>> rows = new ArrayList<>();
                while (rs.next()) {
                    List<String> row = new ArrayList<>(cols);
                    for (int c = 1; c <= cols; c++) {
                        row.add(value(rs.getObject(c)));
                    }
                    rows.add(row);
                }
                return new Result(cols, rows);
            }
        }
    }

    private static String value(Object o) {
        if (o == null) {
            return "NULL";
        }
        if (o instanceof Double || o instanceof Float) {
            double d = ((Number) o).doubleValue();
            return new BigDecimal(d).round(new MathContext(9)).stripTrailingZeros().toPlainString();
        }
        if (o instanceof BigDecimal b) {
            return b.round(new MathContext(9)).stripTrailingZeros().toPlainString();
        }
        if (o instanceof Number n) {
            return new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
        }
        if (o instanceof String s) {
            return "'" + s.stripTrailing();
        }
        return o.toString();
    }

    /** null when equal, else what differs. Columns are matched by their sorted values, ignoring column order. */
    static String compare(Result wanted, Result gotten, boolean ordered) {
        int wc = wanted.columns();
        int gc = gotten.columns();
        if (wc != gc) {
            return "column count " + gc + ", expected " + wc;
        }
        List<List<String>> want = wanted.rows();
        List<List<String>> got = gotten.rows();
        if (want.size() != got.size()) {
            return got.size() + " rows, expected " + want.size();
        }
        int[] perm = new int[wc];
        boolean[] used = new boolean[gc];
        for (int j = 0; j < wc; j++) {
            List<String> target = sortedColumn(want, j);
            perm[j] = -1;
            for (int k = 0; k < gc; k++) {
                if (!used[k] && sortedColumn(got, k).equals(target)) {
                    perm[j] = k;
                    used[k] = true;
                    break;
                }
            }
            if (perm[j] < 0) {
                return "no predicted column has the values of result column " + (j + 1);
            }
        }
        List<List<String>> permuted = new ArrayList<>(got.size());
        for (List<String> row : got) {
            List<String> r = new ArrayList<>(wc);
            for (int j = 0; j < wc; j++) {
                r.add(row.get(perm[j]));
            }
            permuted.add(r);
        }
        if (ordered) {
            return want.equals(permuted) ? null : "rows in a different order";
        }
        List<String> a = want.stream().map(Object::toString).sorted().toList();
        List<String> b = permuted.stream().map(Object::toString).sorted().toList();
        return a.equals(b) ? null : "different rows";
    }

    private static List<String> sortedColumn(List<List<String>> rows, int c) {
        List<String> col = new ArrayList<>(rows.size());
        for (List<String> r : rows) {
            col.add(r.get(c));
        }
        col.sort(null);
        return col;
    }

    /** Creates and fills the Context's tables unless this (context, gold) pair is already loaded. */
    private void load(String context, String gold) throws SQLException {
        String key = context + "\u0000" + gold;
        if (key.equals(loadedKey)) {
            return;
        }
        loadedKey = null;
        try (Statement s = admin.createStatement()) {
            for (String t : tables) {
                s.execute("DROP TABLE IF EXISTS \"" + t + "\" CASCADE");
            }
        }
        tables.clear();
        Map<String, List<String[]>> hits = literalHits(gold);
        SplittableRandom r = new SplittableRandom(key.hashCode() * 0x9E3779B97F4A7C15L);
        for (String part : CREATE_SPLIT.split(context)) {
            if (part.isBlank()) {
                continue;
            }
            CreateTable ct;
            try {
                if (!(CCJSqlParserUtil.parse(part.strip().replaceAll(";\\s*$", "")) instanceof CreateTable c)) {
                    throw new IllegalArgumentException("not a CREATE TABLE statement: " + abbreviate(part));
                }
                ct = c;
            } catch (JSQLParserException e) {
                throw new IllegalArgumentException("Context does not parse: " + abbreviate(part), e);
            }
            createAndFill(ct, hits, r);
        }
        if (tables.isEmpty()) {
            throw new IllegalArgumentException("Context has no CREATE TABLE statement");
        }
        loadedKey = key;
    }

    private void createAndFill(CreateTable ct, Map<String, List<String[]>> hits, SplittableRandom r) throws SQLException {
        String table = ct.getTable().getName().toUpperCase(Locale.ROOT);
        List<ColumnDefinition> cols = ct.getColumnDefinitions();
        StringBuilder ddl = new StringBuilder("CREATE TABLE \"").append(table).append("\" (");
        FieldKind[] kinds = new FieldKind[cols.size()];
        int[] lengths = new int[cols.size()];
        for (int i = 0; i < cols.size(); i++) {
            ColumnDefinition cd = cols.get(i);
            String type = cd.getColDataType().toString().toUpperCase(Locale.ROOT).replace(" ", "");
            kinds[i] = FieldKind.ofSqlType(type);
            lengths[i] = declaredLength(type);
            ddl.append(i > 0 ? ", " : "").append('"').append(cd.getColumnName().toUpperCase(Locale.ROOT)).append("\" ")
                    .append(h2Type(type, kinds[i]));
        }
        ddl.append(')');
        try (Statement s = admin.createStatement()) {
            s.execute(ddl.toString());
            tables.add(table);
            s.execute("GRANT SELECT ON \"" + table + "\" TO tinysql_reader");
        }
        StringBuilder ins = new StringBuilder("INSERT INTO \"").append(table).append("\" VALUES (");
        for (int i = 0; i < cols.size(); i++) {
            ins.append(i > 0 ? ", ?" : "?");
        }
        ins.append(')');
        try (PreparedStatement ps = admin.prepareStatement(ins.toString())) {
            for (int row = 0; row < rowsPerTable; row++) {
                for (int i = 0; i < cols.size(); i++) {
                    List<String[]> h = hits.get(cols.get(i).getColumnName().toUpperCase(Locale.ROOT));
                    Object v = h != null && r.nextInt(3) == 0 ? hitValue(h.get(r.nextInt(h.size())), kinds[i], r)
                            : randomValue(kinds[i], r);
                    if (v instanceof String str && lengths[i] > 0 && str.length() > lengths[i]) {
                        v = str.substring(0, lengths[i]);
                    }
                    ps.setObject(i + 1, v);
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static String h2Type(String type, FieldKind kind) {
        return switch (type) {
            case "TEXT" -> "CHARACTER VARYING";
            case "DATETIME" -> "TIMESTAMP";
            default -> type.matches("[A-Z]+(\\(\\d+(,\\d+)?\\))?") ? type : switch (kind) {
                case INT -> "BIGINT";
                case DEC -> "DOUBLE PRECISION";
                case DATE -> "TIMESTAMP";
                case BOOL -> "BOOLEAN";
                case TEXT -> "CHARACTER VARYING";
            };
        };
    }

    private static int declaredLength(String type) {
        Matcher m = Pattern.compile("(?:CHAR|VARCHAR)\\((\\d+)\\)").matcher(type);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** Random values; half of them come from small pools so that joins and equality tests find partners. */
    private static Object randomValue(FieldKind kind, SplittableRandom r) {
        if (r.nextInt(10) == 0) {
            return null;
        }
        boolean pool = r.nextBoolean();
        return switch (kind) {
            case INT -> (long) (pool ? r.nextInt(16) : ValuePools.integer(r));
            case DEC -> pool ? new BigDecimal(r.nextInt(16) + ".50") : new BigDecimal(ValuePools.decimal(r));
            case TEXT -> ValuePools.word(r);
            case DATE -> java.sql.Date.valueOf(pool ? LocalDate.of(2020, 1, 1).plusDays(r.nextInt(16)) : ValuePools.date(r));
            case BOOL -> r.nextBoolean();
        };
    }

    /** A value that sits on the boundary of (or matches) a gold WHERE literal. */
    private static Object hitValue(String[] opAndLiteral, FieldKind kind, SplittableRandom r) {
        String lit = opAndLiteral[1];
        String body = lit.startsWith("'") ? lit.substring(1, lit.length() - 1) : lit;
        try {
            return switch (kind) {
                case INT -> (long) Math.round(Double.parseDouble(body)) + (r.nextInt(3) - 1);
                case DEC -> new BigDecimal(body);
                case DATE -> java.sql.Date.valueOf(LocalDate.parse(body.length() > 10 ? body.substring(0, 10) : body)
                        .plusDays(r.nextInt(3) - 1));
                case BOOL -> Boolean.parseBoolean(body);
                case TEXT -> body.contains("%") ? body.replace("%", ValuePools.word(r).substring(0, 2)) : body;
            };
        } catch (RuntimeException e) {
            return randomValue(kind, r);
        }
    }

    /** Column name (unqualified, upper case) to [operator, literal] of the gold's comparisons. */
    private static Map<String, List<String[]>> literalHits(String gold) {
        Map<String, List<String[]>> hits = new HashMap<>();
        Matcher m = CONDITION.matcher(gold);
        while (m.find()) {
            String col = m.group(1);
            col = col.substring(col.lastIndexOf('.') + 1).toUpperCase(Locale.ROOT);
            hits.computeIfAbsent(col, k -> new ArrayList<>()).add(new String[] {m.group(2), m.group(3)});
        }
        return hits;
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return t.length() > 80 ? t.substring(0, 80) + "..." : t;
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    @Override
    public synchronized void close() {
        try {
            try (Statement s = admin.createStatement()) {
                s.execute("SHUTDOWN");
            }
            reader.close();
            admin.close();
        } catch (SQLException e) {
            // The in-memory database is gone either way; nothing to report.
        }
    }
}
