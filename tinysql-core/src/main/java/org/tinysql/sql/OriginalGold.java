package org.tinysql.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import org.tinysql.data.CommandSet;

/**
 * What the original TinySQL scorer knows about the gold query (its {@code BatchItem}), read from the gold SQL text
 * alone: the FROM table, the SELECT fields (name, aggregate, alias), the ORDER BY field names, the gold's length, and
 * for the CS4/CS5 extension the words of its JOIN, WHERE and GROUP BY clauses. Every name is upper case, as the
 * original compares them.
 *
 * <p>The gold must have the TinySQL shape {@code SELECT item, ... FROM table [JOIN ...] [WHERE ...] [GROUP BY ...]
 * [ORDER BY item [ASC|DESC], ...]} where an item is a column or {@code AGG(column)}, optionally {@code AS alias}.
 * Layout does not matter (the original's own gold strings hold newlines and indentation); a trailing {@code ;} is
 * ignored. Parsing is a linear scan over at most {@link SqlText#MAX_PREDICTION_CHARS} characters.
 *
 * @param table     the FROM table
 * @param select    the SELECT fields, in order
 * @param orderBy   the ORDER BY expressions ({@code NAME} or {@code AVG(PRICE)}), without direction
 * @param clauses   the gold's JOIN, WHERE and GROUP BY clause words (for the CS4/CS5 extension)
 * @param length    the gold's length in code points, as given (the original's length allowance is relative to it)
 * @param commandSet the lowest command set whose features the gold uses
 */
record OriginalGold(String table, List<Field> select, List<String> orderBy, OriginalClauses clauses, int length,
                    CommandSet commandSet) {
    private static final List<String> AGGREGATES = List.of("COUNT", "SUM", "AVG", "MIN", "MAX");
    static final String ORDER_BY = "ORDER BY";

    /**
     * One SELECT field as the original models it ({@code SelectField}).
     *
     * @param name      the column reference
     * @param aggregate the aggregate function, or null
     * @param alias     the alias written in the gold, or null
     */
    record Field(String name, String aggregate, String alias) {
        /** {@code NAME} or {@code AVG(NAME)}: the word the original looks for. */
        String aggregateOfField() {
            return aggregate == null ? name : aggregate + "(" + name + ")";
        }

        /** The alias of an aggregate: as written in the gold, else the original's {@code AVG_NAME}. */
        String aggregatedName() {
            return aggregate == null ? name : alias != null ? alias : aggregate + "_" + name;
        }
    }

    /** A gold SQL outside the shape above. */
    static final class NotTinySql extends Exception {
        NotTinySql(String message) {
            super(message);
        }
    }

    static OriginalGold parse(String gold) throws NotTinySql {
        if (gold == null || gold.length() > SqlText.MAX_PREDICTION_CHARS) {
            throw new NotTinySql(gold == null ? "no gold SQL" : "gold SQL too long (" + gold.length() + " chars)");
        }
        String text = PythonText.upper(PythonText.collapseSpaces(gold));
        while (text.endsWith(";")) {
            text = text.substring(0, text.length() - 1).stripTrailing();
        }
        String[] parts = splitAtOrderBy(text);
        String head = parts[0].strip();
        if (!head.startsWith("SELECT ")) {
            throw new NotTinySql("gold SQL does not start with SELECT");
        }
        int from = indexOfWord(head, " FROM ");
        if (from < 0) {
            throw new NotTinySql("gold SQL has no FROM");
        }
        if (from < "SELECT ".length()) {
            throw new NotTinySql("gold SQL selects nothing");
        }
        List<Field> select = new ArrayList<>();
        for (String item : splitTopLevel(head.substring("SELECT ".length(), from))) {
            select.add(field(item));
        }
        List<String> tableWords = PythonText.words(head.substring(from + " FROM ".length()));
        if (tableWords.isEmpty() || tableWords.get(0).isEmpty()) {
            throw new NotTinySql("gold SQL names no table after FROM");
        }
        List<String> orderBy = new ArrayList<>();
        if (parts[1] != null) {
            for (String item : splitTopLevel(parts[1])) {
                List<String> w = PythonText.split(item);
                if (!w.isEmpty() && (w.get(w.size() - 1).equals("ASC") || w.get(w.size() - 1).equals("DESC"))) {
                    w = w.subList(0, w.size() - 1);
                }
                if (w.isEmpty()) {
                    throw new NotTinySql("empty ORDER BY item in the gold SQL");
                }
                orderBy.add(String.join("", w));
            }
        }
        OriginalClauses clauses = OriginalClauses.of(PythonText.words(parts[0]));
        CommandSet cs = clauses.has(OriginalClauses.JOIN) ? CommandSet.CS5
                : clauses.has(OriginalClauses.WHERE) ? CommandSet.CS4
                : select.stream().anyMatch(f -> f.aggregate() != null) ? CommandSet.CS3
                : parts[1] != null ? CommandSet.CS2 : CommandSet.CS1;
        return new OriginalGold(tableWords.get(0), List.copyOf(select), List.copyOf(orderBy), clauses,
                PythonText.length(gold), cs);
    }

    /**
     * The original's {@code s.split("ORDER BY")}: [the text before the first ORDER BY, the text between it and the
     * next ORDER BY (or the end)], the second null when there is no ORDER BY.
     */
    static String[] splitAtOrderBy(String s) {
        int i = s.indexOf(ORDER_BY);
        if (i < 0) {
            return new String[] {s, null};
        }
        int start = i + ORDER_BY.length();
        int next = s.indexOf(ORDER_BY, start);
        return new String[] {s.substring(0, i), s.substring(start, next < 0 ? s.length() : next)};
    }

    private static Field field(String item) throws NotTinySql {
        List<String> w = PythonText.split(item);
        String alias = null;
        if (w.size() >= 3 && w.get(w.size() - 2).equals("AS")) {
            alias = w.get(w.size() - 1);
            w = w.subList(0, w.size() - 2);
        }
        String expr = String.join("", w);
        if (expr.isEmpty()) {
            throw new NotTinySql("empty SELECT item in the gold SQL");
        }
        int open = expr.indexOf('(');
        if (open > 0 && expr.endsWith(")") && AGGREGATES.contains(expr.substring(0, open))) {
            String inner = expr.substring(open + 1, expr.length() - 1);
            if (!inner.isEmpty() && inner.indexOf('(') < 0 && inner.indexOf(')') < 0) {
                return new Field(inner, expr.substring(0, open), alias);
            }
        }
        return new Field(expr, null, alias);
    }

    /** Index of {@code word} (with its surrounding spaces) outside quotes and parentheses, or -1. */
    private static int indexOfWord(String s, String word) {
        return topLevel(s, 0, i -> s.startsWith(word, i));
    }

    /** The comma-separated items of a list, commas inside quotes or parentheses kept. */
    private static List<String> splitTopLevel(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int comma; (comma = topLevel(s, start, i -> s.charAt(i) == ',')) >= 0; start = comma + 1) {
            out.add(s.substring(start, comma));
        }
        out.add(s.substring(start));
        return out;
    }

    /**
     * The first index at or after {@code from} (a top-level position) outside quotes and parentheses where {@code at}
     * holds, or -1.
     */
    private static int topLevel(String s, int from, IntPredicate at) {
        int depth = 0;
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                quote = c == quote ? 0 : quote;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (depth == 0 && at.test(i)) {
                return i;
            }
        }
        return -1;
    }
}
