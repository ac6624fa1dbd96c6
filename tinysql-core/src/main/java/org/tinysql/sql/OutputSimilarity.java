package org.tinysql.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The TinySQL paper's output similarity for minimal circuits: 0.2 each for SELECT present, FROM present, the same
 * table after FROM, the same first selected column and the same second selected column (both absent counts as the
 * same). It tolerates any text: words are compared after whitespace and case normalisation, and a prediction that is
 * not SQL at all scores what it has.
 */
public final class OutputSimilarity {

    private OutputSimilarity() {
    }

    /**
     * The similarity of a prediction to the gold SQL.
     *
     * @param gold      the gold SQL
     * @param predicted the model's SQL (any text)
     * @return a score in {0, 0.2, 0.4, 0.6, 0.8, 1}
     */
    public static double score(String gold, String predicted) {
        Parts g = Parts.of(gold);
        Parts p = Parts.of(predicted == null ? "" : predicted);
        double s = 0;
        s += p.select ? 0.2 : 0;
        s += p.from ? 0.2 : 0;
        s += g.table != null && g.table.equals(p.table) ? 0.2 : 0;
        s += same(g.column(0), p.column(0)) ? 0.2 : 0;
        s += same(g.column(1), p.column(1)) ? 0.2 : 0;
        return Math.round(s * 10) / 10.0;
    }

    /**
     * Whether {@code prefix}, the start of a prediction, already decides its {@link #score} against any gold SQL: it
     * has SELECT, then FROM and the table after it ended by a space or ';'. Every continuation of such a prefix scores
     * what the prefix scores, so a decoder can stop there.
     *
     * @param prefix the text generated so far
     * @return true when no continuation can change the score
     */
    public static boolean settled(String prefix) {
        return Parts.of(prefix).tableEnded;
    }

    private static boolean same(String a, String b) {
        return a == null ? b == null : a.equals(b);
    }

    /** The words the score looks at: SELECT and FROM present, the table after FROM, the selected columns. */
    private record Parts(boolean select, boolean from, String table, List<String> columns, boolean tableEnded) {
        static Parts of(String sql) {
            String raw = sql.stripLeading().replaceAll("\\s+", " ");
            String s = raw.strip(); // positions in s are positions in raw, which only has trailing whitespace more
            // char by char, so that positions in up are positions in s (String.toUpperCase turns ß into SS)
            StringBuilder upper = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); i++) {
                upper.append(Character.toUpperCase(s.charAt(i)));
            }
            String up = upper.toString();
            int sel = wordAt(up, "SELECT", 0);
            int from = wordAt(up, "FROM", sel < 0 ? 0 : sel + 6);
            String table = null;
            boolean tableEnded = false;
            if (from >= 0) {
                // the table: the word after FROM, up to whitespace or ';', read in raw (s is raw without its trailing
                // whitespace), so that raw also tells whether something that later text cannot extend ends it
                int i = from + 4;
                while (i < raw.length() && Character.isWhitespace(raw.charAt(i))) {
                    i++;
                }
                int j = i;
                while (j < raw.length() && !Character.isWhitespace(raw.charAt(j)) && raw.charAt(j) != ';') {
                    j++;
                }
                table = j == i ? null : raw.substring(i, j).toLowerCase(Locale.ROOT);
                tableEnded = sel >= 0 && j > i && j < raw.length(); // without SELECT, a later one would move FROM
            }
            List<String> columns = new ArrayList<>();
            if (sel >= 0) {
                String list = s.substring(sel + 6, from > sel ? from : s.length());
                for (String c : list.split(",")) {
                    if (!c.isBlank()) {
                        columns.add(c.strip().toLowerCase(Locale.ROOT));
                    }
                }
            }
            return new Parts(sel >= 0, from >= 0, table, columns, tableEnded);
        }

        String column(int i) {
            return i < columns.size() ? columns.get(i) : null;
        }

        /** The index of {@code word} as a whole word at or after {@code from}, or -1. */
        private static int wordAt(String up, String word, int from) {
            int i = up.indexOf(word, from);
            while (i >= 0) {
                boolean before = i == 0 || !Character.isLetterOrDigit(up.charAt(i - 1)) && up.charAt(i - 1) != '_';
                int e = i + word.length();
                boolean after = e == up.length() || !Character.isLetterOrDigit(up.charAt(e)) && up.charAt(e) != '_';
                if (before && after) {
                    return i;
                }
                i = up.indexOf(word, i + 1);
            }
            return -1;
        }
    }
}
