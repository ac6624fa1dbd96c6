package org.tinysql.data;

import java.time.LocalDate;
import java.util.SplittableRandom;

/**
 * Literal values shared by the generator (WHERE literals) and the execution scorer (random table rows), so
 * that generated conditions select some rows and not others.
 */
public final class ValuePools {

    /** Words for text columns and text literals (lower case, varied letters so LIKE patterns hit some rows). */
    static final String[] WORDS = {
        "amber", "berlin", "cobalt", "delta", "ember", "falcon", "garnet", "harbor", "indigo", "juniper",
        "kestrel", "lotus", "maple", "nectar", "onyx", "pepper", "quartz", "raven", "sierra", "tango",
        "umber", "violet", "willow", "xenon", "yonder", "zephyr", "acorn", "bramble", "cedar", "dune",
        "echo", "fjord", "glacier", "hazel", "iris", "jasper", "koala", "lagoon", "meadow", "nova"
    };
    private static final String LETTERS = "abcdeghilmnoprstuy";
    private static final LocalDate EPOCH = LocalDate.of(2015, 1, 1);
    private static final int DAYS = 11 * 365;

    private ValuePools() {
    }

    /**
     * A text value: one of 40 lower-case words.
     *
     * @param r the random source
     * @return the word, unquoted
     */
    public static String word(SplittableRandom r) {
        return WORDS[r.nextInt(WORDS.length)];
    }

    /**
     * A date value, uniform over about eleven years from 2015-01-01.
     *
     * @param r the random source
     * @return the date
     */
    public static LocalDate date(SplittableRandom r) {
        return EPOCH.plusDays(r.nextInt(DAYS));
    }

    /**
     * An integer value, uniform in [0, 1000].
     *
     * @param r the random source
     * @return the integer
     */
    public static int integer(SplittableRandom r) {
        return r.nextInt(1001);
    }

    /**
     * A decimal with two places in [0, 1000).
     *
     * @param r the random source
     * @return the decimal as written in SQL, e.g. {@code 42.07}
     */
    public static String decimal(SplittableRandom r) {
        int cents = r.nextInt(100_000);
        return (cents / 100) + "." + String.format("%02d", cents % 100);
    }

    /**
     * A SQL literal for a condition on a column of this kind with this operator.
     *
     * @param r    the random source
     * @param kind the column's value class
     * @param op   the operator; LIKE gets a pattern ({@code '%e%'}, {@code 'a%'}, {@code '%r'}) instead of a word
     * @return the literal as written in SQL: a number, a quoted word or date, or TRUE/FALSE
     */
    public static String literal(SplittableRandom r, FieldKind kind, Operator op) {
        switch (kind) {
            case INT:
                return Integer.toString(integer(r));
            case DEC:
                return decimal(r);
            case DATE:
                return "'" + date(r) + "'";
            case BOOL:
                return r.nextBoolean() ? "TRUE" : "FALSE";
            default:
                if (op == Operator.LIKE) {
                    int shape = r.nextInt(3);
                    if (shape == 0) {
                        return "'%" + LETTERS.charAt(r.nextInt(LETTERS.length())) + "%'";
                    }
                    String w = word(r);
                    return shape == 1 ? "'" + w.charAt(0) + "%'" : "'%" + w.charAt(w.length() - 1) + "'";
                }
                return "'" + word(r) + "'";
        }
    }
}
