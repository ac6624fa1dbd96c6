package org.tinysql.sql;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Partial credit in the spirit of the original TinySQL scorer, for every command set (the original gives 0 to CS4
 * and CS5). The score is a weighted mean of four parts, each in [0, 1]:
 * <ul>
 *   <li>keywords (0.30): SQL keywords and comparison operators of the gold present in the same order (LCS over the
 *       longer list; {@code <>} is {@code !=});</li>
 *   <li>fields (0.40): gold identifiers and literals present (multiset recall) and in order (LCS);</li>
 *   <li>no unknown words (0.15): share of predicted words found in the gold or the Context;</li>
 *   <li>length (0.15): shorter / longer token count.</li>
 * </ul>
 * Trailing {@code ;} are ignored, as the exact scorer ignores them. A prediction is correct when every part is perfect.
 */
public final class PartialScore implements SqlScorer {
    /** Weight of the keyword part: gold keywords and comparisons in order. */
    public static final double W_KEYWORDS = 0.30;
    /** Weight of the field part: gold identifiers and literals present and in order. */
    public static final double W_FIELDS = 0.40;
    /** Weight of the no-unknown-words part: predicted words found in the gold or Context. */
    public static final double W_UNKNOWN = 0.15;
    /** Weight of the length part: shorter over longer token count. */
    public static final double W_LENGTH = 0.15;
    private static final Set<String> COMPARISONS = Set.of("=", "!=", "<", ">", "<=", ">=");

    @Override
    public String name() {
        return "partial";
    }

    @Override
    public ScoreResult score(String context, String gold, String predicted) {
        ScoreResult rejected = SqlScorer.rejectUnscorable(predicted);
        if (rejected != null) {
            return rejected;
        }
        List<String> g = upper(withoutTrailingSemicolons(SqlText.tokens(gold)));
        List<String> p = upper(withoutTrailingSemicolons(SqlText.tokens(predicted)));

        List<String> gKw = keywords(g);
        List<String> pKw = keywords(p);
        double kw = gKw.isEmpty() && pKw.isEmpty() ? 1.0
                : (double) SqlText.lcs(gKw, pKw) / Math.max(gKw.size(), pKw.size());

        List<String> gIds = identifiers(g);
        List<String> pIds = identifiers(p);
        double fields;
        if (gIds.isEmpty()) {
            fields = pIds.isEmpty() ? 1.0 : 0.0;
        } else {
            double recall = multisetOverlap(gIds, pIds) / (double) gIds.size();
            double order = SqlText.lcs(gIds, pIds) / (double) Math.max(gIds.size(), pIds.size());
            fields = 0.5 * recall + 0.5 * order;
        }

        Set<String> known = new HashSet<>(g);
        if (context != null) {
            known.addAll(upper(SqlText.tokens(context)));
        }
        int words = 0;
        int unknown = 0;
        for (String t : p) {
            if (SqlText.isWord(t) && !SqlText.isKeyword(t)) {
                words++;
                if (!known.contains(t)) {
                    unknown++;
                }
            }
        }
        double noUnknown = words == 0 ? (pKw.isEmpty() ? 0.0 : 1.0) : 1.0 - (double) unknown / words;
        double length = (double) Math.min(g.size(), p.size()) / Math.max(g.size(), p.size());

        double score = W_KEYWORDS * kw + W_FIELDS * fields + W_UNKNOWN * noUnknown + W_LENGTH * length;
        Map<String, Boolean> parts = new LinkedHashMap<>();
        parts.put("keywords", kw == 1.0);
        parts.put("fields", fields == 1.0);
        parts.put("no_unknown", noUnknown == 1.0);
        parts.put("length", length == 1.0);
        boolean correct = !parts.containsValue(false);
        String reason = correct ? "" : "imperfect: " + parts.entrySet().stream().filter(e -> !e.getValue())
                .map(Map.Entry::getKey).toList();
        return new ScoreResult(correct ? 1.0 : Math.min(score, 0.999), correct, reason, parts);
    }

    private static List<String> withoutTrailingSemicolons(List<String> tokens) {
        int n = tokens.size();
        while (n > 0 && tokens.get(n - 1).equals(";")) {
            n--;
        }
        return tokens.subList(0, n);
    }

    /** Upper case outside string literals; {@code <>} spelled {@code !=}. */
    private static List<String> upper(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        for (String t : tokens) {
            out.add(t.startsWith("'") ? t : t.equals("<>") ? "!=" : t.toUpperCase(Locale.ROOT));
        }
        return out;
    }

    /** Keywords and comparison operators, in order: the query's skeleton. */
    private static List<String> keywords(List<String> tokens) {
        return tokens.stream().filter(t -> SqlText.isKeyword(t) || COMPARISONS.contains(t)).toList();
    }

    /** Identifiers, numbers and string literals: everything that is neither a keyword nor punctuation. */
    private static List<String> identifiers(List<String> tokens) {
        return tokens.stream().filter(t -> !SqlText.isKeyword(t)
                && (Character.isLetterOrDigit(t.charAt(0)) || t.charAt(0) == '_' || t.charAt(0) == '\'')).toList();
    }

    private static int multisetOverlap(List<String> a, List<String> b) {
        Map<String, Integer> counts = new HashMap<>();
        b.forEach(t -> counts.merge(t, 1, Integer::sum));
        int n = 0;
        for (String t : a) {
            Integer c = counts.get(t);
            if (c != null && c > 0) {
                n++;
                counts.put(t, c - 1);
            }
        }
        return n;
    }
}
