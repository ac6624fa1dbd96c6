package org.tinysql.data;

/**
 * A SELECT list item: a column, optionally qualified by its table (JOIN queries) and optionally aggregated.
 *
 * @param table     the qualifying table name, or {@code null} for single-table queries
 * @param column    the column
 * @param aggregate the aggregate function, or {@code null} for a plain field
 */
public record SelectItem(String table, Column column, Aggregate aggregate) {

    /** {@code price} or {@code products.price}. */
    public String reference() {
        return table == null ? column.name() : table + "." + column.name();
    }

    /** The expression: {@code price} or {@code AVG(price)}. */
    public String expression() {
        return aggregate == null ? reference() : aggregate.name() + "(" + reference() + ")";
    }

    /** The alias of an aggregate, in the original TinySQL style: {@code AVG_price}. */
    public String alias() {
        return aggregate == null ? null : aggregate.name() + "_" + column.name();
    }

    /** As written in the SELECT list: {@code price} or {@code AVG(price) AS AVG_price}. */
    public String sql() {
        return aggregate == null ? expression() : expression() + " AS " + alias();
    }

    public SelectItem withColumn(Column c) {
        return new SelectItem(table, c, aggregate);
    }

    public SelectItem withAggregate(Aggregate a) {
        return new SelectItem(table, column, a);
    }

    public SelectItem withTable(String t) {
        return new SelectItem(t, column, aggregate);
    }
}
