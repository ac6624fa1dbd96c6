package org.tinysql.data;

import java.util.ArrayList;
import java.util.List;

/**
 * A generated table: its SQL name, the synonym the instruction uses (or {@code null}) and its columns.
 */
public record TableSchema(String name, String synonym, List<Column> columns) {

    public TableSchema {
        columns = List.copyOf(columns);
    }

    public String englishName() {
        return synonym != null ? synonym : name;
    }

    /** {@code CREATE TABLE name ( a TYPE, b TYPE )} in the original TinySQL layout. */
    public String createStatement() {
        return createStatement(", ");
    }

    /** The CREATE statement with a custom separator between column definitions (used by corruptions). */
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

    public Column column(String columnName) {
        for (Column c : columns) {
            if (c.name().equals(columnName)) {
                return c;
            }
        }
        throw new IllegalArgumentException("table " + name + " has no column " + columnName);
    }

    public TableSchema withName(String newName, String newSynonym) {
        return new TableSchema(newName, newSynonym, columns);
    }

    /** A copy with one column replaced (matched by its current name). */
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
