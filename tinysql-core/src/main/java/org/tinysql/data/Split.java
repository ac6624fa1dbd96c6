package org.tinysql.data;

import java.util.Locale;

/** Dataset split. Default proportions follow the TinySQL datasets: 76.5% / 13.5% / 10%. */
public enum Split {
    /** The training split, about 76.5% of the examples. */
    TRAIN,
    /** The validation split, about 13.5% of the examples. */
    VALIDATION,
    /** The test split, about 10% of the examples. */
    TEST;

    /**
     * @return the split's JSONL file name, e.g. {@code validation.jsonl}
     */
    public String fileName() {
        return name().toLowerCase(Locale.ROOT) + ".jsonl";
    }

    /**
     * Sizes of the three splits for {@code n} examples (train gets the rounding remainder).
     *
     * @param n the total number of examples
     * @return {train, validation, test} sizes, summing to {@code n}
     */
    public static int[] sizes(int n) {
        int test = (int) Math.round(n * 0.10);
        int validation = (int) Math.round(n * 0.135);
        return new int[] {n - validation - test, validation, test};
    }

    /**
     * The split of example {@code index} of {@code n}: train first, then validation, then test.
     *
     * @param index the example's position, 0-based
     * @param n     the total number of examples
     * @return the split the example falls in
     */
    public static Split of(int index, int n) {
        int[] s = sizes(n);
        if (index < s[0]) {
            return TRAIN;
        }
        return index < s[0] + s[1] ? VALIDATION : TEST;
    }
}
