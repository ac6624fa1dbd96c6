package org.tinysql.data;

import java.util.List;
import java.util.function.UnaryOperator;

/** Consistent rewrites of a {@link QuerySpec}: a column or table changes everywhere it occurs. */
public final class SpecRewriter {

    private SpecRewriter() {
    }

    /**
     * Applies {@code f} to every column occurrence: table schemas, SELECT, GROUP BY, WHERE, ORDER BY, JOIN keys.
     *
     * @param q the query
     * @param f maps each column; it should map equal columns alike so that references stay consistent
     * @return the rewritten query
     */
    public static QuerySpec mapColumns(QuerySpec q, UnaryOperator<Column> f) {
        UnaryOperator<SelectItem> s = i -> i.withColumn(f.apply(i.column()));
        JoinSpec j = q.join() == null ? null
                : new JoinSpec(mapTable(q.join().right(), f), f.apply(q.join().leftKey()), f.apply(q.join().rightKey()));
        return new QuerySpec(q.commandSet(), mapTable(q.table(), f), map(q.select(), s), map(q.groupBy(), s),
                map(q.where(), c -> c.withColumn(f.apply(c.column()))), q.whereOr(),
                map(q.orderBy(), o -> o.withTarget(s.apply(o.target()))), j, q.joinTableFirst());
    }

    /**
     * Renames a table (and its qualifiers); {@code newSynonym} is what the instruction calls it.
     *
     * @param q          the query
     * @param oldName    the table's current name
     * @param newName    its new name (may equal {@code oldName} to change the synonym only)
     * @param newSynonym its new synonym, or {@code null} for none
     * @return the rewritten query
     */
    public static QuerySpec renameTable(QuerySpec q, String oldName, String newName, String newSynonym) {
        UnaryOperator<String> rn = t -> oldName.equals(t) ? newName : t;
        UnaryOperator<SelectItem> s = i -> i.withTable(rn.apply(i.table()));
        UnaryOperator<TableSchema> tf = t -> t.name().equals(oldName) ? t.withName(newName, newSynonym) : t;
        JoinSpec j = q.join() == null ? null : q.join().withRight(tf.apply(q.join().right()));
        return new QuerySpec(q.commandSet(), tf.apply(q.table()), map(q.select(), s), map(q.groupBy(), s),
                map(q.where(), c -> new Condition(rn.apply(c.table()), c.column(), c.op(), c.literal())), q.whereOr(),
                map(q.orderBy(), o -> o.withTarget(s.apply(o.target()))), j, q.joinTableFirst());
    }

    /**
     * The spec with every table and column synonym removed (what the literal variant says).
     *
     * @param q the query
     * @return the query with every synonym {@code null}
     */
    public static QuerySpec stripSynonyms(QuerySpec q) {
        QuerySpec out = mapColumns(q, c -> c.synonym() == null ? c : c.withSynonym(null));
        for (TableSchema t : q.tables()) {
            if (t.synonym() != null) {
                out = renameTable(out, t.name(), t.name(), null);
            }
        }
        return out;
    }

    private static TableSchema mapTable(TableSchema t, UnaryOperator<Column> f) {
        return new TableSchema(t.name(), t.synonym(), map(t.columns(), f));
    }

    private static <T> List<T> map(List<T> items, UnaryOperator<T> f) {
        return items.stream().map(f).toList();
    }
}
