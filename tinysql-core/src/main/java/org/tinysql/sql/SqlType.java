package org.tinysql.sql;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tinysql.data.FieldKind;

/**
 * A column type from the fixed set that the execution scorer creates. Declared types (from a Context or a CAST)
 * are mapped onto it by {@link #of}; only {@link #ddl()}, never the declared text, reaches the database.
 *
 * @param base   the type family
 * @param length the length (CHAR, VARCHAR) or precision (DECIMAL), 0 when not declared
 * @param scale  the scale of a DECIMAL, else 0
 */
public record SqlType(Base base, int length, int scale) {
    /** Longest VARCHAR a Context may declare; the values we insert are short words anyway. */
    public static final int MAX_VARCHAR = 65_535;
    /** Longest CHAR: H2 pads CHAR values to their length, so this bounds the memory of every value. */
    public static final int MAX_CHAR = 255;
    /** Largest DECIMAL/NUMERIC precision a Context may declare. */
    public static final int MAX_PRECISION = 38;
    private static final int MAX_DISPLAY_WIDTH = 255;

    /** The type families and their H2 spelling. */
    public enum Base {
        /** INTEGER, INT, MEDIUMINT, SERIAL. */
        INTEGER("INTEGER", FieldKind.INT, Params.DISPLAY_WIDTH),
        /** BIGINT, BIGSERIAL. */
        BIGINT("BIGINT", FieldKind.INT, Params.DISPLAY_WIDTH),
        /** SMALLINT. */
        SMALLINT("SMALLINT", FieldKind.INT, Params.DISPLAY_WIDTH),
        /** TINYINT. */
        TINYINT("TINYINT", FieldKind.INT, Params.DISPLAY_WIDTH),
        /** DECIMAL, DEC, with optional precision and scale. */
        DECIMAL("DECIMAL", FieldKind.DEC, Params.PRECISION_SCALE),
        /** NUMERIC, NUMBER, with optional precision and scale. */
        NUMERIC("NUMERIC", FieldKind.DEC, Params.PRECISION_SCALE),
        /** FLOAT. */
        FLOAT("FLOAT", FieldKind.DEC, Params.NONE),
        /** REAL. */
        REAL("REAL", FieldKind.DEC, Params.NONE),
        /** DOUBLE, DOUBLE PRECISION. */
        DOUBLE("DOUBLE PRECISION", FieldKind.DEC, Params.NONE),
        /** VARCHAR and its synonyms (CHARACTER VARYING, NVARCHAR, TEXT, STRING, the *TEXT types), optional length. */
        VARCHAR("CHARACTER VARYING", FieldKind.TEXT, Params.LENGTH),
        /** CHAR, CHARACTER, NCHAR, optional length (1 when absent). */
        CHAR("CHARACTER", FieldKind.TEXT, Params.LENGTH),
        /** DATE. */
        DATE("DATE", FieldKind.DATE, Params.NONE),
        /** TIMESTAMP, DATETIME. */
        TIMESTAMP("TIMESTAMP", FieldKind.DATE, Params.NONE),
        /** BOOLEAN, BOOL. */
        BOOLEAN("BOOLEAN", FieldKind.BOOL, Params.NONE);

        private final String h2;
        private final FieldKind kind;
        private final Params params;

        Base(String h2, FieldKind kind, Params params) {
            this.h2 = h2;
            this.kind = kind;
            this.params = params;
        }
    }

    /** DISPLAY_WIDTH: MySQL's {@code INT(11)}, accepted and ignored. */
    private enum Params { NONE, DISPLAY_WIDTH, LENGTH, PRECISION_SCALE }

