package org.tinysql.data;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The structure of one TinySQL example: schema(s) and query. SQL, Context and (with a phrasing seed) the
 * English instruction are all rendered from it, so a corruption can change one element and re-render.
 *
 * @param commandSet      the command set the example belongs to
 * @param table           the FROM table
 * @param select          the SELECT list, in order
 * @param groupBy         plain fields grouped on (non-empty only when plain fields are mixed with aggregates)
 * @param where           WHERE conditions (empty for none)
 * @param whereOr         whether conditions are joined with OR instead of AND
 * @param orderBy         ORDER BY items (empty for none)
 * @param join            the JOIN, or {@code null}
 * @param joinTableFirst  whether the joined table's CREATE statement comes first in the Context
 */
public record QuerySpec(CommandSet commandSet, TableSchema table, List<SelectItem> select, List<SelectItem> groupBy,
                        List<Condition> where, boolean whereOr, List<OrderItem> orderBy, JoinSpec join,
                        boolean joinTableFirst) {

    /**
     * Copies the four lists into unmodifiable ones.
     *
     * @param commandSet     the command set the example belongs to
     * @param table          the FROM table
     * @param select         the SELECT list, in order
     * @param groupBy        plain fields grouped on
     * @param where          WHERE conditions (empty for none)
     * @param whereOr        whether conditions are joined with OR instead of AND
     * @param orderBy        ORDER BY items (empty for none)
     * @param join           the JOIN, or {@code null}
     * @param joinTableFirst whether the joined table's CREATE statement comes first in the Context
     * @throws NullPointerException if a list is {@code null} or holds {@code null}
     */
    public QuerySpec {
        select = List.copyOf(select);
        groupBy = List.copyOf(groupBy);
        where = List.copyOf(where);
        orderBy = List.copyOf(orderBy);
    }

    /**
     * The gold SQL: SELECT, FROM, JOIN, WHERE, GROUP BY and ORDER BY, on one line.
     *
     * @return the query text, without a trailing semicolon
     */
    public String sql() {
        StringBuilder sb = new StringBuilder("SELECT ");
        StringJoiner items = new StringJoiner(", ");
        select.forEach(s -> items.add(s.sql()));
        sb.append(items).append(" FROM ").append(table.name());
        if (join != null) {
            sb.append(' ').append(join.sql(table.name()));
        }
        if (!where.isEmpty()) {
            sb.append(" WHERE ");
            for (int i = 0; i < where.size(); i++) {
                if (i > 0) {
                    sb.append(whereOr ? " OR " : " AND ");
                }
                sb.append(where.get(i).sql());
            }
        }
        if (!groupBy.isEmpty()) {
            StringJoiner g = new StringJoiner(", ");
            groupBy.forEach(s -> g.add(s.reference()));
            sb.append(" GROUP BY ").append(g);
        }
        if (!orderBy.isEmpty()) {
            StringJoiner o = new StringJoiner(", ");
            orderBy.forEach(s -> o.add(s.sql()));
            sb.append(" ORDER BY ").append(o);
        }
        return sb.toString();
    }

    /**
     * The CREATE statement(s) of the Context: for JOIN queries BOTH tables, in {@link #joinTableFirst} order.
     *
     * @return one or two CREATE TABLE statements
     */
    public List<String> createStatements() {
        if (join == null) {
            return List.of(table.createStatement());
        }
        return joinTableFirst
                ? List.of(join.right().createStatement(), table.createStatement())
                : List.of(table.createStatement(), join.right().createStatement());
    }

    /**
     * The Context: the CREATE statement(s) joined by a space.
     *
     * @return the Context text
     */
    public String context() {
        return String.join(" ", createStatements());
    }

    /**
     * All tables of the query (FROM table, then joined table).
     *
     * @return a new mutable list of one or two tables
     */
    public List<TableSchema> tables() {
        List<TableSchema> t = new ArrayList<>();
        t.add(table);
        if (join != null) {
            t.add(join.right());
        }
        return t;
    }

    /**
     * A copy with another FROM table.
     *
     * @param t the new table
     * @return the copy, all else unchanged
     */
    public QuerySpec withTable(TableSchema t) {
        return new QuerySpec(commandSet, t, select, groupBy, where, whereOr, orderBy, join, joinTableFirst);
    }

    /**
     * A copy with another SELECT list and GROUP BY.
     *
     * @param s the new SELECT list
     * @param g the new GROUP BY fields (empty for none)
     * @return the copy, all else unchanged
     */
    public QuerySpec withSelect(List<SelectItem> s, List<SelectItem> g) {
        return new QuerySpec(commandSet, table, s, g, where, whereOr, orderBy, join, joinTableFirst);
    }

    /**
     * A copy with other WHERE conditions.
     *
     * @param w the new conditions (empty for none), joined as before
     * @return the copy, all else unchanged
     */
    public QuerySpec withWhere(List<Condition> w) {
        return new QuerySpec(commandSet, table, select, groupBy, w, whereOr, orderBy, join, joinTableFirst);
    }

    /**
     * A copy with other ORDER BY items.
     *
     * @param o the new items (empty for none)
     * @return the copy, all else unchanged
     */
    public QuerySpec withOrderBy(List<OrderItem> o) {
        return new QuerySpec(commandSet, table, select, groupBy, where, whereOr, o, join, joinTableFirst);
    }

    /**
     * A copy with another JOIN.
     *
     * @param j the new JOIN ({@code null} for none)
     * @return the copy, all else unchanged
     */
    public QuerySpec withJoin(JoinSpec j) {
        return new QuerySpec(commandSet, table, select, groupBy, where, whereOr, orderBy, j, joinTableFirst);
    }
}
