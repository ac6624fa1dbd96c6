package org.tinysql.sql;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tinysql.data.CommandSet;

/**
 * The partial-credit metric of the TinySQL paper: the original code's {@code evaluate_cs1_prediction},
 * {@code evaluate_cs2_prediction} and {@code evaluate_cs3_prediction} (withmartian/TinySQL), reimplemented rule by
 * rule ({@link OriginalRules}) so that its scores agree with the original's to floating-point precision. It needs only
 * the gold SQL and the prediction: the gold is read into the original's item ({@link OriginalGold}).
 *
 * <p>How the original scores (points earned over points possible; the prediction is first collapsed to single spaces
 * and upper-cased, then split into words at whitespace, commas stripped from both ends of each word):
 * <ul>
 *   <li>CS1: SELECT present, the table present, FROM present, SELECT first (1 each); at most 2 characters longer than
 *       the gold (10, fewer as it grows); each field present, each field after SELECT, FROM after the fields, the
 *       table after FROM (1 each); no unrecognised words (10, fewer for each).</li>
 *   <li>CS2: the text is cut at the first {@code ORDER BY}; the part before it is scored as CS1 (its length against
 *       the whole gold), the part after as: starts with ORDER BY (1), each ORDER BY field present (1 each), no
 *       unrecognised words (10).</li>
 *   <li>CS3: as CS2, with {@code AGG(field)} looked for instead of the field, each aggregate's {@code AS} alias present
 *       (1 each), and AS recognised.</li>
 * </ul>
 *
 * <p>Known flaws, reproduced on purpose (this scorer exists to compare with the paper; {@link PartialScore} is our
 * stricter one):
 * <ul>
 *   <li>a missing ORDER BY costs nothing (its part scores 0 of 0), and ORDER BY directions are never checked, so a
 *       flipped direction gets full marks;</li>
 *   <li>words are split at whitespace only: {@code price,name} is one unknown word, {@code AVG( price )} is not
 *       {@code AVG(price)}, and a trailing {@code ;} makes the last word unknown;</li>
 *   <li>short junk scores high: one unknown word loses only 2 of the 10 unknown-word points, the length rule never
 *       penalises a short answer, and the field rules "after SELECT" and "FROM after the fields" hold vacuously for
 *       absent fields (a bare table name scores 0.5-0.7);</li>
 *   <li>GROUP BY and its words are unrecognised in CS3 (the original's gold never had one), so even our gold query
 *       loses points when it groups;</li>
 *   <li>the length rule is relative to the gold string as given: the original's own gold strings hold newlines and
 *       indentation (and a trailing space when there is no ORDER BY), which loosens it on its own data.</li>
 * </ul>
 *
 * <p>CS4 and CS5: the original's scorers return 0 for everything. We extend the same scheme: the words before
 * ORDER BY are cut at the first JOIN, WHERE and GROUP BY ({@link OriginalClauses}); what precedes them is scored
 * by the CS3 rules (the length rule still measures everything before ORDER BY), ORDER BY by the CS2 rule, and each
 * of JOIN, WHERE and GROUP BY by the ORDER BY rule generalised ({@link OriginalRules#clause}): starts with its
 * keyword (1), each word of the gold clause present (1 each: columns, operators, literals, AND/OR), no words outside
 * the gold clause (10). Unlike ORDER BY, a clause the gold has and the prediction lacks loses all its points. A
 * CS4/CS5 gold without JOIN, WHERE and GROUP BY therefore scores exactly as CS3.
 *
 * <p>The command set decides the rules: the item's own (a dataset row's {@code command_set}) when known, else the
 * lowest set whose features the gold uses. A prediction is {@code correct} when it earns every point.
 */
public final class OriginalScore implements SqlScorer {

    @Override
    public String name() {
        return "original";
    }

    /** Scores under the rules of the lowest command set the gold's features need. */
    @Override
    public ScoreResult score(String context, String gold, String predicted) {
        return scoreAs(null, gold, predicted);
    }

