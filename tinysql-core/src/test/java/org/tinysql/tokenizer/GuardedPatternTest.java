package org.tinysql.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Pre-tokenizer regexes come from tokenizer.json, so they are untrusted (issue item 6). */
class GuardedPatternTest {

    private static HfTokenizer withSplit(String regex) {
        return HfTokenizer.fromJson(TestTokenizers.withSplit(TestTokenizers.small(40), regex, false), "hostile.json");
    }

    private static void assertClearError(String expected, HfTokenizer t, String text) {
        TokenizerFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(TokenizerFormatException.class, () -> t.encode(text)));
        assertTrue(e.getMessage().startsWith("hostile.json: pre_tokenizer.pretokenizers[0].pattern.Regex: ")
                && e.getMessage().contains(expected), e.getMessage());
    }

    /** Was: exponential backtracking, no answer in any useful time. */
    @Test
    void catastrophicBacktrackingStopsWithAClearError() {
        assertClearError("catastrophic backtracking", withSplit("(.*a){12}$"), "a".repeat(40) + "b");
        assertClearError("catastrophic backtracking", withSplit("(a+)+$"), "a".repeat(5_000) + "!");
        assertClearError("catastrophic backtracking", withSplit("(x+x+)+y"), "x".repeat(1_000));
    }

    /** Was: StackOverflowError (java.util.regex recurses once per repetition of a group with alternatives). */
    @Test
    void deepRecursionStopsWithAClearError() {
        HfTokenizer t = withSplit("(?:\\p{L}|')+");
        assertClearError("recursed too deeply on a 10000-character piece", t, "a".repeat(10_000));
        assertClearError("recursed too deeply", t, "a".repeat(1_000_000));
        // A short word is fine, and the tokenizer stays usable after the failure.
        assertEquals("don't stop", t.decode(t.encode("don't stop")));
    }

    /** The budget is per text: cutting the text into many pieces (here with added tokens) does not multiply it. */
    @Test
    void theBudgetIsSharedByAllPiecesOfOneText() {
        StringBuilder alternatives = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            alternatives.append('a').append(i).append('|');
        }
        HfTokenizer t = withSplit(alternatives + "x");
        assertEquals("x<|endoftext|>x", t.decode(t.encode("x<|endoftext|>x")));
        assertClearError("catastrophic backtracking", t, "x<|endoftext|>".repeat(100_000));
    }

    @Test
    void badPatternsAreRejectedWhenLoading() {
        for (String[] c : new String[][] {
                {"(", "invalid regex: Unclosed group"},
                {"a{2,1}", "invalid regex: Illegal repetition range"},
                {"x".repeat(GuardedPattern.MAX_PATTERN_CHARS + 1), "pattern of 4097 characters (at most 4096)"},
                {"(".repeat(2_000) + ")".repeat(2_000), ""}}) {
            String regex = c[0];
            try {
                HfTokenizer t = withSplit(regex);
                // A pattern that compiles must still be safe to run.
                assertEquals("abc", t.decode(t.encode("abc")));
            } catch (TokenizerFormatException e) {
                assertTrue(e.getMessage().startsWith("hostile.json: pre_tokenizer.pretokenizers[0].pattern.Regex: ")
                        && e.getMessage().contains(c[1]), e.getMessage());
            }
        }
    }

    /** The patterns of real tokenizers split long words and a megabyte of text quickly, as java.util.regex would. */
    @Test
    void realPatternsAreFastAndUnchanged() {
        SplittableRandom r = new SplittableRandom(3);
        String alphabet = " \n\r\t'aAsS1!日\u0301\u00a0é🚀_-";
        for (String regex : List.of(PreTokenizer.GPT2_PATTERN, TestTokenizers.LLAMA3_SPLIT, TestTokenizers.QWEN2_SPLIT,
                TestTokenizers.O200K_SPLIT, SqlVocabTokenizer.SPLIT_REGEX)) {
            GuardedPattern guarded = GuardedPattern.compile(regex, "t.json", "pattern");
            Pattern plain = PreTokenizer.compile(regex);
            for (int k = 0; k < 200; k++) {
                StringBuilder sb = new StringBuilder();
                for (int i = r.nextInt(200); i > 0; i--) {
                    sb.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, r.nextInt(alphabet.codePointCount(0, alphabet.length())))));
                }
                List<String> got = new ArrayList<>();
                guarded.isolate(sb.toString(), new GuardedPattern.Budget(), got);
                assertEquals(PreTokenizer.isolate(plain, List.of(sb.toString())), got);
            }
            for (String unit : List.of("a", "A", " ", "\n", " \n", "1", "!", "'", "'s", "日", "aB", "\t x")) {
                // A 10k-character run of each kind, and a megabyte of the kinds that make one long match or many.
                String s = unit.repeat((List.of("a", " \n", "!", "aB").contains(unit) ? 1_000_000 : 10_000) / unit.length());
                assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                    List<String> out = new ArrayList<>();
                    guarded.isolate(s, new GuardedPattern.Budget(), out);
                    assertEquals(s, String.join("", out));
                }, regex + " on " + s.length() + " chars of '" + unit + "'");
            }
        }
    }
}
