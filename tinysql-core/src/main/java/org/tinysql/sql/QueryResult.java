package org.tinysql.sql;

import java.math.BigDecimal;
import java.math.MathContext;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A query result: its column count and its rows as normalised strings (numbers to 9 significant digits, strings
 * without trailing blanks), read under a budget of rows and characters.
 */
record QueryResult(int columns, List<List<String>> rows) {
    /** Rows compared at most; one more is read so that "too many rows" is seen. */
    static final int MAX_ROWS = 10_000;
    /** Characters over all values of a result. */
    static final int MAX_CHARS = 1_000_000;
    private static final MathContext DIGITS = new MathContext(9);
    /** Beyond this exponent numbers are written in scientific notation, not as millions of zeros. */
    private static final int MAX_PLAIN_SCALE = 40;

    /**
     * Reads up to {@link #MAX_ROWS} + 1 rows.
     *
     * @throws SqlRejectedException when the values exceed {@link #MAX_CHARS} characters in all
     */
    static QueryResult read(ResultSet rs) throws SQLException, SqlRejectedException {
        int cols = rs.getMetaData().getColumnCount();
        List<List<String>> rows = new ArrayList<>();
        long chars = 0;
        while (rows.size() <= MAX_ROWS && rs.next()) {
            List<String> row = new ArrayList<>(cols);
            for (int c = 1; c <= cols; c++) {
                String v = value(rs.getObject(c));
                chars += v.length();
                if (chars > MAX_CHARS) {
                    throw new SqlRejectedException("result too large (more than " + MAX_CHARS + " characters)");
                }
                row.add(v);
            }
            rows.add(row);
        }
        return new QueryResult(cols, rows);
    }

    static String value(Object o) {
        if (o == null) {
            return "NULL";
        }
        if (o instanceof Double || o instanceof Float) {
            double d = ((Number) o).doubleValue();
            return Double.isFinite(d) ? decimal(new BigDecimal(d)) : Double.toString(d);
        }
        if (o instanceof BigDecimal b) {
            return decimal(b);
        }
        if (o instanceof Number n) {
            return new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
        }
        if (o instanceof String s) {
            return "'" + s.stripTrailing();
        }
        return o.toString();
    }

    private static String decimal(BigDecimal b) {
        BigDecimal r = b.round(DIGITS).stripTrailingZeros();
        return Math.abs(r.scale()) > MAX_PLAIN_SCALE ? r.toString() : r.toPlainString();
    }

    /** null when equal, else what differs. Columns are matched by their sorted values, ignoring column order. */
    static String compare(QueryResult wanted, QueryResult gotten, boolean ordered) {
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
        List<List<String>> gotColumns = new ArrayList<>(gc);
        for (int k = 0; k < gc; k++) {
            gotColumns.add(sortedColumn(got, k));
        }
        int[] perm = new int[wc];
        boolean[] used = new boolean[gc];
        for (int j = 0; j < wc; j++) {
            List<String> target = sortedColumn(want, j);
            perm[j] = -1;
            for (int k = 0; k < gc; k++) {
                if (!used[k] && gotColumns.get(k).equals(target)) {
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
}