    /** Scores under the rules of the item's command set (or, when it is null, the gold's). */
    @Override
    public ScoreResult score(Scoring.Item item) {
        return scoreAs(item.commandSet(), item.gold(), item.predicted());
    }

    /**
     * Scores a prediction under the original TinySQL rules of a given command set.
     *
     * @param commandSet whose rules to apply; null for the lowest set whose features the gold uses
     * @param gold       the gold SQL; it must be a TinySQL query, else the result is wrong with that reason
     * @param predicted  the predicted SQL; may be {@code null} or empty
     * @return the result, with per-part clause verdicts; never {@code null}
     */
    public ScoreResult scoreAs(CommandSet commandSet, String gold, String predicted) {
        ScoreResult rejected = SqlScorer.rejectUnscorable(predicted);
        if (rejected != null) {
            return rejected;
        }
        OriginalGold g;
        try {
            g = OriginalGold.parse(gold);
        } catch (OriginalGold.NotTinySql e) {
            return ScoreResult.wrong("gold SQL is not a TinySQL query: " + e.getMessage());
        }
        String text = PythonText.upper(PythonText.collapseSpaces(predicted));
        if (text.isEmpty()) {
            return ScoreResult.wrong("empty prediction");
        }
        CommandSet cs = commandSet != null ? commandSet : g.commandSet();
        Map<String, OriginalRules.Points> parts = parts(cs, text, g);
        OriginalRules.Points sum = OriginalRules.Points.NONE;
        Map<String, Boolean> clauses = new LinkedHashMap<>();
        List<String> imperfect = new ArrayList<>();
        for (Map.Entry<String, OriginalRules.Points> e : parts.entrySet()) {
            OriginalRules.Points p = e.getValue();
            sum = sum.plus(p);
            if (p.total() > 0) {
                clauses.put(e.getKey(), p.perfect());
                if (!p.perfect()) {
                    imperfect.add(e.getKey() + " " + p.earned() + "/" + p.total());
                }
            }
        }
        boolean correct = sum.perfect();
        String reason = correct ? "" : String.format(Locale.ROOT, "%d of %d points (%s rules); short in %s",
                sum.earned(), sum.total(), cs, String.join(", ", imperfect));
        return new ScoreResult((double) sum.earned() / sum.total(), correct, reason, clauses);
    }

    /** Points per part: select (with FROM, table, length and unknown words), order_by, join, where, group_by. */
    private static Map<String, OriginalRules.Points> parts(CommandSet cs, String text, OriginalGold g) {
        Map<String, OriginalRules.Points> parts = new LinkedHashMap<>();
        if (cs == CommandSet.CS1) {
            List<String> words = PythonText.words(text);
            parts.put("select", OriginalRules.part1(words, PythonText.length(text), g).plus(OriginalRules.part2(words, g)));
            return parts;
        }
        String[] split = OriginalGold.splitAtOrderBy(text);
        List<String> head = PythonText.words(split[0]);
        int headLength = PythonText.length(split[0]);
        if (cs == CommandSet.CS2) {
            parts.put("select", OriginalRules.part1(head, headLength, g).plus(OriginalRules.part2(head, g)));
        } else if (cs == CommandSet.CS3) {
            parts.put("select", OriginalRules.part1(head, headLength, g).plus(OriginalRules.cs3(head, g)));
        } else {
            OriginalClauses predicted = OriginalClauses.of(head);
            parts.put("select", OriginalRules.part1(predicted.core(), headLength, g)
                    .plus(OriginalRules.cs3(predicted.core(), g)));
            for (OriginalClauses.Kind k : OriginalClauses.Kind.values()) {
                parts.put(k.label, OriginalRules.clause(k, predicted.get(k), g.clauses().get(k)));
            }
        }
        parts.put("order_by", OriginalRules.orderBy(split[1], g));
        return parts;
    }
}
