package org.tinysql.data;

import java.util.Locale;

/** The one element that a clean/corrupt prompt pair differs in. */
public enum CorruptionKind {
    /** The table name in the instruction (the Context keeps the clean table). */
    INSTRUCTION_TABLE(CommandSet.CS1, Part.INSTRUCTION),
    /** A selected field name in the instruction (replaced by another field of the same table). */
    INSTRUCTION_FIELD(CommandSet.CS1, Part.INSTRUCTION),
    /** The table name in the Context's CREATE statement. */
    CONTEXT_TABLE(CommandSet.CS1, Part.CONTEXT),
    /** A selected field's name in the Context's CREATE statement. */
    CONTEXT_FIELD(CommandSet.CS1, Part.CONTEXT),
    /** A field's SQL type in the Context (answer unchanged: for KL/probability metrics). */
    CONTEXT_TYPE(CommandSet.CS1, Part.CONTEXT),
    /** The separator between column definitions in the Context (answer unchanged). */
    CONTEXT_SEPARATOR(CommandSet.CS1, Part.CONTEXT),
    /**
     * The CREATE keyword of the FROM table's statement in the Context, replaced by MAKE, BUILD, GENERATE or CONSTRUCT (the
     * original TinySQL's DefCreateTable: the model must find the table name after CREATE TABLE), or by SELECT or FROM,
     * which the SQL vocabulary of models trained from scratch holds as one token (answer unchanged).
     */
    CONTEXT_CREATE(CommandSet.CS1, Part.CONTEXT),
    /** The ORDER BY field in the instruction. */
    ORDER_BY_FIELD(CommandSet.CS2, Part.INSTRUCTION),
    /** The ORDER BY direction in the instruction. */
    ORDER_BY_DIRECTION(CommandSet.CS2, Part.INSTRUCTION),
    /** An aggregate function in the instruction. */
    AGGREGATE_FUNCTION(CommandSet.CS3, Part.INSTRUCTION),
    /** An aggregated field in the instruction. */
    AGGREGATE_FIELD(CommandSet.CS3, Part.INSTRUCTION),
    /** A WHERE field in the instruction. */
    WHERE_FIELD(CommandSet.CS4, Part.INSTRUCTION),
    /** A WHERE operator in the instruction. */
    WHERE_OPERATOR(CommandSet.CS4, Part.INSTRUCTION),
    /** A WHERE literal in the instruction. */
    WHERE_LITERAL(CommandSet.CS4, Part.INSTRUCTION),
    /** The joined table's name in the instruction. */
    JOIN_TABLE(CommandSet.CS5, Part.INSTRUCTION),
    /** The joined table's key column in the instruction (another column of the joined table, same kind). */
    JOIN_KEY(CommandSet.CS5, Part.INSTRUCTION),
    /** The joined table's name in its CREATE statement in the Context (the instruction keeps the clean name or synonym). */
    CONTEXT_JOIN_TABLE(CommandSet.CS5, Part.CONTEXT);

    /** Which part of the prompt a kind changes. */
    public enum Part {
        /** The English instruction. */
        INSTRUCTION,
        /** The Context's CREATE statement(s). */
        CONTEXT
    }

    private final CommandSet minimum;
    private final Part part;

    CorruptionKind(CommandSet minimum, Part part) {
        this.minimum = minimum;
        this.part = part;
    }

    /**
     * The lowest command set whose queries contain the element.
     *
     * @return CS1 for table and field kinds up to CS5 for {@link #JOIN_TABLE}
     */
    public CommandSet minimumCommandSet() {
        return minimum;
    }

    /**
     * Whether the corrupt prompt calls for another SQL answer. The Context's types, separators and CREATE keyword do not
     * change the answer: measure them with a distribution metric (KL), not a logit difference.
     *
     * @return false for {@link #CONTEXT_TYPE}, {@link #CONTEXT_SEPARATOR} and {@link #CONTEXT_CREATE}
     */
    public boolean changesAnswer() {
        return this != CONTEXT_TYPE && this != CONTEXT_SEPARATOR && this != CONTEXT_CREATE;
    }

    /**
     * Which part of the prompt this kind changes.
     *
     * @return the instruction or the Context
     */
    public Part part() {
        return part;
    }

    /**
     * Parses {@code instruction-table}, {@code INSTRUCTION_TABLE}, ...
     *
     * @param s the name, any case, with {@code -} or {@code _} between words
     * @return the kind
     * @throws IllegalArgumentException if {@code s} names no kind; the message lists them all
     */
    public static CorruptionKind parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown corruption '" + s + "': expected one of "
                    + java.util.Arrays.stream(values()).map(k -> k.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList(), e);
        }
    }
}
