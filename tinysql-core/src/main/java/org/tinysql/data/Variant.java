package org.tinysql.data;

import java.util.Locale;

/** Literal: the instruction names tables and fields as the schema does. Synonym: it may use synonyms. */
public enum Variant {
    LITERAL, SYNONYM;

    public static Variant parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown variant '" + s + "': expected literal or synonym", e);
        }
    }
}
