package org.tinysql.sql;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.select.FromItem;
import net.sf.jsqlparser.statement.select.GroupByElement;
import net.sf.jsqlparser.statement.select.Join;
import net.sf.jsqlparser.statement.select.LateralSubSelect;
import net.sf.jsqlparser.statement.select.OrderByElement;
import net.sf.jsqlparser.statement.select.ParenthesedFromItem;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.SelectItem;
import net.sf.jsqlparser.statement.select.SetOperationList;

/**
 * What an untrusted SELECT may contain before the execution scorer runs it: a whitelist over the parsed tree. This
 * class checks the statement's structure (clauses, FROM items, tables, subqueries), {@link ExpressionPolicy} the
 * expressions in it. The limits keep one query's time and memory small on the scorer's tiny tables: no regular
 * expressions (Java's are not interruptible), no table functions (no {@code SYSTEM_RANGE}), no functions that build
 * long strings or arrays ({@code REPEAT}, {@code ARRAY_AGG}...), no {@code WITH} (no recursion), no tables but the
 * Context's and few references to them, short literals and LIKE patterns with few {@code %} (H2's LIKE backtracks).
 */
final class QueryPolicy {
    /** Tables named in the whole statement: 24 rows each by default, so at most 24^3 row combinations. */
    static final int MAX_TABLE_REFERENCES = 3;
    static final int MAX_SUBQUERY_DEPTH = 3;

    private final Set<String> tables;
    private final ExpressionPolicy expressions = new ExpressionPolicy(this);
    private int tableReferences;

    private QueryPolicy(Set<String> tables) {
        this.tables = tables;
    }

    /**
     * @param tables the Context's table names, upper case
     * @throws SqlRejectedException naming the first clause, node, function or table that is not allowed
     */
    static void check(Select select, Set<String> tables) throws SqlRejectedException {
        new QueryPolicy(tables).select(select, 0);
    }

    /** A (sub)query at a nesting depth; expressions call back here for their subqueries. */
    void select(Select s, int depth) throws SqlRejectedException {
        if (depth > MAX_SUBQUERY_DEPTH) {
            throw new SqlRejectedException("subqueries nested deeper than " + MAX_SUBQUERY_DEPTH);
        }
        if (s.getWithItemsList() != null && !s.getWithItemsList().isEmpty()) {
            throw new SqlRejectedException("WITH is not allowed");
        }
        if (s.getForMode() != null || s.getForUpdateTable() != null || s.getForClause() != null
                || s.getIsolation() != null || s.getLimitBy() != null || s.getWait() != null) {
            throw new SqlRejectedException("unsupported clause in " + ReasonText.quote(s.toString()));
        }
        if (s instanceof PlainSelect ps) {
            plain(ps, depth);
        } else if (s instanceof SetOperationList sol) {
            for (Select part : sol.getSelects()) {
                select(part, depth);
            }
        } else if (s instanceof ParenthesedSelect p && !(s instanceof LateralSubSelect)) {
            select(p.getSelect(), depth);
        } else {
            throw new SqlRejectedException("unsupported query form " + s.getClass().getSimpleName());
        }
        if (s.getOrderByElements() != null) {
            for (OrderByElement o : s.getOrderByElements()) {
                expressions.check(o.getExpression(), depth);
            }
        }
        if (s.getLimit() != null) {
            expressions.check(s.getLimit().getRowCount(), depth);
            expressions.check(s.getLimit().getOffset(), depth);
        }
        if (s.getOffset() != null) {
            expressions.check(s.getOffset().getOffset(), depth);
        }
        if (s.getFetch() != null) {
            expressions.check(s.getFetch().getExpression(), depth);
        }
    }

    /** Only the clauses copied here may appear: anything else (INTO, TOP, QUALIFY, hints...) changes the text. */
    private void plain(PlainSelect ps, int depth) throws SqlRejectedException {
        PlainSelect known = new PlainSelect();
        known.setDistinct(ps.getDistinct());
        known.setSelectItems(ps.getSelectItems());
        known.setFromItem(ps.getFromItem());
        known.setJoins(ps.getJoins());
        known.setWhere(ps.getWhere());
        known.setGroupByElement(ps.getGroupBy());
        known.setHaving(ps.getHaving());
        known.setOrderByElements(ps.getOrderByElements());
        known.setLimit(ps.getLimit());
        known.setOffset(ps.getOffset());
        known.setFetch(ps.getFetch());
        if (!known.toString().equals(ps.toString())) {
            throw new SqlRejectedException("unsupported clause in " + ReasonText.quote(ps.toString()));
        }
        for (SelectItem<?> item : ps.getSelectItems()) {
            expressions.check(item.getExpression(), depth);
        }
        from(ps.getFromItem(), depth);
        joins(ps.getJoins(), depth);
        expressions.check(ps.getWhere(), depth);
        GroupByElement gb = ps.getGroupBy();
        if (gb != null) {
            if (gb.getGroupingSets() != null && !gb.getGroupingSets().isEmpty()) {
                throw new SqlRejectedException("GROUPING SETS are not allowed");
            }
            expressions.check(gb.getGroupByExpressionList(), depth);
        }
        expressions.check(ps.getHaving(), depth);
    }

    private void joins(List<Join> joins, int depth) throws SqlRejectedException {
        if (joins == null) {
            return;
        }
        for (Join j : joins) {
            from(j.getFromItem(), depth);
            if (j.getOnExpressions() != null) {
                for (Expression e : j.getOnExpressions()) {
                    expressions.check(e, depth);
                }
            }
        }
    }

    private void from(FromItem f, int depth) throws SqlRejectedException {
        if (f == null) {
            return;
        }
        if (f instanceof Table t) {
            table(t);
        } else if (f instanceof ParenthesedSelect p && !(f instanceof LateralSubSelect)) {
            select(p, depth + 1);
        } else if (f instanceof ParenthesedFromItem p) {
            from(p.getFromItem(), depth);
            joins(p.getJoins(), depth);
        } else {
            throw new SqlRejectedException("FROM " + f.getClass().getSimpleName() + " is not allowed: "
                    + ReasonText.quote(f.toString()));
        }
        if (f.getPivot() != null || f.getUnPivot() != null || f.getSampleClause() != null) {
            throw new SqlRejectedException("unsupported FROM clause " + ReasonText.quote(f.toString()));
        }
    }

    private void table(Table t) throws SqlRejectedException {
        if (++tableReferences > MAX_TABLE_REFERENCES) {
            throw new SqlRejectedException("more than " + MAX_TABLE_REFERENCES + " table references");
        }
        Table plain = new Table(t.getName());
        plain.setAlias(t.getAlias());
        if (!plain.toString().equals(t.toString())) {
            throw new SqlRejectedException("unsupported table reference " + ReasonText.quote(t.toString())
                    + " (no schema, hints or options)");
        }
        String name = unquote(t.getName()).toUpperCase(Locale.ROOT);
        if (!tables.contains(name)) {
            throw new SqlRejectedException("unknown table " + ReasonText.quote(t.getName()) + " (the Context has "
                    + tables.stream().sorted().toList() + ")");
        }
    }

    static String unquote(String name) {
        if (name.length() >= 2 && "\"`[".indexOf(name.charAt(0)) >= 0) {
            return name.substring(1, name.length() - 1);
        }
        return name;
    }
}
