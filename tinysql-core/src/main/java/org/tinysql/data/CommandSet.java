package org.tinysql.data;

import java.util.Locale;

/**
 * The TinySQL command sets of growing difficulty. Each set contains all features of the ones before it:
 * CS1 SELECT/FROM, CS2 + ORDER BY, CS3 + aggregates (with GROUP BY over plain fields), CS4 + WHERE, CS5 + JOIN.
 */
public enum CommandSet {
    /** SELECT ... FROM one table. */
    CS1,
    /** CS1 plus ORDER BY. */
    CS2,
    /** CS2 plus aggregates (COUNT, SUM, AVG, MIN, MAX) and GROUP BY over plain fields. */
    CS3,
    /** CS3 plus WHERE conditions. */
    CS4,
    /** CS4 plus a JOIN of a second table. */
    CS5;

    /**
     * @return the set's number, 1 for CS1 to 5 for CS5
     */
    public int level() {
        return ordinal() + 1;
    }

    /**
     * @return whether queries of this set may have ORDER BY (CS2 and up)
     */
    public boolean hasOrderBy() {
        return level() >= 2;
    }

    /**
     * @return whether queries of this set may use aggregates and GROUP BY (CS3 and up)
     */
    public boolean hasAggregates() {
        return level() >= 3;
    }

    /**
     * @return whether queries of this set may have WHERE conditions (CS4 and up)
     */
    public boolean hasWhere() {
        return level() >= 4;
    }

    /**
     * @return whether queries of this set may JOIN a second table (CS5)
     */
    public boolean hasJoin() {
        return level() >= 5;
    }

    /**
     * Parses "3", "cs3" or "CS3".
     *
     * @param s the text, case-insensitive, surrounding blanks ignored
     * @return the command set
     * @throws IllegalArgumentException if {@code s} names none of CS1..CS5
     */
    public static CommandSet parse(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        if (!t.startsWith("CS")) {
            t = "CS" + t;
        }
        try {
            return valueOf(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown command set '" + s + "': expected one of 1..5 or CS1..CS5", e);
        }
    }
}
