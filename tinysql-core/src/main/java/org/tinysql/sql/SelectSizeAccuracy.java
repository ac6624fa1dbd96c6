package org.tinysql.sql;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.tinysql.data.TinySqlExample;

/**
 * One scorer's accuracy on the gold queries whose SELECT list has a given size, in bands of {@value #BAND} items (1-3,
 * 4-6, 7-9, 10-12). Small models miss mostly on long lists (a field repeated or skipped in the middle), and that is
 * where seeds of one recipe differ: e.g. three CS4 literal seeds scored 16, 13 and 21 of 31 prompts with 10-12 fields
 * but 240-241 of 242 with 1-3.
 *
 * @param items   the band, "1-3", "4-6", ...
 * @param n       the gold queries with a SELECT list in the band
 * @param correct those of them the scorer accepted
 */
public record SelectSizeAccuracy(String items, int n, int correct) {
    /** Items per band. */
    public static final int BAND = 3;

    public SelectSizeAccuracy {
        if (items == null || n < 0 || correct < 0 || correct > n) {
            throw new IllegalArgumentException("a band needs a name and 0 <= correct <= n, not " + items + " " + correct + "/" + n);
        }
    }

    /**
     * The share of the band's queries that the scorer accepted.
     *
     * @return correct / n, NaN for an empty band
     */
    @JsonIgnore
    public double accuracy() {
        return n == 0 ? Double.NaN : (double) correct / n;
    }

    /**
     * The band of a SELECT list of {@code size} items.
     *
     * @param size the number of SELECT items, at least 1
     * @return e.g. "10-12" for 11
     */
    public static String band(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a SELECT list has at least one item, not " + size);
        }
        int lo = firstOfBand(size);
        return lo + "-" + (lo + BAND - 1);
    }

    /** The smallest size in {@code size}'s band: 1 for 1-3, 4 for 4-6, ... */
    private static int firstOfBand(int size) {
        return (size - 1) / BAND * BAND + 1;
    }

    /**
     * Accuracy per band of the gold SELECT list's size.
     *
     * @param gold    the gold rows (their {@link TinySqlExample#select()} lists)
     * @param results one scorer's result for each row, in the same order
     * @return one entry per band that occurs, shortest lists first; rows without a SELECT list are left out
     * @throws IllegalArgumentException when the lists differ in length
     */
    public static List<SelectSizeAccuracy> of(List<TinySqlExample> gold, List<ScoreResult> results) {
        if (gold.size() != results.size()) {
            throw new IllegalArgumentException(gold.size() + " gold rows but " + results.size() + " results");
        }
        TreeMap<Integer, int[]> bands = new TreeMap<>();
        for (int i = 0; i < gold.size(); i++) {
            int size = gold.get(i).select().size();
            if (size == 0) {
                continue; // a row without its SELECT list (a dataset from elsewhere): its size is unknown
            }
            int[] c = bands.computeIfAbsent(firstOfBand(size), k -> new int[2]);
            c[0]++;
            c[1] += results.get(i).correct() ? 1 : 0;
        }
        return bands.entrySet().stream()
                .map(e -> new SelectSizeAccuracy(band(e.getKey()), e.getValue()[0], e.getValue()[1])).toList();
    }

    /**
     * The bands on one line, e.g. "1-3 99.6% (241/242), 10-12 51.6% (16/31)".
     *
     * @param bands as {@link #of} returns them
     * @return the line; empty for no bands
     */
    public static String describe(List<SelectSizeAccuracy> bands) {
        return bands.stream().map(b -> String.format(Locale.ROOT, "%s %.1f%% (%d/%d)", b.items(), 100 * b.accuracy(),
                b.correct(), b.n())).collect(Collectors.joining(", "));
    }
}
