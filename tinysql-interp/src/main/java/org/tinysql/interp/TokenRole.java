package org.tinysql.interp;

/** The role a token plays in a TinySQL prompt and response. */
public enum TokenRole {
    /** A prompt marker ({@code ###}, Instruction:, ...) or a tokenizer prefix token such as BOS. */
    MARKER,
    /** A table name or synonym in the instruction. */
    INSTRUCTION_TABLE,
    /** A field name or synonym in the instruction. */
    INSTRUCTION_FIELD,
    /** Any other instruction token. */
    INSTRUCTION_OTHER,
    /** A table name in the Context. */
    CONTEXT_TABLE,
    /** A field name in the Context. */
    CONTEXT_FIELD,
    /** A column type in the Context. */
    CONTEXT_TYPE,
    /** Any other Context token (CREATE TABLE, parentheses, commas). */
    CONTEXT_OTHER,
    /** A SQL keyword of the response ({@link TokenTagger#KEYWORDS}). */
    RESPONSE_KEYWORD,
    /** A table name in the response. */
    RESPONSE_TABLE,
    /** A field name in the response. */
    RESPONSE_FIELD,
    /** Any other response token (literals, punctuation, aliases). */
    RESPONSE_OTHER,
    /** The end-of-sequence token after the response. */
    END;

    /** The coarse SQL role of a response token (the logit lens groups by it). */
    public enum Sql {
        /** A SQL keyword. */
        KEYWORD,
        /** A table name. */
        TABLE,
        /** A field name. */
        FIELD,
        /** Anything else. */
        OTHER
    }

    /**
     * Whether the token belongs to the response (the SQL and its EOS).
     *
     * @return {@code true} for the RESPONSE_ roles and END
     */
    public boolean isResponse() {
        return this == RESPONSE_KEYWORD || this == RESPONSE_TABLE || this == RESPONSE_FIELD || this == RESPONSE_OTHER || this == END;
    }

    /**
     * The coarse SQL role: tables and fields of instruction, Context and response alike.
     *
     * @return KEYWORD, TABLE, FIELD or OTHER
     */
    public Sql sql() {
        switch (this) {
            case RESPONSE_KEYWORD:
                return Sql.KEYWORD;
            case RESPONSE_TABLE:
            case INSTRUCTION_TABLE:
            case CONTEXT_TABLE:
                return Sql.TABLE;
            case RESPONSE_FIELD:
            case INSTRUCTION_FIELD:
            case CONTEXT_FIELD:
                return Sql.FIELD;
            default:
                return Sql.OTHER;
        }
    }

    /**
     * A display label.
     *
     * @return the name in lower case with spaces, e.g. {@code response keyword}
     */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }
}
