package org.tinysql.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.OrderByElement;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.SelectItem;

/**
 * ORDER BY fixes the order of rows only up to ties: rows with equal sort keys may come in any order. The execution
 * scorer runs the gold query with its sort keys appended as extra result columns ({@link #withKeys}) and numbers its
 * rows by runs of equal keys ({@link #groups}); a prediction must then hold the same rows in each run, runs in the
 * gold's order. With a LIMIT in the gold, rows that tie at the cut are still compared as the gold chose them.
 */
final class OrderTies {
    private OrderTies() {
    }

    /**
     * A copy of the ordered gold query that also returns each ORDER BY key (positions and select aliases resolved to
     * their expressions), or null when there is none to build (no ORDER BY, not a plain SELECT, a positional key on
     * {@code *}). The copy holds only expressions of the gold itself.
     */
    static Select withKeys(String goldSql) throws SqlRejectedException {
        Select s = SqlParsing.parseSingleSelect(goldSql);
        if (!(s instanceof PlainSelect ps) || ps.getOrderByElements() == null || ps.getOrderByElements().isEmpty()) {
            return null;
        }
        List<SelectItem<?>> items = new ArrayList<>(ps.getSelectItems());
        List<Expression> keys = new ArrayList<>();
        for (OrderByElement o : ps.getOrderByElements()) {
            Expression key = resolve(o.getExpression(), items);
            if (key == null) {
                return null;
            }
            keys.add(key);
        }
        for (Expression k : keys) {
            ps.addSelectItem(k);
        }
        return ps;
    }

    private static Expression resolve(Expression e, List<SelectItem<?>> items) {
        if (e instanceof LongValue pos) {
            long i = pos.getValue() - 1;
            if (i < 0 || i >= items.size() || items.get((int) i).getExpression() instanceof AllColumns) {
                return null;
            }
            return items.get((int) i).getExpression();
        }
        if (e instanceof Column c && c.getTable() == null) {
            String name = c.getColumnName().toUpperCase(Locale.ROOT);
            for (SelectItem<?> item : items) {
                if (item.getAlias() != null && QueryPolicy.unquote(item.getAlias().getName()).toUpperCase(Locale.ROOT)
                        .equals(QueryPolicy.unquote(name))) {
                    return item.getExpression();
                }
            }
        }
        return e;
    }

    /** The result without its last {@code keys} columns. */
    static QueryResult withoutKeys(QueryResult keyed, int keys) {
        int c = keyed.columns() - keys;
        List<List<String>> rows = new ArrayList<>(keyed.rows().size());
        for (List<String> r : keyed.rows()) {
            rows.add(List.copyOf(r.subList(0, c)));
        }
        return new QueryResult(c, rows);
    }

    /** Row i's run of equal keys (the last {@code keys} columns), numbered from 0 in row order. */
    static int[] groups(QueryResult keyed, int keys) {
        List<List<String>> rows = keyed.rows();
        int c = keyed.columns();
        int[] g = new int[rows.size()];
        for (int i = 1; i < rows.size(); i++) {
            boolean tie = rows.get(i).subList(c - keys, c).equals(rows.get(i - 1).subList(c - keys, c));
            g[i] = tie ? g[i - 1] : g[i - 1] + 1;
        }
        return g;
    }
}
