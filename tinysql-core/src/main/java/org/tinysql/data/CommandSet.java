package org.tinysql.data;

import java.util.Locale;

/**
 * The TinySQL command sets of growing difficulty. Each set contains all features of the ones before it:
 * CS1 SELECT/FROM, CS2 + ORDER BY, CS3 + aggregates (with GROUP BY over plain fields), CS4 + WHERE, CS5 + JOIN.
 */
public enum CommandSet {
    CS1, CS2, CS3, CS4, CS5;

    public int level() {
        return ordinal() + 1;
    }

    public boolean hasOrderBy() {
        return level() >= 2;
    }

    public boolean hasAggregates() {
        return level() >= 3;
    }

    public boolean hasWhere() {
        return level() >= 4;
    }

    public boolean hasJoin() {
        return level() >= 5;
    }

    /** Parses "3", "cs3" or "CS3". */
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
