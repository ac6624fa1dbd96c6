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

    /**
     * The word the English instruction uses for this column.
     *
     * @return the synonym, or the SQL name when there is none
     */
    public String englishName() {
        return synonym != null ? synonym : name;
    }

    /**
     * A copy with another SQL name.
     *
     * @param newName the new SQL name
     * @return the copy; type, kind and synonym unchanged
     */
    public Column withName(String newName) {
        return new Column(newName, sqlType, kind, synonym);
    }

    /**
     * A copy with another English synonym.
     *
     * @param newSynonym the new synonym, or {@code null} for none
     * @return the copy; name, type and kind unchanged
     */
    public Column withSynonym(String newSynonym) {
        return new Column(name, sqlType, kind, newSynonym);
    }

    /**
     * A copy with another declared type.
     *
     * @param newType the new SQL type, e.g. {@code VARCHAR(50)}
     * @param newKind the value class of {@code newType}
     * @return the copy; name and synonym unchanged
     */
    public Column withType(String newType, FieldKind newKind) {
        return new Column(name, newType, newKind, synonym);
    }
}
