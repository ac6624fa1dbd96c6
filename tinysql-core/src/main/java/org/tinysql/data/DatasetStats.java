package org.tinysql.data;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Summary statistics of a generated dataset: feature rates, column counts, lengths, and the distributions that
 * measure variety (SELECT and ORDER BY list lengths, column type spellings, instruction skeletons and template
 * families).
 *
 * @param n                         the number of examples
 * @param orderByRate               share of examples with ORDER BY, 0..1
 * @param aggregateRate             share of examples with an aggregate in the SELECT list
 * @param groupByRate               share of examples with GROUP BY
 * @param whereRate                 share of examples with WHERE
 * @param joinRate                  share of examples with a JOIN
 * @param synonymRate               share of examples whose instruction uses synonyms
 * @param meanColumns               mean column count of the FROM table
 * @param minColumns                smallest column count of a FROM table
 * @param maxColumns                largest column count of a FROM table
 * @param meanPromptChars           mean prompt length in characters
 * @param maxPromptChars            longest prompt in characters
 * @param meanSqlChars              mean gold SQL length in characters
 * @param maxSqlChars               longest gold SQL in characters
 * @param whereCountDistribution    share of examples with 0, 1, 2 and 3 or more WHERE conditions (4 numbers)
 * @param meanSelectFields          mean SELECT list length
 * @param maxSelectFields           longest SELECT list
 * @param selectFieldsDistribution  share of examples selecting 1, 2, ..., 12 (or more) fields
 * @param meanOrderByFields         mean ORDER BY length over the examples that have one
 * @param maxOrderByFields          longest ORDER BY list
 * @param orderByFieldsDistribution share of the examples with ORDER BY that sort by 1, 2, ..., 12 (or more) keys
 * @param distinctTypes             distinct column type spellings in the Contexts
 * @param distinctSkeletons         distinct instruction skeletons ({@link PromptSkeleton}) among the first
 *                                  {@value #SKELETON_SAMPLE} examples
 * @param templateFamilies          share of each instruction template family; empty when unknown (statistics
 *                                  computed from dataset rows, which do not record their template)
 */
public record DatasetStats(int n, double orderByRate, double aggregateRate, double groupByRate, double whereRate,
                           double joinRate, double synonymRate, double meanColumns, int minColumns, int maxColumns,
                           double meanPromptChars, int maxPromptChars, double meanSqlChars, int maxSqlChars,
                           double[] whereCountDistribution,
                           double meanSelectFields, int maxSelectFields, double[] selectFieldsDistribution,
                           double meanOrderByFields, int maxOrderByFields, double[] orderByFieldsDistribution,
                           int distinctTypes, int distinctSkeletons, Map<String, Double> templateFamilies) {
    /** List-length distributions have this many bins (1..12 items, the last also counting longer lists). */
    public static final int LIST_BINS = 12;
    /** Skeletons are counted in this many examples, as the comparison with the original TinySQL was. */
    public static final int SKELETON_SAMPLE = 5_000;

    /**
     * Checks the array lengths and copies {@code templateFamilies} into an unmodifiable map (arrays are kept as
     * given).
     *
     * @param n                         the number of examples, at least 0
     * @param orderByRate               share of examples with ORDER BY, 0..1
     * @param aggregateRate             share of examples with an aggregate in the SELECT list
     * @param groupByRate               share of examples with GROUP BY
     * @param whereRate                 share of examples with WHERE
     * @param joinRate                  share of examples with a JOIN
     * @param synonymRate               share of examples whose instruction uses synonyms
     * @param meanColumns               mean column count of the FROM table
     * @param minColumns                smallest column count of a FROM table
     * @param maxColumns                largest column count of a FROM table
     * @param meanPromptChars           mean prompt length in characters
     * @param maxPromptChars            longest prompt in characters
     * @param meanSqlChars              mean gold SQL length in characters
     * @param maxSqlChars               longest gold SQL in characters
     * @param whereCountDistribution    4 shares: 0, 1, 2, 3+ conditions
     * @param meanSelectFields          mean SELECT list length
     * @param maxSelectFields           longest SELECT list
     * @param selectFieldsDistribution  {@value #LIST_BINS} shares: 1..12 fields
     * @param meanOrderByFields         mean ORDER BY length over the examples that have one
     * @param maxOrderByFields          longest ORDER BY list
     * @param orderByFieldsDistribution {@value #LIST_BINS} shares: 1..12 keys
     * @param distinctTypes             distinct column type spellings in the Contexts
     * @param distinctSkeletons         distinct instruction skeletons in the first {@value #SKELETON_SAMPLE}
     * @param templateFamilies          family shares, not null (empty when unknown)
     * @throws IllegalArgumentException if {@code n} is negative, an array is null or of the wrong length, or
     *     {@code templateFamilies} is null
     */
    public DatasetStats {
        if (n < 0) {
            throw new IllegalArgumentException("n must not be negative, not " + n);
        }
        if (whereCountDistribution == null || whereCountDistribution.length != 4) {
            throw new IllegalArgumentException("whereCountDistribution must hold 4 numbers (0, 1, 2, 3+ conditions)");
        }
        for (double[] d : new double[][] {selectFieldsDistribution, orderByFieldsDistribution}) {
            if (d == null || d.length != LIST_BINS) {
                throw new IllegalArgumentException("selectFieldsDistribution and orderByFieldsDistribution must hold "
                        + LIST_BINS + " numbers (1..12 items)");
            }
        }
        if (templateFamilies == null) {
            throw new IllegalArgumentException("templateFamilies must not be null (empty when unknown)");
        }
        templateFamilies = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(templateFamilies));
    }

    /**
     * Statistics of dataset rows (template families unknown).
     *
     * @param examples the rows; may be empty (all statistics 0)
     * @return the statistics, {@code templateFamilies} empty
     */
    public static DatasetStats of(List<TinySqlExample> examples) {
        return of(examples, Map.of());
    }

    /**
     * Statistics of dataset rows whose template family shares are known.
     *
     * @param examples         the rows; may be empty (all statistics 0)
     * @param templateFamilies share of each template family, as from {@link #shares}; empty when unknown
     * @return the statistics
     */
    public static DatasetStats of(List<TinySqlExample> examples, Map<String, Double> templateFamilies) {
        int n = examples.size();
        if (n == 0) {
            return new DatasetStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, new double[4], 0, 0, new double[LIST_BINS],
                    0, 0, new double[LIST_BINS], 0, 0, templateFamilies);
        }
        long order = 0, agg = 0, group = 0, where = 0, join = 0, syn = 0, cols = 0, pChars = 0, sChars = 0;
        long selected = 0, sorted = 0;
        int minCols = Integer.MAX_VALUE, maxCols = 0, maxP = 0, maxS = 0, maxSelect = 0, maxOrder = 0;
        double[] whereCounts = new double[4];
        double[] selectCounts = new double[LIST_BINS];
        double[] orderCounts = new double[LIST_BINS];
        Set<String> types = new HashSet<>();
        Set<String> skeletons = new HashSet<>();
        for (int i = 0; i < n; i++) {
            TinySqlExample e = examples.get(i);
            order += e.orderBy().isEmpty() ? 0 : 1;
            agg += e.select().stream().anyMatch(s -> s.contains("(")) ? 1 : 0;
            group += e.groupBy().isEmpty() ? 0 : 1;
            where += e.where().isEmpty() ? 0 : 1;
            join += e.join() == null ? 0 : 1;
            syn += e.useSynonym() ? 1 : 0;
            int c = e.tableFields().size();
            cols += c;
            minCols = Math.min(minCols, c);
            maxCols = Math.max(maxCols, c);
            int p = e.prompt().length();
            pChars += p;
            maxP = Math.max(maxP, p);
            sChars += e.sqlStatement().length();
            maxS = Math.max(maxS, e.sqlStatement().length());
            whereCounts[Math.min(3, e.where().size())]++;
            int k = e.select().size();
            selected += k;
            maxSelect = Math.max(maxSelect, k);
            selectCounts[Math.max(0, Math.min(LIST_BINS, k) - 1)]++;
            if (!e.orderBy().isEmpty()) {
                int m = e.orderBy().size();
                sorted += m;
                maxOrder = Math.max(maxOrder, m);
                orderCounts[Math.min(LIST_BINS, m) - 1]++;
            }
            addTypes(types, e.tableFields());
            if (e.join() != null) {
                addTypes(types, e.join().tableFields());
            }
            if (i < SKELETON_SAMPLE) {
                skeletons.add(PromptSkeleton.of(e));
            }
        }
        for (int i = 0; i < 4; i++) {
            whereCounts[i] /= n;
        }
        for (int i = 0; i < LIST_BINS; i++) {
            selectCounts[i] /= n;
            orderCounts[i] /= Math.max(1, order);
        }
        return new DatasetStats(n, (double) order / n, (double) agg / n, (double) group / n, (double) where / n,
                (double) join / n, (double) syn / n, (double) cols / n, minCols, maxCols, (double) pChars / n, maxP,
                (double) sChars / n, maxS, whereCounts, (double) selected / n, maxSelect, selectCounts,
                order == 0 ? 0 : (double) sorted / order, maxOrder, orderCounts, types.size(), skeletons.size(),
                templateFamilies);
    }

    /**
     * Shares of template families from their counts, in the given order.
     *
     * @param counts the number of examples of each family
     * @return each family's count divided by the total (0 when the total is 0), in {@code counts}' iteration order
     */
    public static Map<String, Double> shares(Map<String, Integer> counts) {
        long total = counts.values().stream().mapToLong(Integer::longValue).sum();
        Map<String, Double> out = new LinkedHashMap<>();
        counts.forEach((k, v) -> out.put(k, total == 0 ? 0 : (double) v / total));
        return out;
    }

    private static void addTypes(Set<String> types, List<String> fields) {
        for (String f : fields) {
            String s = f.strip();
            int sp = s.indexOf(' ');
            if (sp > 0) {
                types.add(s.substring(sp + 1));
            }
        }
    }

    /**
     * A human-readable multi-line summary.
     *
     * @return rates, distributions, column, list and length figures, one topic a line
     */
    public String describe() {
        StringBuilder families = new StringBuilder();
        templateFamilies.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> families
                .append(families.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.0f%%", e.getKey(),
                        100 * e.getValue())));
        return String.format(Locale.ROOT,
                "examples: %d%n"
                        + "ORDER BY: %.1f%%  aggregates: %.1f%%  GROUP BY: %.1f%%  WHERE: %.1f%%  JOIN: %.1f%%  synonyms: %.1f%%%n"
                        + "WHERE conditions 0/1/2/3: %.1f%% / %.1f%% / %.1f%% / %.1f%%%n"
                        + "columns per table: mean %.2f, min %d, max %d;  column types: %d spellings%n"
                        + "SELECT fields: mean %.2f, max %d;  ORDER BY keys: mean %.2f, max %d%n"
                        + "instruction skeletons: %d in the first %,d%s%n"
                        + "prompt chars: mean %.0f, max %d;  SQL chars: mean %.0f, max %d",
                n, 100 * orderByRate, 100 * aggregateRate, 100 * groupByRate, 100 * whereRate, 100 * joinRate,
                100 * synonymRate, 100 * whereCountDistribution[0], 100 * whereCountDistribution[1],
                100 * whereCountDistribution[2], 100 * whereCountDistribution[3], meanColumns, minColumns, maxColumns,
                distinctTypes, meanSelectFields, maxSelectFields, meanOrderByFields, maxOrderByFields, distinctSkeletons,
                Math.min(n, SKELETON_SAMPLE), families.length() == 0 ? "" : ";  templates: " + families,
                meanPromptChars, maxPromptChars, meanSqlChars, maxSqlChars);
    }
}
