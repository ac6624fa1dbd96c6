package org.tinysql.data;

import java.util.List;

/** Broad value class of a column; decides SQL types, aggregates, operators and literal shapes. */
public enum FieldKind {
    INT(List.of("INTEGER", "INT", "BIGINT", "SMALLINT")),
    DEC(List.of("DECIMAL(10,2)", "NUMERIC(12,2)", "FLOAT", "DOUBLE", "REAL")),
    TEXT(List.of("VARCHAR(255)", "VARCHAR(100)", "VARCHAR(50)", "VARCHAR(20)", "CHAR(10)", "TEXT")),
    DATE(List.of("DATE", "TIMESTAMP", "DATETIME")),
    BOOL(List.of("BOOLEAN"));

    private final List<String> sqlTypes;

    FieldKind(List<String> sqlTypes) {
        this.sqlTypes = sqlTypes;
    }

    /** The SQL column types this kind may be declared with in a CREATE statement. */
    public List<String> sqlTypes() {
        return sqlTypes;
    }

    public boolean isNumeric() {
        return this == INT || this == DEC;
    }

    /** Aggregates that make sense for this kind (COUNT for all, SUM/AVG numeric, MIN/MAX ordered kinds). */
    public List<Aggregate> aggregates() {
        return switch (this) {
            case INT, DEC -> List.of(Aggregate.COUNT, Aggregate.SUM, Aggregate.AVG, Aggregate.MIN, Aggregate.MAX);
            case TEXT, DATE -> List.of(Aggregate.COUNT, Aggregate.MIN, Aggregate.MAX);
            case BOOL -> List.of(Aggregate.COUNT);
        };
    }

    /** Kind of a declared SQL type (used when reading schemas back); unknown types are TEXT. */
    public static FieldKind ofSqlType(String sqlType) {
        String t = sqlType.toUpperCase(java.util.Locale.ROOT).trim();
        for (FieldKind k : values()) {
            for (String s : k.sqlTypes) {
                if (s.equals(t) || (s.contains("(") && t.startsWith(s.substring(0, s.indexOf('('))))) {
                    return k;
                }
            }
        }
        return TEXT;
    }
}
