package org.tinysql.tokenizer;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A pre-tokenizer regex from tokenizer.json, which is untrusted: java.util.regex backtracks, so a pattern such as
 * {@code (.*a){12}$} can take exponential time, and a repeated group such as {@code (?:\p{L}|')+} recurses once per
 * character and overflows the stack on a long word. Matching therefore reads the text through a counter that spends
 * a {@link Budget}: {@value #BASE_STEPS} character reads per encoded text plus {@value #STEPS_PER_CHAR} per character
 * matched (the GPT-2, Llama-3, Qwen2 and GPT-4o patterns need at most 16). Both failures become a
 * {@link TokenizerFormatException} naming the file and the field.
 */
final class GuardedPattern {
    static final int MAX_PATTERN_CHARS = 4096;
    static final long STEPS_PER_CHAR = 128;
    static final long BASE_STEPS = 100_000;

    private final Pattern pattern;
    private final String source;
    private final String field;

    private GuardedPattern(Pattern pattern, String source, String field) {
        this.pattern = pattern;
        this.source = source;
        this.field = field;
    }

    /** Compiles with Unicode semantics for \s, \w, ... (as Oniguruma has them in the HuggingFace tokenizers). */
    static GuardedPattern compile(String regex, String source, String field) {
        if (regex.length() > MAX_PATTERN_CHARS) {
            throw new TokenizerFormatException(source, field, "pattern of " + regex.length() + " characters (at most "
                    + MAX_PATTERN_CHARS + ")");
        }
        try {
            return new GuardedPattern(Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS), source, field);
        } catch (PatternSyntaxException e) {
            throw new TokenizerFormatException(source, field,
                    "invalid regex: " + e.getDescription() + " near index " + e.getIndex());
        } catch (StackOverflowError e) {
            throw new TokenizerFormatException(source, field, "regex nested too deeply to compile");
        }
    }

    /** The character reads left to the file's patterns while one text is encoded. */
    static final class Budget {
        private long granted = BASE_STEPS;
        private long left = BASE_STEPS;

        private void grant(long steps) {
            granted += steps;
            left += steps;
        }

        private void spend() {
            if (--left < 0) {
                throw new BudgetExceeded();
            }
        }
    }

    /** Adds the matches in {@code s} and the gaps between them, in order, to {@code out} ("Isolated"). */
    void isolate(String s, Budget budget, List<String> out) {
        budget.grant(STEPS_PER_CHAR * s.length());
        try {
            PreTokenizer.isolate(pattern.matcher(new Budgeted(s, budget)), s, out);
        } catch (BudgetExceeded e) {
            throw new TokenizerFormatException(source, field, "regex gave up after " + budget.granted
                    + " steps, at a " + s.length() + "-character piece (catastrophic backtracking)");
        } catch (StackOverflowError e) {
            throw new TokenizerFormatException(source, field, "regex recursed too deeply on a " + s.length()
                    + "-character piece (a repeated group such as (?:a|b)+ over a long run)");
        }
    }

    /** The text seen by the matcher: every character read spends the budget. */
    private static final class Budgeted implements CharSequence {
        private final String s;
        private final Budget budget;

        Budgeted(String s, Budget budget) {
            this.s = s;
            this.budget = budget;
        }

        @Override
        public char charAt(int index) {
            budget.spend();
            return s.charAt(index);
        }

        @Override
        public int length() {
            return s.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return s.substring(start, end);
        }

        @Override
        public String toString() {
            return s;
        }
    }

    /** Thrown out of the matcher when the budget is spent; no stack trace (it is caught right away). */
    private static final class BudgetExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BudgetExceeded() {
            super(null, null, false, false);
        }
    }
}
