package org.tinysql.data;

import java.util.ArrayList;
import java.util.List;

/**
 * A generated table: its SQL name, the synonym the instruction uses (or {@code null}) and its columns.
 *
 * @param name     the SQL table name
 * @param synonym  the English word the instruction uses for the table, or {@code null} for the name itself
 * @param columns  the columns in CREATE order
 */
public record TableSchema(String name, String synonym, List<Column> columns) {

    /**
     * Copies the columns into an unmodifiable list.
     *
     * @param name     the SQL table name
     * @param synonym  the English synonym, or {@code null}
     * @param columns  the columns in CREATE order
     * @throws NullPointerException if {@code columns} is or holds {@code null}
     */
    public TableSchema {
        columns = List.copyOf(columns);
    }

    /**
     * The word the English instruction uses for this table.
     *
     * @return the synonym, or the SQL name when there is none
     */
    public String englishName() {
        return synonym != null ? synonym : name;
    }

    /**
     * {@code CREATE TABLE name ( a TYPE, b TYPE )} in the original TinySQL layout.
     *
     * @return the statement, column definitions separated by {@code ", "}
     */
    public String createStatement() {
        return createStatement(", ");
    }

    /**
     * The CREATE statement with a custom separator between column definitions (used by corruptions).
     *
     * @param separator written between column definitions, e.g. {@code ", "}
     * @return the statement
     */
    public String createStatement(String separator) {
        StringBuilder sb = new StringBuilder("CREATE TABLE ").append(name).append(" ( ");
        for (int i = 0; i < columns.size(); i++) {
            if (i > 0) {
                sb.append(separator);
            }
            Column c = columns.get(i);
            sb.append(c.name()).append(' ').append(c.sqlType());
        }
        return sb.append(" )").toString();
    }

    /**
     * The column of a given name.
     *
     * @param columnName the SQL name, case-sensitive
     * @return the column
     * @throws IllegalArgumentException if the table has no such column
     */
    public Column column(String columnName) {
        for (Column c : columns) {
            if (c.name().equals(columnName)) {
                return c;
            }
        }
        throw new IllegalArgumentException("table " + name + " has no column " + columnName);
    }

    /**
     * A copy with another name and synonym.
     *
     * @param newName    the new SQL name
     * @param newSynonym the new synonym, or {@code null} for none
     * @return the copy, same columns; qualifiers in queries are not changed (see {@link SpecRewriter#renameTable})
     */
    public TableSchema withName(String newName, String newSynonym) {
        return new TableSchema(newName, newSynonym, columns);
    }

    /**
     * A copy with one column replaced (matched by its current name).
     *
     * @param oldName     the SQL name of the column to replace
     * @param replacement the new column, put at the same position
     * @return the copy
     * @throws IllegalArgumentException if the table has no column {@code oldName}
     */
    public TableSchema withColumn(String oldName, Column replacement) {
        List<Column> cols = new ArrayList<>(columns);
        for (int i = 0; i < cols.size(); i++) {
            if (cols.get(i).name().equals(oldName)) {
                cols.set(i, replacement);
                return new TableSchema(name, synonym, cols);
            }
        }
        throw new IllegalArgumentException("table " + name + " has no column " + oldName);
    }
}
