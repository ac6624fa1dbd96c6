package org.tinysql.data;

import java.util.Locale;

/** Dataset split. Default proportions follow the TinySQL datasets: 76.5% / 13.5% / 10%. */
public enum Split {
    TRAIN, VALIDATION, TEST;

    public String fileName() {
        return name().toLowerCase(Locale.ROOT) + ".jsonl";
    }

    /** Sizes of the three splits for {@code n} examples (train gets the rounding remainder). */
    public static int[] sizes(int n) {
        int test = (int) Math.round(n * 0.10);
        int validation = (int) Math.round(n * 0.135);
        return new int[] {n - validation - test, validation, test};
    }

    /** The split of example {@code index} of {@code n}: train first, then validation, then test. */
    public static Split of(int index, int n) {
        int[] s = sizes(n);
        if (index < s[0]) {
            return TRAIN;
        }
        return index < s[0] + s[1] ? VALIDATION : TEST;
    }
}
