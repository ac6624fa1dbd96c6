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

    public String reference() {
        return table == null ? column.name() : table + "." + column.name();
    }

    public String sql() {
        return op.takesLiteral() ? reference() + " " + op.sql() + " " + literal : reference() + " " + op.sql();
    }

    public Condition withColumn(Column c) {
        return new Condition(table, c, op, literal);
    }

    public Condition withOp(Operator o) {
        return new Condition(table, column, o, literal);
    }

    public Condition withLiteral(String l) {
        return new Condition(table, column, op, l);
    }
}
