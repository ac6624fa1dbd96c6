package org.tinysql.data;

/**
 * A SELECT list item: a column, optionally qualified by its table (JOIN queries) and optionally aggregated.
 *
 * @param table     the qualifying table name, or {@code null} for single-table queries
 * @param column    the column
 * @param aggregate the aggregate function, or {@code null} for a plain field
 */
public record SelectItem(String table, Column column, Aggregate aggregate) {

    /**
     * {@code price} or {@code products.price}.
     *
     * @return the column's name, qualified by the table when there is one
     */
    public String reference() {
        return table == null ? column.name() : table + "." + column.name();
    }

    /**
     * The expression: {@code price} or {@code AVG(price)}.
     *
     * @return the reference, wrapped in the aggregate when there is one
     */
    public String expression() {
        return aggregate == null ? reference() : aggregate.name() + "(" + reference() + ")";
    }

    /**
     * The alias of an aggregate, in the original TinySQL style: {@code AVG_price}.
     *
     * @return the alias, or {@code null} for a plain field
     */
    public String alias() {
        return aggregate == null ? null : aggregate.name() + "_" + column.name();
    }

    /**
     * As written in the SELECT list: {@code price} or {@code AVG(price) AS AVG_price}.
     *
     * @return the item's SELECT-list text
     */
    public String sql() {
        return aggregate == null ? expression() : expression() + " AS " + alias();
    }

    /**
     * A copy on another column.
     *
     * @param c the new column
     * @return the copy, same table and aggregate
     */
    public SelectItem withColumn(Column c) {
        return new SelectItem(table, c, aggregate);
    }

    /**
     * A copy with another aggregate.
     *
     * @param a the new aggregate, or {@code null} for a plain field
     * @return the copy, same table and column
     */
    public SelectItem withAggregate(Aggregate a) {
        return new SelectItem(table, column, a);
    }

    /**
     * A copy with another qualifying table.
     *
     * @param t the new table name, or {@code null} for an unqualified column
     * @return the copy, same column and aggregate
     */
    public SelectItem withTable(String t) {
        return new SelectItem(t, column, aggregate);
    }
}
