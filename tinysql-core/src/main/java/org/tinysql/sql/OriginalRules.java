package org.tinysql.sql;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The point rules of the original TinySQL scorer ({@code evaluate_cs1/2/3_prediction} in withmartian/TinySQL,
 * {@code training_data/generate_cs1.py}..{@code generate_cs3.py}), reimplemented rule by rule, plus the
 * CS4/CS5 extension's clause rule. Each rule returns points earned of points possible; a prediction's score is the
 * sum of earned over the sum of possible. Words are the original's: whitespace-separated, upper case, commas
 * stripped from both ends. Every rule is linear in the number of words.
 */
final class OriginalRules {
    private OriginalRules() {
    }

    /** Points earned of points possible. */
    record Points(int earned, int total) {
        static final Points NONE = new Points(0, 0);

        Points plus(Points o) {
            return new Points(earned + o.earned, total + o.total);
        }

        boolean perfect() {
            return earned == total;
        }
    }

    /** First and last position of every word. */
    private static final class Positions {
        private final Map<String, int[]> at = new HashMap<>();

        Positions(List<String> words) {
            for (int i = 0; i < words.size(); i++) {
                int[] p = at.computeIfAbsent(words.get(i), k -> new int[] {-1, -1});
                if (p[0] < 0) {
                    p[0] = i;
                }
                p[1] = i;
            }
        }

        boolean has(String w) {
            return at.containsKey(w);
        }

        int first(String w) {
            return at.get(w)[0];
        }

        int last(String w) {
            int[] p = at.get(w);
            return p == null ? -1 : p[1];
        }
    }

    /**
     * {@code evaluate_cs1_prediction_score_part1}: SELECT present, the table present, FROM present, SELECT first (1
     * point each) and the length rule (10 points). {@code length} is the length of the text the words came from.
     */
    static Points part1(List<String> words, int length, OriginalGold g) {
        Positions p = new Positions(words);
        int earned = (p.has("SELECT") ? 1 : 0) + (p.has(g.table()) ? 1 : 0) + (p.has("FROM") ? 1 : 0)
                + (!words.isEmpty() && words.get(0).equals("SELECT") ? 1 : 0);
        return new Points(earned, 4).plus(length(length, g.length()));
    }

    /**
     * {@code evaluate_answer_length}: 10 points when the prediction is at most 2 characters longer than the gold, 2
     * fewer for each further 2 characters. A shorter prediction loses nothing.
     */
    static Points length(int predicted, int gold) {
        int verbose = Math.max(0, predicted - gold);
        int earned = verbose <= 2 ? 10 : verbose <= 4 ? 8 : verbose <= 6 ? 6 : verbose <= 8 ? 4 : verbose <= 10 ? 2 : 0;
        return new Points(earned, 10);
    }

    /** {@code evaluate_unrecognised_words}: 10 points for none, 8 for 1, 6 for 2, 4 for 3-4, 2 for 5-8, else 0. */
    static Points unrecognised(List<String> words, Set<String> recognised) {
        int n = 0;
        for (String w : words) {
            n += recognised.contains(w) ? 0 : 1;
        }
        int earned = n == 0 ? 10 : n == 1 ? 8 : n == 2 ? 6 : n <= 4 ? 4 : n <= 8 ? 2 : 0;
        return new Points(earned, 10);
    }

    /**
     * {@code evaluate_cs1_prediction_score_part2} (CS1 and CS2): each field name present (1 each); when SELECT is
     * present, each field never before SELECT (1 each); when FROM is present, FROM after every field (1); when FROM and
     * the table are present, the table after FROM (1); no unrecognised words (10).
     */
    static Points part2(List<String> words, OriginalGold g) {
        Set<String> names = new HashSet<>();
        g.select().forEach(f -> names.add(f.name()));
        Points fields = fieldRules(words, g, g.select().stream().map(OriginalGold.Field::name).toList());
        Set<String> recognised = new HashSet<>(names);
        recognised.add("SELECT");
        recognised.add("FROM");
        recognised.add(g.table());
        return fields.plus(unrecognised(words, recognised));
    }

