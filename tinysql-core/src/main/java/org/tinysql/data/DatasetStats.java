package org.tinysql.data;

import java.util.List;
import java.util.Locale;

/** Summary statistics of a generated dataset: feature rates, column counts and lengths. */
public record DatasetStats(int n, double orderByRate, double aggregateRate, double groupByRate, double whereRate,
                           double joinRate, double synonymRate, double meanColumns, int minColumns, int maxColumns,
                           double meanPromptChars, int maxPromptChars, double meanSqlChars, int maxSqlChars,
                           double[] whereCountDistribution) {

    public DatasetStats {
        if (n < 0) {
            throw new IllegalArgumentException("n must not be negative, not " + n);
        }
        if (whereCountDistribution == null || whereCountDistribution.length != 4) {
            throw new IllegalArgumentException("whereCountDistribution must hold 4 numbers (0, 1, 2, 3+ conditions)");
        }
    }

    public static DatasetStats of(List<TinySqlExample> examples) {
        int n = examples.size();
        if (n == 0) {
            return new DatasetStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, new double[4]);
        }
        long order = 0, agg = 0, group = 0, where = 0, join = 0, syn = 0, cols = 0, pChars = 0, sChars = 0;
        int minCols = Integer.MAX_VALUE, maxCols = 0, maxP = 0, maxS = 0;
        double[] whereCounts = new double[4];
        for (TinySqlExample e : examples) {
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
        }
        for (int i = 0; i < 4; i++) {
            whereCounts[i] /= n;
        }
        return new DatasetStats(n, (double) order / n, (double) agg / n, (double) group / n, (double) where / n,
                (double) join / n, (double) syn / n, (double) cols / n, minCols, maxCols, (double) pChars / n, maxP,
                (double) sChars / n, maxS, whereCounts);
    }

    /** A human-readable multi-line summary. */
    public String describe() {
        return String.format(Locale.ROOT,
                "examples: %d%n"
                        + "ORDER BY: %.1f%%  aggregates: %.1f%%  GROUP BY: %.1f%%  WHERE: %.1f%%  JOIN: %.1f%%  synonyms: %.1f%%%n"
                        + "WHERE conditions 0/1/2/3: %.1f%% / %.1f%% / %.1f%% / %.1f%%%n"
                        + "columns per table: mean %.2f, min %d, max %d%n"
                        + "prompt chars: mean %.0f, max %d;  SQL chars: mean %.0f, max %d",
                n, 100 * orderByRate, 100 * aggregateRate, 100 * groupByRate, 100 * whereRate, 100 * joinRate,
                100 * synonymRate, 100 * whereCountDistribution[0], 100 * whereCountDistribution[1],
                100 * whereCountDistribution[2], 100 * whereCountDistribution[3], meanColumns, minColumns, maxColumns,
                meanPromptChars, maxPromptChars, meanSqlChars, maxSqlChars);
    }
}