    /** Accepted spellings (upper case, words separated by one space). */
    private static final Map<String, Base> NAMES = Map.ofEntries(
            Map.entry("INTEGER", Base.INTEGER), Map.entry("INT", Base.INTEGER), Map.entry("BIGINT", Base.BIGINT),
            Map.entry("SMALLINT", Base.SMALLINT), Map.entry("TINYINT", Base.TINYINT), Map.entry("MEDIUMINT", Base.INTEGER),
            Map.entry("SERIAL", Base.INTEGER), Map.entry("BIGSERIAL", Base.BIGINT),
            Map.entry("DECIMAL", Base.DECIMAL), Map.entry("DEC", Base.DECIMAL), Map.entry("NUMERIC", Base.NUMERIC),
            Map.entry("NUMBER", Base.NUMERIC), Map.entry("FLOAT", Base.FLOAT), Map.entry("REAL", Base.REAL),
            Map.entry("DOUBLE", Base.DOUBLE), Map.entry("DOUBLE PRECISION", Base.DOUBLE),
            Map.entry("VARCHAR", Base.VARCHAR), Map.entry("CHARACTER VARYING", Base.VARCHAR),
            Map.entry("NVARCHAR", Base.VARCHAR), Map.entry("TEXT", Base.VARCHAR), Map.entry("STRING", Base.VARCHAR),
            Map.entry("TINYTEXT", Base.VARCHAR), Map.entry("MEDIUMTEXT", Base.VARCHAR), Map.entry("LONGTEXT", Base.VARCHAR),
            Map.entry("CHAR", Base.CHAR), Map.entry("CHARACTER", Base.CHAR), Map.entry("NCHAR", Base.CHAR),
            Map.entry("DATE", Base.DATE), Map.entry("TIMESTAMP", Base.TIMESTAMP), Map.entry("DATETIME", Base.TIMESTAMP),
            Map.entry("BOOLEAN", Base.BOOLEAN), Map.entry("BOOL", Base.BOOLEAN));

    /**
     * The type for a declared name and its numeric parameters, e.g. {@code ("DECIMAL", [10, 2])}.
     *
     * @throws SqlRejectedException for an unknown name, parameters the type does not take, or out-of-range values
     * @param name   the declared type name, any case and spacing, e.g. {@code double  precision}
     * @param params the numbers in parentheses after it, empty for none
     * @return the type
     */
    public static SqlType of(String name, List<Integer> params) throws SqlRejectedException {
        String key = name.strip().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
        Base base = NAMES.get(key);
        if (base == null) {
            throw new SqlRejectedException("unsupported type " + ReasonText.quote(name) + " (supported: "
                    + NAMES.keySet().stream().sorted().toList() + ")");
        }
        int n = params.size();
        switch (base.params) {
            case NONE:
                if (n > 0) {
                    throw new SqlRejectedException("type " + key + " takes no parameters");
                }
                return new SqlType(base, 0, 0);
            case DISPLAY_WIDTH:
                if (n > 1 || n == 1 && (params.get(0) < 1 || params.get(0) > MAX_DISPLAY_WIDTH)) {
                    throw new SqlRejectedException("type " + key + " takes at most a display width 1.." + MAX_DISPLAY_WIDTH);
                }
                return new SqlType(base, 0, 0);
            case LENGTH: {
                if (n > 1) {
                    throw new SqlRejectedException("type " + key + " takes one length");
                }
                int max = base == Base.CHAR ? MAX_CHAR : MAX_VARCHAR;
                int len = n == 0 ? (base == Base.CHAR ? 1 : 0) : params.get(0);
                if (n == 1 && (len < 1 || len > max)) {
                    throw new SqlRejectedException("length of " + key + " must be 1.." + max + ", not " + len);
                }
                return new SqlType(base, len, 0);
            }
            default: {
                if (n > 2) {
                    throw new SqlRejectedException("type " + key + " takes a precision and a scale");
                }
                int precision = n == 0 ? MAX_PRECISION : params.get(0);
                int scale = n == 2 ? params.get(1) : 0;
                if (precision < 1 || precision > MAX_PRECISION || scale < 0 || scale > precision) {
                    throw new SqlRejectedException("precision and scale of " + key + " must be 1.." + MAX_PRECISION
                            + " and 0..precision, not " + params);
                }
                return new SqlType(base, n == 0 ? 0 : precision, scale);
            }
        }
    }

    /**
     * The value class that decides which random values a column of this type gets.
     *
     * @return the kind of the type's family
     */
    public FieldKind kind() {
        return base.kind;
    }

    /**
     * The H2 type, written from the validated fields only.
     *
     * @return e.g. {@code INTEGER}, {@code CHARACTER VARYING(50)} or {@code DECIMAL(10,2)}
     */
    public String ddl() {
        if (length == 0) {
            return base.h2;
        }
        return base.params == Params.PRECISION_SCALE ? base.h2 + "(" + length + "," + scale + ")"
                : base.h2 + "(" + length + ")";
    }
}
