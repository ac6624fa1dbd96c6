package org.tinysql.data;

/**
 * A column of a generated table.
 *
 * @param name     the SQL name, e.g. {@code price}
 * @param sqlType  the declared type, e.g. {@code DECIMAL(10,2)}
 * @param kind     the value class that decides aggregates, operators and literals
 * @param synonym  the English word used for this column in the instruction, or {@code null} for the name itself
 */
public record Column(String name, String sqlType, FieldKind kind, String synonym) {

    /** The word the English instruction uses for this column. */
    public String englishName() {
        return synonym != null ? synonym : name;
    }

    public Column withName(String newName) {
        return new Column(newName, sqlType, kind, synonym);
    }

    public Column withSynonym(String newSynonym) {
        return new Column(name, sqlType, kind, newSynonym);
    }

    public Column withType(String newType, FieldKind newKind) {
        return new Column(name, newType, newKind, synonym);
    }
}
