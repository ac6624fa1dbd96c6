package org.tinysql.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Word-level model: a piece is one token if it is in the vocabulary. Otherwise the unk token, or, with
 * {@code char_fallback} (a TinySQL-J extension used by {@link SqlVocabTokenizer}), its characters, each as itself
 * or as {@code <0xAB>} UTF-8 byte tokens.
 */
final class WordLevelModel extends TokenModel {
    private final Integer unkId;
    private final boolean charFallback;

    WordLevelModel(Map<String, Integer> vocab, int size, Integer unkId, boolean charFallback, String source) {
        super(vocab, size, source);
        this.unkId = unkId;
        this.charFallback = charFallback;
    }

    @Override
    int[] tokenizeUncached(String piece) {
        Integer id = vocab.get(piece);
        if (id != null) {
            return new int[] {id};
        }
        if (!charFallback) {
            if (unkId == null) {
                throw new IllegalArgumentException(source + ": " + TokenizerFormatException.quote(piece)
                        + " is not in the vocabulary and there is no unk_token");
            }
            return new int[] {unkId};
        }
        List<Integer> out = new ArrayList<>();
        int i = 0;
        // A leading space stays attached to the first character when the vocabulary has that pair.
        if (piece.length() > 1 && piece.charAt(0) == ' ') {
            int cp = piece.codePointAt(1);
            Integer sp = vocab.get(" " + new String(Character.toChars(cp)));
            if (sp != null) {
                out.add(sp);
                i = 1 + Character.charCount(cp);
            }
        }
        while (i < piece.length()) {
            int cp = piece.codePointAt(i);
            i += Character.charCount(cp);
            int c = charId(cp);
            if (c >= 0) {
                out.add(c);
                continue;
            }
            int[] fb = byteFallback(cp);
            if (fb != null) {
                for (int b : fb) {
                    out.add(b);
                }
            } else if (unkId != null) {
                out.add(unkId);
            } else {
                throw unencodable(cp, "has no <0xAB> byte token for it");
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
