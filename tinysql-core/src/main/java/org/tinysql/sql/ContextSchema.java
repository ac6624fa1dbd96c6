package org.tinysql.sql;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The validated model of a Context's CREATE TABLE statements: table and column names that are plain identifiers
 * (upper-cased) and types from {@link SqlType}'s fixed set. The execution scorer writes its DDL from this model
 * only, never from the Context text.
 *
 * @param tables the tables in Context order
 */
public record ContextSchema(List<Table> tables) {
    /** Letters, digits and underscore, not starting with a digit; at most 64 characters. */
    public static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
    /** Longest accepted Context, in characters; a longer one is rejected. */
    public static final int MAX_CONTEXT_CHARS = 20_000;
    /** Most CREATE TABLE statements a Context may hold. */
    public static final int MAX_TABLES = 16;
    /** Most columns a table may have. */
    public static final int MAX_COLUMNS = 64;

    /**
     * Copies the tables into an unmodifiable list.
     *
     * @param tables the tables in Context order
     * @throws NullPointerException if {@code tables} is or holds {@code null}
     */
    public ContextSchema {
        tables = List.copyOf(tables);
    }

    /**
     * One table: its upper-case name and columns.
     *
     * @param name    the table name, an upper-case plain identifier
     * @param columns the columns in declaration order
     */
    public record Table(String name, List<Column> columns) {
        /**
         * Checks the name and copies the columns.
         *
         * @param name    the table name, an upper-case plain identifier
         * @param columns the columns in declaration order
         * @throws IllegalArgumentException if {@code name} is not an upper-case {@link #IDENTIFIER}
         */
        public Table {
            requireIdentifier(name);
            columns = List.copyOf(columns);
        }

        /**
         * {@code CREATE TABLE "NAME" ("A" INTEGER, ...)}, from validated names and types only.
         *
         * @return the statement, names double-quoted, types from {@link SqlType#ddl()}
         */
        public String ddl() {
            StringBuilder sb = new StringBuilder("CREATE TABLE ").append(quoted(name)).append(" (");
            for (int i = 0; i < columns.size(); i++) {
                Column c = columns.get(i);
                sb.append(i > 0 ? ", " : "").append(quoted(c.name())).append(' ').append(c.type().ddl());
            }
            return sb.append(')').toString();
        }
    }

    /**
     * One column: its upper-case name and type.
     *
     * @param name the column name, an upper-case plain identifier
     * @param type the column's type
     */
    public record Column(String name, SqlType type) {
        /**
         * Checks the name.
         *
         * @param name the column name, an upper-case plain identifier
         * @param type the column's type
         * @throws IllegalArgumentException if {@code name} is not an upper-case {@link #IDENTIFIER}
         */
        public Column {
            requireIdentifier(name);
        }
    }

    /**
     * Parses a Context: one or more {@code CREATE TABLE name (column type [NOT NULL | NULL | PRIMARY KEY | UNIQUE]...,
     * [PRIMARY KEY (columns) | UNIQUE (columns)])}, optionally separated by {@code ;}. Names may be quoted with
     * {@code "}, {@code `} or {@code []} but must be plain identifiers inside the quotes.
     *
     * @throws SqlRejectedException naming the character offset, table and column at fault
     * @param context the Context text, at most {@value #MAX_CONTEXT_CHARS} characters
     * @return the schema, names upper-cased
     */
    public static ContextSchema parse(String context) throws SqlRejectedException {
        return new ContextParser(context).parse();
    }

    /** An identifier of this model in double quotes, for DDL (safe: the records only hold plain identifiers). */
    static String quoted(String identifier) {
        return '"' + identifier + '"';
    }

    private static void requireIdentifier(String name) {
        if (name == null || !IDENTIFIER.matcher(name).matches() || !name.equals(name.toUpperCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException("not an upper-case plain identifier: "
                    + (name == null ? "null" : ReasonText.quote(name)));
        }
    }
}
