package org.tinysql.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Byte-pair encoding: a piece starts as single characters and the adjacent pair with the lowest merge rank is
 * merged until no known pair remains (leftmost first among equal ranks, as HuggingFace does).
 */
final class BpeModel extends TokenModel {
    private final PairRankMap merges;
    private final Integer unkId;
    private final boolean byteFallback;
    private final boolean ignoreMerges;

    BpeModel(Map<String, Integer> vocab, int size, List<String[]> mergePairs, Integer unkId, boolean byteFallback,
             boolean ignoreMerges, String source) {
        super(vocab, size);
        this.unkId = unkId;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.merges = new PairRankMap(Math.max(1, mergePairs.size()));
        for (int rank = 0; rank < mergePairs.size(); rank++) {
            String[] p = mergePairs.get(rank);
            Integer a = vocab.get(p[0]);
            Integer b = vocab.get(p[1]);
            Integer m = vocab.get(p[0] + p[1]);
            if (a == null || b == null || m == null) {
                String missing = a == null ? p[0] : b == null ? p[1] : p[0] + p[1];
                throw new TokenizerFormatException(source, "model.merges[" + rank + "]",
                        "merge '" + p[0] + " " + p[1] + "' uses '" + missing + "', which is not in model.vocab");
            }
            merges.putIfAbsent(a, b, rank, m);
        }
    }

    @Override
    int[] tokenizeUncached(String piece) {
        if (ignoreMerges) {
            Integer whole = vocab.get(piece);
            if (whole != null) {
                return new int[] {whole};
            }
        }
        int[] sym = new int[piece.length()];
        int n = 0;
        List<Integer> extra = null;
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            String ch = new String(Character.toChars(cp));
            i += Character.charCount(cp);
            Integer id = vocab.get(ch);
            if (id != null) {
                sym[n++] = id;
                continue;
            }
            int[] fb = byteFallback ? byteFallback(ch) : null;
            if (fb != null) {
                if (n + fb.length > sym.length) {
                    sym = Arrays.copyOf(sym, n + fb.length + piece.length());
                }
                for (int b : fb) {
                    sym[n++] = b;
                }
            } else if (unkId != null) {
                sym[n++] = unkId;
            } else {
                throw new IllegalArgumentException("character U+" + Integer.toHexString(cp).toUpperCase()
                        + " is not in the vocabulary and the tokenizer has neither unk_token nor byte_fallback");
            }
        }
        while (n > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestPos = -1;
            int bestMerged = -1;
            for (int i = 0; i + 1 < n; i++) {
                int slot = merges.find(sym[i], sym[i + 1]);
                if (slot >= 0 && merges.rankAt(slot) < bestRank) {
                    bestRank = merges.rankAt(slot);
                    bestPos = i;
                    bestMerged = merges.mergedAt(slot);
                }
            }
            if (bestPos < 0) {
                break;
            }
            sym[bestPos] = bestMerged;
            System.arraycopy(sym, bestPos + 2, sym, bestPos + 1, n - bestPos - 2);
            n--;
        }
        return Arrays.copyOf(sym, n);
    }

    int mergeCount() {
        return merges.size();
    }

    static List<String[]> noMerges() {
        return new ArrayList<>();
    }
}
