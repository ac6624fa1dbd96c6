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
    public static final int MAX_CONTEXT_CHARS = 20_000;
    public static final int MAX_TABLES = 16;
    public static final int MAX_COLUMNS = 64;

    public ContextSchema {
        tables = List.copyOf(tables);
    }

    /** One table: its upper-case name and columns. */
    public record Table(String name, List<Column> columns) {
        public Table {
            requireIdentifier(name);
            columns = List.copyOf(columns);
        }

        /** {@code CREATE TABLE "NAME" ("A" INTEGER, ...)}, from validated names and types only. */
        public String ddl() {
            StringBuilder sb = new StringBuilder("CREATE TABLE ").append(quoted(name)).append(" (");
            for (int i = 0; i < columns.size(); i++) {
                Column c = columns.get(i);
                sb.append(i > 0 ? ", " : "").append(quoted(c.name())).append(' ').append(c.type().ddl());
            }
            return sb.append(')').toString();
        }
    }

    /** One column: its upper-case name and type. */
    public record Column(String name, SqlType type) {
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
