package org.tinysql.sql;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The words before ORDER BY cut at the first {@code JOIN}, {@code WHERE} and {@code GROUP BY} words, for the CS4/CS5
 * extension of the original scorer: the SELECT ... FROM core and each clause's words (from its keyword to the next
 * clause keyword). Only the first occurrence of each keyword starts a clause; a later one is an ordinary word of the
 * clause it falls in.
 *
 * @param core    the words before the first clause keyword
 * @param clauses the words of each clause present, keyword(s) included
 */
record OriginalClauses(List<String> core, Map<Kind, List<String>> clauses) {
    static final Kind JOIN = Kind.JOIN;
    static final Kind WHERE = Kind.WHERE;
    static final Kind GROUP_BY = Kind.GROUP_BY;

    /** The clauses beyond the paper's, in SQL order, with their keyword words. */
    enum Kind {
        JOIN("join", "JOIN"), WHERE("where", "WHERE"), GROUP_BY("group_by", "GROUP", "BY");

        final String label;
        final List<String> keywords;

        Kind(String label, String... keywords) {
            this.label = label;
            this.keywords = List.of(keywords);
        }

        boolean startsAt(List<String> words, int i) {
            if (i + keywords.size() > words.size()) {
                return false;
            }
            for (int k = 0; k < keywords.size(); k++) {
                if (!words.get(i + k).equals(keywords.get(k))) {
                    return false;
                }
            }
            return true;
        }
    }

    boolean has(Kind k) {
        return clauses.containsKey(k);
    }

    /** The words of a clause, or null when absent. */
    List<String> get(Kind k) {
        return clauses.get(k);
    }

    /** Cuts the (upper-case, comma-stripped) words before ORDER BY. */
    static OriginalClauses of(List<String> words) {
        int[] start = new int[Kind.values().length];
        Arrays.fill(start, -1);
        for (int i = 0; i < words.size(); i++) {
            for (Kind k : Kind.values()) {
                if (start[k.ordinal()] < 0 && k.startsAt(words, i)) {
                    start[k.ordinal()] = i;
                }
            }
        }
        List<Integer> cuts = new ArrayList<>();
        for (int s : start) {
            if (s >= 0) {
                cuts.add(s);
            }
        }
        cuts.sort(null);
        int coreEnd = cuts.isEmpty() ? words.size() : cuts.get(0);
        Map<Kind, List<String>> clauses = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            int s = start[k.ordinal()];
            if (s >= 0) {
                int end = words.size();
                for (int c : cuts) {
                    if (c > s) {
                        end = c;
                        break;
                    }
                }
                clauses.put(k, List.copyOf(words.subList(s, end)));
            }
        }
        return new OriginalClauses(List.copyOf(words.subList(0, coreEnd)), clauses);
    }
}
