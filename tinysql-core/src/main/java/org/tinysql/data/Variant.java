package org.tinysql.data;

import java.util.Locale;

/** Literal: the instruction names tables and fields as the schema does. Synonym: it may use synonyms. */
public enum Variant {
    /** The instruction uses the schema's own table and field names. */
    LITERAL,
    /** The instruction may use English synonyms for table and field names. */
    SYNONYM;

    /**
     * Parses {@code literal} or {@code synonym}, case-insensitive, surrounding blanks ignored.
     *
     * @param s the text
     * @return the variant
     * @throws IllegalArgumentException if {@code s} is neither
     */
    public static Variant parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown variant '" + s + "': expected literal or synonym", e);
        }
    }
}
