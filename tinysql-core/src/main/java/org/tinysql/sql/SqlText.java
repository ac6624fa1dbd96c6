package org.tinysql.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Lexical helpers shared by the scorers: tokenising and normalising SQL text. */
public final class SqlText {
    /** Predictions longer than this are rejected by every scorer without further work. */
    public static final int MAX_PREDICTION_CHARS = 20_000;

    /** The SQL keywords (upper case) that the lexical scorers tell apart from identifiers. */
    public static final Set<String> KEYWORDS = Set.of(
            "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "ORDER", "BY", "GROUP", "ASC", "DESC", "AS", "JOIN", "ON",
            "INNER", "LEFT", "RIGHT", "OUTER", "LIKE", "IS", "NULL", "TRUE", "FALSE", "COUNT", "SUM", "AVG", "MIN",
            "MAX", "DISTINCT", "LIMIT", "HAVING", "IN", "BETWEEN");

    private SqlText() {
    }

    /**
     * Splits SQL into tokens: words (identifiers, keywords, numbers, possibly dotted), quoted strings kept whole,
     * and single punctuation / operator tokens ({@code != <= >=} stay together).
     *
     * @param sql the SQL text; an unterminated quote runs to the end
     * @return the tokens in order, whitespace dropped, case kept
     */
    public static List<String> tokens(String sql) {
        List<String> out = new ArrayList<>();
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '\'' || c == '"') {
                int j = i + 1;
                while (j < n && sql.charAt(j) != c) {
                    j++;
                }
                out.add(sql.substring(i, Math.min(n, j + 1)));
                i = j + 1;
            } else if (Character.isLetterOrDigit(c) || c == '_') {
                int j = i;
                while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_'
                        || (sql.charAt(j) == '.' && j + 1 < n && (Character.isLetterOrDigit(sql.charAt(j + 1))
                        || sql.charAt(j + 1) == '_')))) {
                    j++;
                }
                out.add(sql.substring(i, j));
                i = j;
            } else if ((c == '!' || c == '<' || c == '>') && i + 1 < n && (sql.charAt(i + 1) == '=' || sql.charAt(i + 1) == '>')) {
                out.add(sql.substring(i, i + 2));
                i += 2;
            } else {
                out.add(String.valueOf(c));
                i++;
            }
        }
        return out;
    }

    /**
     * Whitespace collapsed, case folded outside quotes, spacing around punctuation fixed, trailing ';' dropped.
     *
     * @param sql the SQL text
     * @return its tokens joined by single spaces, upper-cased except quoted strings, {@code <>} written {@code !=}
     */
    public static String normalize(String sql) {
        List<String> toks = tokens(sql.strip());
        while (!toks.isEmpty() && toks.get(toks.size() - 1).equals(";")) {
            toks.remove(toks.size() - 1);
        }
        StringBuilder sb = new StringBuilder();
        for (String t : toks) {
            String u = t.startsWith("'") ? t : t.toUpperCase(Locale.ROOT);
            if (u.equals("<>")) {
                u = "!=";
            }
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(u);
        }
        return sb.toString();
    }

    /**
     * Whether a token is one of {@link #KEYWORDS}, in any case.
     *
     * @param token a token from {@link #tokens}
     * @return {@code true} for a keyword
     */
    public static boolean isKeyword(String token) {
        return KEYWORDS.contains(token.toUpperCase(Locale.ROOT));
    }

    /**
     * Whether a token is a word (identifier or keyword) rather than a number, string or punctuation.
     *
     * @param token a non-empty token from {@link #tokens}
     * @return {@code true} if it starts with a letter or underscore
     */
    public static boolean isWord(String token) {
        char c = token.charAt(0);
        return Character.isLetter(c) || c == '_';
    }

    /**
     * Length of the longest common subsequence of two token lists.
     *
     * @param a the first token list
     * @param b the second token list
     * @return the number of tokens in their longest common subsequence, compared with {@code equals}
     */
    public static int lcs(List<String> a, List<String> b) {
        int[] prev = new int[b.size() + 1];
        int[] cur = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            for (int j = 1; j <= b.size(); j++) {
                cur[j] = a.get(i - 1).equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.size()];
    }
}