    /**
     * {@code evaluate_cs3_prediction_score}: as {@link #part2} with {@code AGG(name)} in place of the name, plus each
     * aggregate's alias present (1 each); AS is a recognised word too.
     */
    static Points cs3(List<String> words, OriginalGold g) {
        List<String> exprs = g.select().stream().map(OriginalGold.Field::aggregateOfField).toList();
        Positions p = new Positions(words);
        int aliases = 0;
        int aliasHits = 0;
        for (OriginalGold.Field f : g.select()) {
            if (f.aggregate() != null) {
                aliases++;
                aliasHits += p.has(f.aggregatedName()) ? 1 : 0;
            }
        }
        Points fields = fieldRules(words, g, exprs);
        Set<String> recognised = new HashSet<>(exprs);
        recognised.add("SELECT");
        recognised.add("AS");
        recognised.add("FROM");
        recognised.add(g.table());
        for (OriginalGold.Field f : g.select()) {
            if (f.aggregate() != null) {
                recognised.add(f.aggregatedName());
            }
        }
        return fields.plus(new Points(aliasHits, aliases)).plus(unrecognised(words, recognised));
    }

    /** The field-position rules shared by part 2 and CS3, over the words each field is looked for as. */
    private static Points fieldRules(List<String> words, OriginalGold g, List<String> fieldWords) {
        Positions p = new Positions(words);
        int earned = 0;
        int total = fieldWords.size();
        for (String f : fieldWords) {
            earned += p.has(f) ? 1 : 0;
        }
        if (p.has("SELECT")) {
            int select = p.first("SELECT");
            for (String f : fieldWords) {
                total++;
                // all(i > select for i in positions of f): the first position decides; vacuous when absent
                earned += !p.has(f) || p.first(f) > select ? 1 : 0;
            }
        }
        if (p.has("FROM")) {
            int from = p.first("FROM");
            int lastField = -1;
            for (String f : fieldWords) {
                lastField = Math.max(lastField, p.last(f));
            }
            total++;
            earned += from > lastField ? 1 : 0;
            if (p.has(g.table())) {
                total++;
                earned += p.first(g.table()) > from ? 1 : 0;
            }
        }
        return new Points(earned, total);
    }

    /**
     * {@code evaluate_cs2_prediction_score} on the text from ORDER BY on ({@code null}: the prediction has no ORDER BY,
     * which the original scores as 0 of 0, so it costs nothing): starts with ORDER BY (1), each gold ORDER BY field
     * present (1 each), no unrecognised words besides ORDER, BY, ASC, DESC and those fields (10). Directions are not
     * checked.
     */
    static Points orderBy(String orderPart, OriginalGold g) {
        if (orderPart == null) {
            return Points.NONE;
        }
        List<String> words = PythonText.words(OriginalGold.ORDER_BY + " " + orderPart);
        Positions p = new Positions(words);
        int earned = words.get(0).equals("ORDER") && words.get(1).equals("BY") ? 1 : 0;
        for (String f : g.orderBy()) {
            earned += p.has(f) ? 1 : 0;
        }
        Set<String> recognised = new HashSet<>(List.of("ORDER", "BY", "ASC", "DESC"));
        recognised.addAll(g.orderBy());
        return new Points(earned, 1 + g.orderBy().size()).plus(unrecognised(words, recognised));
    }

    /**
     * The extension's rule for a JOIN, WHERE or GROUP BY clause, after the ORDER BY rule: starts with its keyword (1),
     * each word of the gold clause after the keyword present (1 each), no words outside the gold clause (10). A clause
     * the gold has and the prediction lacks earns nothing of its points (unlike the original's ORDER BY); a clause
     * neither has is 0 of 0.
     *
     * @param predicted the prediction's clause words, or null
     * @param gold      the gold's clause words, or null
     */
    static Points clause(OriginalClauses.Kind kind, List<String> predicted, List<String> gold) {
        List<String> goldWords = gold == null ? kind.keywords : gold;
        List<String> elements = goldWords.subList(kind.keywords.size(), goldWords.size());
        if (predicted == null) {
            return gold == null ? Points.NONE : new Points(0, 1 + elements.size() + 10);
        }
        Positions p = new Positions(predicted);
        int earned = kind.startsAt(predicted, 0) ? 1 : 0;
        for (String e : elements) {
            earned += p.has(e) ? 1 : 0;
        }
        return new Points(earned, 1 + elements.size()).plus(unrecognised(predicted, new HashSet<>(goldWords)));
    }
}
