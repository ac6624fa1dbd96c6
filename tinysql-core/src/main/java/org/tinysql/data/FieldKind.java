package org.tinysql.data;

import java.util.List;

/**
 * Broad value class of a column; decides SQL types, aggregates, operators and literal shapes.
 *
 * <p>The type spellings are the ones real schemas use (73 in all, as varied as the original TinySQL's 70), limited to
 * what the execution scorer can build and fill: decimals keep at least three integer digits and two decimals (the
 * values it inserts are below 1000 with cents), there is no TINYINT (too small for them), and no types without a value
 * class here (UUID, JSON, BLOB, geometry). The first four of each kind are the common ones.
 */
public enum FieldKind {
    /** Whole numbers. */
    INT(List.of("INTEGER", "INT", "BIGINT", "SMALLINT", "MEDIUMINT", "SERIAL", "BIGSERIAL", "INT(11)", "INT(10)",
            "BIGINT(20)", "SMALLINT(6)", "MEDIUMINT(9)")),
    /** Decimal and floating-point numbers. */
    DEC(List.of("DECIMAL(10,2)", "NUMERIC(12,2)", "FLOAT", "DOUBLE", "REAL", "DOUBLE PRECISION", "DECIMAL(5,2)",
            "DECIMAL(8,2)", "DECIMAL(9,2)", "DECIMAL(11,2)", "DECIMAL(12,2)", "DECIMAL(14,2)", "DECIMAL(15,2)",
            "DECIMAL(18,2)", "DECIMAL(19,4)", "DECIMAL(20,6)", "DECIMAL(9,6)", "DECIMAL(11,8)", "DECIMAL(10,4)",
            "NUMERIC(10,2)", "NUMERIC(5,2)", "NUMERIC(8,2)", "NUMERIC(9,2)", "NUMERIC(15,2)", "NUMERIC(10,3)",
            "NUMERIC(12,4)")),
    /** Character strings. */
    TEXT(List.of("VARCHAR(255)", "VARCHAR(100)", "VARCHAR(50)", "TEXT", "VARCHAR(20)", "CHAR(10)", "VARCHAR(10)",
            "VARCHAR(32)", "VARCHAR(36)", "VARCHAR(40)", "VARCHAR(45)", "VARCHAR(64)", "VARCHAR(80)", "VARCHAR(128)",
            "VARCHAR(150)", "VARCHAR(200)", "VARCHAR(250)", "VARCHAR(500)", "VARCHAR(1000)", "VARCHAR(2048)",
            "CHAR(12)", "CHAR(16)", "CHAR(32)", "CHAR(36)", "CHAR(40)", "MEDIUMTEXT", "LONGTEXT", "TINYTEXT",
            "NVARCHAR(100)", "CHARACTER VARYING(50)")),
    /** Dates and timestamps. */
    DATE(List.of("DATE", "TIMESTAMP", "DATETIME")),
    /** Booleans. */
    BOOL(List.of("BOOLEAN", "BOOL"));

    /** How many of each kind's types are the common ones, drawn half of the time. */
    public static final int COMMON_TYPES = 4;

    private final List<String> sqlTypes;

    FieldKind(List<String> sqlTypes) {
        this.sqlTypes = sqlTypes;
    }

    /**
     * The SQL column types this kind may be declared with in a CREATE statement.
     *
     * @return the spellings, the {@link #COMMON_TYPES} common ones first; unmodifiable
     */
    public List<String> sqlTypes() {
        return sqlTypes;
    }

    /**
     * Whether values of this kind are numbers.
     *
     * @return {@code true} for INT and DEC
     */
    public boolean isNumeric() {
        return this == INT || this == DEC;
    }

    /**
     * Aggregates that make sense for this kind (COUNT for all, SUM/AVG numeric, MIN/MAX ordered kinds).
     *
     * @return the allowed aggregates, in {@link Aggregate} order
     */
    public List<Aggregate> aggregates() {
        return switch (this) {
            case INT, DEC -> List.of(Aggregate.COUNT, Aggregate.SUM, Aggregate.AVG, Aggregate.MIN, Aggregate.MAX);
            case TEXT, DATE -> List.of(Aggregate.COUNT, Aggregate.MIN, Aggregate.MAX);
            case BOOL -> List.of(Aggregate.COUNT);
        };
    }

    /**
     * A type for a new column: one of the common ones half of the time, else any.
     *
     * @param r the generator's random source
     * @return one of {@link #sqlTypes()}
     */
    public String randomSqlType(java.util.SplittableRandom r) {
        return sqlTypes.get(r.nextBoolean() ? r.nextInt(Math.min(COMMON_TYPES, sqlTypes.size())) : r.nextInt(sqlTypes.size()));
    }

    /**
     * Kind of a declared SQL type (used when reading schemas back): a listed spelling, else the kind whose listed types
     * share its name before the parenthesis ({@code DECIMAL(7,3)} is DEC); unknown types are TEXT.
     *
     * @param sqlType the declared type, any case, e.g. {@code varchar(80)}
     * @return the kind; never {@code null}
     */
    public static FieldKind ofSqlType(String sqlType) {
        String t = sqlType.toUpperCase(java.util.Locale.ROOT).trim();
        for (FieldKind k : values()) {
            if (k.sqlTypes.contains(t)) {
                return k;
            }
        }
        String base = baseName(t);
        for (FieldKind k : values()) {
            for (String s : k.sqlTypes) {
                if (baseName(s).equals(base)) {
                    return k;
                }
            }
        }
        return TEXT;
    }

    private static String baseName(String type) {
        int p = type.indexOf('(');
        return (p < 0 ? type : type.substring(0, p)).trim();
    }
}
