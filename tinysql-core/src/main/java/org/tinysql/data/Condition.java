package org.tinysql.data;

/**
 * One WHERE condition.
 *
 * @param table   qualifying table (JOIN queries) or {@code null}
 * @param column  the column tested
 * @param op      the operator
 * @param literal the SQL literal ({@code 42}, {@code 'abc'}, {@code '%y%'}, {@code TRUE}), or {@code null} for IS [NOT] NULL
 */
public record Condition(String table, Column column, Operator op, String literal) {

    /**
     * The tested column as written: {@code price} or {@code products.price}.
     *
     * @return the column's name, qualified by the table when there is one
     */
    public String reference() {
        return table == null ? column.name() : table + "." + column.name();
    }

    /**
     * The condition as written after WHERE: {@code price > 42} or {@code name IS NULL}.
     *
     * @return the reference, the operator and, when it takes one, the literal
     */
    public String sql() {
        return op.takesLiteral() ? reference() + " " + op.sql() + " " + literal : reference() + " " + op.sql();
    }

    /**
     * A copy testing another column.
     *
     * @param c the new column
     * @return the copy, same table, operator and literal
     */
    public Condition withColumn(Column c) {
        return new Condition(table, c, op, literal);
    }

    /**
     * A copy with another operator.
     *
     * @param o the new operator; the literal is kept as is, so it should take one iff the old one did
     * @return the copy, same table, column and literal
     */
    public Condition withOp(Operator o) {
        return new Condition(table, column, o, literal);
    }

    /**
     * A copy with another literal.
     *
     * @param l the new SQL literal, or {@code null} for IS [NOT] NULL
     * @return the copy, same table, column and operator
     */
    public Condition withLiteral(String l) {
        return new Condition(table, column, op, l);
    }
}
