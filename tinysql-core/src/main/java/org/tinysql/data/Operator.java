package org.tinysql.data;

import java.util.List;

/** Comparison operators of WHERE conditions. */
public enum Operator {
    /** {@code =}: equality; every kind. */
    EQ("="),
    /** {@code !=}: inequality; every kind but BOOL. */
    NE("!="),
    /** {@code <}: less than; INT, DEC and DATE. */
    LT("<"),
    /** {@code >}: greater than; INT, DEC and DATE. */
    GT(">"),
    /** {@code <=}: less than or equal; INT, DEC and DATE. */
    LE("<="),
    /** {@code >=}: greater than or equal; INT, DEC and DATE. */
    GE(">="),
    /** {@code LIKE}: pattern match with {@code %} wildcards, e.g. {@code 'a%'}; TEXT only. */
    LIKE("LIKE"),
    /** {@code IS NULL}: takes no literal; every kind. */
    IS_NULL("IS NULL"),
    /** {@code IS NOT NULL}: takes no literal; every kind. */
    IS_NOT_NULL("IS NOT NULL");

    private final String sql;

    Operator(String sql) {
        this.sql = sql;
    }

    /**
     * @return the operator as written in SQL, e.g. {@code <=} or {@code IS NOT NULL}
     */
    public String sql() {
        return sql;
    }

    /**
     * Whether the operator takes a literal on its right-hand side.
     *
     * @return {@code false} for IS NULL and IS NOT NULL, {@code true} otherwise
     */
    public boolean takesLiteral() {
        return this != IS_NULL && this != IS_NOT_NULL;
    }

    /**
     * Operators valid for a kind of column.
     *
     * @param kind the column's value class
     * @return the operators a condition on such a column may use, in declaration order
     */
    public static List<Operator> forKind(FieldKind kind) {
        return switch (kind) {
            case INT, DEC, DATE -> List.of(EQ, NE, LT, GT, LE, GE, IS_NULL, IS_NOT_NULL);
            case TEXT -> List.of(EQ, NE, LIKE, IS_NULL, IS_NOT_NULL);
            case BOOL -> List.of(EQ, IS_NULL, IS_NOT_NULL);
        };
    }
}
