package org.tinysql.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Runs fuzz inputs through a reader and sorts the outcomes: a clear error (a {@link DataFormatException} whose
 * message starts with the expected {@code file:line: } and holds no control characters), a correct read, or a
 * defect: a wrong error, a wrong result, silent acceptance of a bad input, a crash (any other exception or error)
 * or a hang (over {@link #HANG_MILLIS} for one input).
 */
final class FuzzTally {
    static final long HANG_MILLIS = 2_000;

    /**
     * What a reader should do with an input: fail naming {@code line} (0: the whole file; {@link #ANY_LINE}: some line
     * or the whole file, for JSON documents where the parser decides), or return {@code value}.
     */
    record Expect(int line, Object value) {
        static final int ANY_LINE = Integer.MAX_VALUE;

        static Expect error(int line) {
            return new Expect(line, null);
        }

        static Expect ok(Object value) {
            return new Expect(-1, value);
        }

        boolean isError() {
            return line >= 0;
        }

        boolean matches(Path file, String message) {
            if (line == ANY_LINE) {
                return message.matches(java.util.regex.Pattern.quote(file.toString()) + "(:[1-9][0-9]*)?: .*");
            }
            return message.startsWith(line == 0 ? file + ": " : file + ":" + line + ": ");
        }
    }

    @FunctionalInterface
    interface Reader {
        Object read(Path file) throws Exception;
    }

    private final String name;
    private int inputs;
    private int clearErrors;
    private int correctReads;
    private int crashes;
    private int hangs;
    private int silentlyAccepted;
    private final List<String> defects = new ArrayList<>();

    FuzzTally(String name) {
        this.name = name;
    }

    void run(String label, Path file, Expect expect, Reader reader) {
        inputs++;
        long t0 = System.nanoTime();
        Object value = null;
        Throwable failure = null;
        try {
            value = reader.read(file);
        } catch (Throwable t) {
            failure = t;
        }
        if ((System.nanoTime() - t0) / 1_000_000 > HANG_MILLIS) {
            hangs++;
            defects.add(label + ": took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } else if (failure instanceof DataFormatException e) {
            boolean printable = e.getMessage().chars().noneMatch(Character::isISOControl);
            if (expect.isError() && expect.matches(file, e.getMessage()) && printable) {
                clearErrors++;
            } else {
                defects.add(label + ": wrong error " + e.getMessage());
            }
        } else if (failure != null) {
            crashes++;
            defects.add(label + ": crash " + failure);
        } else if (expect.isError()) {
            silentlyAccepted++;
            defects.add(label + ": accepted a bad input, expected an error on line " + expect.line());
        } else if (Objects.equals(expect.value(), value)) {
            correctReads++;
        } else {
            defects.add(label + ": wrong result");
        }
    }

    /** Prints the one-line summary and fails on any defect. */
    void report() {
        System.out.printf("fuzz %s: %d inputs, %d clear errors, %d accepted (correct reads), %d silently accepted, "
                        + "%d crashes, %d hangs, %d wrong errors or results%n", name, inputs, clearErrors, correctReads,
                silentlyAccepted, crashes, hangs, defects.size() - silentlyAccepted - crashes - hangs);
        assertEquals(List.of(), defects.subList(0, Math.min(20, defects.size())), name + ": defects");
        assertEquals(inputs, clearErrors + correctReads);
    }
}
