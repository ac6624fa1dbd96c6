package org.tinysql.data;

import java.util.List;

/** Comparison operators of WHERE conditions. */
public enum Operator {
    EQ("="), NE("!="), LT("<"), GT(">"), LE("<="), GE(">="), LIKE("LIKE"), IS_NULL("IS NULL"), IS_NOT_NULL("IS NOT NULL");

    private final String sql;

    Operator(String sql) {
        this.sql = sql;
    }

    public String sql() {
        return sql;
    }

    /** Whether the operator takes a literal on its right-hand side. */
    public boolean takesLiteral() {
        return this != IS_NULL && this != IS_NOT_NULL;
    }

    /** Operators valid for a kind of column. */
    public static List<Operator> forKind(FieldKind kind) {
        return switch (kind) {
            case INT, DEC, DATE -> List.of(EQ, NE, LT, GT, LE, GE, IS_NULL, IS_NOT_NULL);
            case TEXT -> List.of(EQ, NE, LIKE, IS_NULL, IS_NOT_NULL);
            case BOOL -> List.of(EQ, IS_NULL, IS_NOT_NULL);
        };
    }
}
