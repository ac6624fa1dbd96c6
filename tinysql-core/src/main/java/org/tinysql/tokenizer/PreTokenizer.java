package org.tinysql.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Splits text into pieces before the model sees them (HuggingFace pre_tokenizer semantics). */
interface PreTokenizer {

    /** GPT-2 / GPT-Neo split. */
    String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Splits each piece; patterns from the file spend {@code budget} (one per encoded text). */
    List<String> split(List<String> pieces, GuardedPattern.Budget budget);

    /** Compiles one of our own patterns with Unicode semantics for \s, \w, ... (file patterns: {@link GuardedPattern}). */
    static Pattern compile(String regex) {
        return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** Regex split keeping matches and the gaps between them as separate pieces ("Isolated"). */
    static List<String> isolate(Pattern p, List<String> pieces) {
        List<String> out = new ArrayList<>();
        for (String s : pieces) {
            isolate(p.matcher(s), s, out);
        }
        return out;
    }

    /** Adds the non-empty matches of {@code m} over {@code s} and the gaps between them to {@code out}. */
    static void isolate(Matcher m, String s, List<String> out) {
        int last = 0;
        while (m.find()) {
            if (m.start() == m.end()) {
                continue;
            }
            if (m.start() > last) {
                out.add(s.substring(last, m.start()));
            }
            out.add(s.substring(m.start(), m.end()));
            last = m.end();
        }
        if (last < s.length()) {
            out.add(s.substring(last));
        }
    }

    /**
     * {@code ByteLevel}: optional prefix space (on every piece that does not start with a space ' ', as HuggingFace
     * does), optional GPT-2 regex split, then the byte-to-char map.
     */
    record ByteLevelPre(boolean addPrefixSpace, Pattern regex) implements PreTokenizer {
        @Override
        public List<String> split(List<String> pieces, GuardedPattern.Budget budget) {
            List<String> in = pieces;
            if (addPrefixSpace) {
                in = new ArrayList<>(pieces.size());
                for (String p : pieces) {
                    in.add(p.isEmpty() || p.charAt(0) == ' ' ? p : " " + p);
                }
            }
            if (regex != null) {
                in = isolate(regex, in);
            }
            List<String> out = new ArrayList<>(in.size());
            for (String s : in) {
                out.add(ByteLevel.encode(s));
            }
            return out;
        }
    }

    /** {@code Split} with behaviour Isolated (the one the supported models use), on a pattern from the file. */
    record SplitPre(GuardedPattern pattern) implements PreTokenizer {
        @Override
        public List<String> split(List<String> pieces, GuardedPattern.Budget budget) {
            List<String> out = new ArrayList<>();
            for (String s : pieces) {
                pattern.isolate(s, budget, out);
            }
            return out;
        }
    }

    /** {@code Digits}: each digit (or each run of digits) becomes its own piece. */
    record DigitsPre(boolean individual) implements PreTokenizer {
        private static final Pattern ONE = Pattern.compile("\\p{N}");
        private static final Pattern RUN = Pattern.compile("\\p{N}+");

        @Override
        public List<String> split(List<String> pieces, GuardedPattern.Budget budget) {
            return isolate(individual ? ONE : RUN, pieces);
        }
    }

    /** {@code Sequence}: each pre-tokenizer in turn. */
    record SequencePre(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public List<String> split(List<String> pieces, GuardedPattern.Budget budget) {
            List<String> p = pieces;
            for (PreTokenizer s : steps) {
                p = s.split(p, budget);
            }
            return p;
        }
    }
}
