package org.tinysql.tokenizer;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.UnaryOperator;

/**
 * Finds the added tokens in a text the way HuggingFace's {@code AddedVocabulary} does: tokens with
 * {@code normalized: false} are matched in the raw text; each text between them is normalized, and tokens with
 * {@code normalized: true} are matched there (against their normalized content). Matching is leftmost, then longest,
 * without overlaps. A {@code single_word} match next to a word character (Unicode {@code \w}) is dropped, and its
 * characters are not searched again; {@code lstrip} / {@code rstrip} take the Unicode White_Space on that side
 * (back to the previous match, at most) into the token.
 */
final class AddedTokenSplitter {
    private final UnaryOperator<String> normalizer;
    private final AddedTokenTrie raw = new AddedTokenTrie();
    private final AddedTokenTrie normalized = new AddedTokenTrie();

    AddedTokenSplitter(List<HfTokenizer.AddedToken> tokens, UnaryOperator<String> normalizer) {
        this.normalizer = normalizer;
        for (HfTokenizer.AddedToken t : tokens) {
            if (t.normalized()) {
                normalized.add(normalizer.apply(t.content()), t);
            } else {
                raw.add(t.content(), t);
            }
        }
    }

    /**
     * Splits {@code text}: the added tokens' ids go to {@code token}, the normalized text between them (never empty)
     * to {@code segment}, in text order.
     */
    void split(String text, Consumer<String> segment, IntConsumer token) {
        find(raw, text, part -> find(normalized, normalizer.apply(part), segment, token), token);
    }

    /** One matching pass over {@code s}: non-empty texts between matches to {@code gap}, matched ids to {@code token}. */
    private static void find(AddedTokenTrie trie, String s, Consumer<String> gap, IntConsumer token) {
        if (s.isEmpty()) {
            return;
        }
        if (trie.isEmpty()) {
            gap.accept(s);
            return;
        }
        int n = s.length();
        int[] len = new int[1];
        int done = 0;   // end of the last match, its stripped whitespace included
        int i = 0;      // where the search goes on: the end of the last match (or dropped match)
        while (i < n) {
            HfTokenizer.AddedToken t = trie.longestAt(s, i, len);
            if (t == null) {
                i++;
                continue;
            }
            int start = i;
            int stop = i + len[0];
            i = stop;
            if (t.singleWord() && (start > 0 && isWordChar(s.codePointBefore(start)) || stop < n && isWordChar(s.codePointAt(stop)))) {
                continue;
            }
            if (t.lstrip()) {
                int k = start;
                while (k > 0 && isWhiteSpace(s.charAt(k - 1))) {
                    k--;
                }
                start = Math.max(k, done);
            }
            if (t.rstrip()) {
                while (stop < n && isWhiteSpace(s.charAt(stop))) {
                    stop++;
                }
            }
            if (done < start) {
                gap.accept(s.substring(done, start));
            }
            token.accept(t.id());
            done = Math.max(done, stop);
        }
        if (done < n) {
            gap.accept(s.substring(done));
        }
    }

    /** Unicode White_Space (Rust's {@code char::is_whitespace}; Java's isWhitespace differs on U+001C..1F, U+0085, U+00A0...). */
    static boolean isWhiteSpace(char c) {
        return c >= 0x09 && c <= 0x0D || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || c >= 0x2000 && c <= 0x200A
                || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** Unicode {@code \w}: Alphabetic, marks, decimal digits, connector punctuation, join controls. */
    static boolean isWordChar(int cp) {
        if (Character.isAlphabetic(cp) || cp == 0x200C || cp == 0x200D) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.COMBINING_SPACING_MARK
                || type == Character.DECIMAL_DIGIT_NUMBER || type == Character.CONNECTOR_PUNCTUATION;
    }
}
