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

    /** Column-matching search steps at most (each is one partial check of rows); beyond it the results count as different. */
    static final int MAX_MATCH_STEPS = 2_000;

    /** Tie groups of an order with no ties: row i alone in group i. */
    static int[] strictOrder(int rows) {
        int[] g = new int[rows];
        for (int i = 0; i < rows; i++) {
            g[i] = i;
        }
        return g;
    }

    /**
     * null when equal, else what differs. Column order is ignored: a gold column may match any predicted column with
     * the same values (as a multiset); among several such columns (two BOOLEAN columns, say) the one that makes whole
     * rows agree is taken. Without {@code tieGroups} rows compare as multisets; with it (the gold's rows numbered by
     * runs of equal ORDER BY keys, non-decreasing) each run must hold the same rows in any order, and the runs come in
     * the gold's order.
     */
    static String compare(QueryResult wanted, QueryResult gotten, int[] tieGroups) {
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
        if (tieGroups != null && tieGroups.length != want.size()) {
            throw new IllegalArgumentException(tieGroups.length + " tie groups for " + want.size() + " rows");
        }
        List<List<Integer>> candidates = new ArrayList<>(wc);
        List<List<String>> gotColumns = new ArrayList<>(gc);
        for (int k = 0; k < gc; k++) {
            gotColumns.add(sortedColumn(got, k));
        }
        for (int j = 0; j < wc; j++) {
            List<String> target = sortedColumn(want, j);
            List<Integer> c = new ArrayList<>();
            for (int k = 0; k < gc; k++) {
                if (gotColumns.get(k).equals(target)) {
                    c.add(k);
                }
            }
            if (c.isEmpty()) {
                return "no predicted column has the values of result column " + (j + 1);
            }
            candidates.add(c);
        }
        ColumnSearch search = new ColumnSearch(want, got, candidates, tieGroups);
        if (search.find(0)) {
            return null;
        }
        if (search.steps > MAX_MATCH_STEPS) {
            return "columns too alike to match (more than " + MAX_MATCH_STEPS + " tries)";
        }
        return search.firstFailure == null ? "different rows" : search.firstFailure;
    }

    /** Depth-first search over the candidate columns, pruned by comparing the rows on the columns assigned so far. */
    private static final class ColumnSearch {
        private final List<List<String>> want;
        private final List<List<String>> got;
        private final List<List<Integer>> candidates;
        private final int[] tieGroups;
        private final int[] perm;
        private final boolean[] used;
        private int steps;
        String firstFailure;

        ColumnSearch(List<List<String>> want, List<List<String>> got, List<List<Integer>> candidates, int[] tieGroups) {
            this.want = want;
            this.got = got;
            this.candidates = candidates;
            this.tieGroups = tieGroups;
            this.perm = new int[candidates.size()];
            this.used = new boolean[candidates.size()];
        }

        boolean find(int j) {
            if (j == perm.length) {
                return true;
            }
            for (int k : candidates.get(j)) {
                if (used[k]) {
                    continue;
                }
                if (++steps > MAX_MATCH_STEPS) {
                    return false;
                }
                perm[j] = k;
                String diff = rowsDiffer(j + 1);
                if (diff == null) {
                    used[k] = true;
                    if (find(j + 1)) {
                        return true;
                    }
                    used[k] = false;
                } else if (firstFailure == null) {
                    firstFailure = diff;
                }
            }
            return false;
        }

        /** null when the rows agree on the first {@code n} gold columns (predicted columns perm[0..n)). */
        private String rowsDiffer(int n) {
            List<String> a = new ArrayList<>(want.size());
            List<String> b = new ArrayList<>(got.size());
            for (int i = 0; i < want.size(); i++) {
                a.add(key(want.get(i), null, n));
                b.add(key(got.get(i), perm, n));
            }
            if (tieGroups == null) {
                return sortedEquals(a, b, 0, a.size()) ? null : "different rows";
            }
            if (!sortedEquals(new ArrayList<>(a), new ArrayList<>(b), 0, a.size())) {
                return "different rows";
            }
            for (int s = 0; s < a.size(); ) {
                int e = s + 1;
                while (e < a.size() && tieGroups[e] == tieGroups[s]) {
                    e++;
                }
                if (!sortedEquals(a, b, s, e)) {
                    return "rows in a different order";
                }
                s = e;
            }
            return null;
        }

        private static String key(List<String> row, int[] perm, int n) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < n; j++) {
                String v = row.get(perm == null ? j : perm[j]);
                sb.append(v.length()).append(':').append(v);
            }
            return sb.toString();
        }

        /** Whether a[from, to) and b[from, to) hold the same strings (sorts both ranges). */
        private static boolean sortedEquals(List<String> a, List<String> b, int from, int to) {
            List<String> x = a.subList(from, to);
            List<String> y = b.subList(from, to);
            x.sort(null);
            y.sort(null);
            return x.equals(y);
        }
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
