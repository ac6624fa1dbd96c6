package org.tinysql.interp;

/** The role a token plays in a TinySQL prompt and response. */
public enum TokenRole {
    MARKER, INSTRUCTION_TABLE, INSTRUCTION_FIELD, INSTRUCTION_OTHER, CONTEXT_TABLE, CONTEXT_FIELD, CONTEXT_TYPE, CONTEXT_OTHER,
    RESPONSE_KEYWORD, RESPONSE_TABLE, RESPONSE_FIELD, RESPONSE_OTHER, END;

    /** The coarse SQL role of a response token (the logit lens groups by it). */
    public enum Sql { KEYWORD, TABLE, FIELD, OTHER }

    public boolean isResponse() {
        return this == RESPONSE_KEYWORD || this == RESPONSE_TABLE || this == RESPONSE_FIELD || this == RESPONSE_OTHER || this == END;
    }

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

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }
}
