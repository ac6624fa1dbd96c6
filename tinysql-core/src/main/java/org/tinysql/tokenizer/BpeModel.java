package org.tinysql.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Byte-pair encoding: a piece starts as single characters and the adjacent pair with the lowest merge rank is
 * merged until no known pair remains (leftmost first among equal ranks, as HuggingFace does). The candidate pairs wait
 * in a priority queue keyed by (rank, position), so a piece of n symbols takes O(n log n), not O(n^2).
 */
final class BpeModel extends TokenModel {
    private static final int NONE = -1;

    private final PairRankMap merges;
    private final Integer unkId;
    private final boolean byteFallback;
    private final boolean ignoreMerges;

    BpeModel(Map<String, Integer> vocab, int size, List<String[]> mergePairs, Integer unkId, boolean byteFallback,
             boolean ignoreMerges, String source) {
        super(vocab, size, source);
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
                throw new TokenizerFormatException(source, "model.merges[" + rank + "]", "merge "
                        + TokenizerFormatException.quote(p[0] + " " + p[1]) + " uses "
                        + TokenizerFormatException.quote(missing) + ", which is not in model.vocab");
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
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            i += Character.charCount(cp);
            int id = charId(cp);
            if (id >= 0) {
                sym[n++] = id;
                continue;
            }
            int[] fb = byteFallback ? byteFallback(cp) : null;
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
                throw unencodable(cp, "the tokenizer has neither unk_token nor byte_fallback");
            }
        }
        return mergeAll(sym, n);
    }

    /**
     * Merges symbols {@code sym[0..n)} in place. Symbols form a linked list; a merged pair keeps the left symbol's
     * position, so positions order the symbols left to right and the smallest (rank, position) in the queue is the
     * lowest-ranked, leftmost pair. Queue entries whose pair has changed since they were pushed are skipped.
     */
    private int[] mergeAll(int[] sym, int n) {
        int[] next = new int[n];
        int[] prev = new int[n];
        long[] pairs = new long[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : NONE;
            int slot = i + 1 < n ? merges.find(sym[i], sym[i + 1]) : -1;
            if (slot >= 0) {
                pairs[count++] = key(merges.rankAt(slot), i);
            }
        }
        LongMinHeap queue = new LongMinHeap(pairs, count);
        while (!queue.isEmpty()) {
            long top = queue.pop();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            int right = next[pos];
            if (sym[pos] == NONE || right == NONE) {
                continue;
            }
            int slot = merges.find(sym[pos], sym[right]);
            if (slot < 0 || merges.rankAt(slot) != rank) {
                continue;
            }
            sym[pos] = merges.mergedAt(slot);
            sym[right] = NONE;
            next[pos] = next[right];
            if (next[pos] != NONE) {
                prev[next[pos]] = pos;
                offer(queue, sym, pos, next[pos]);
            }
            if (prev[pos] != NONE) {
                offer(queue, sym, prev[pos], pos);
            }
        }
        int[] out = new int[n];
        int k = 0;
        for (int i = n > 0 ? 0 : NONE; i != NONE; i = next[i]) {
            out[k++] = sym[i];
        }
        return Arrays.copyOf(out, k);
    }

    private void offer(LongMinHeap queue, int[] sym, int left, int right) {
        int slot = merges.find(sym[left], sym[right]);
        if (slot >= 0) {
            queue.push(key(merges.rankAt(slot), left));
        }
    }

    /** Queue order: lowest rank first, then leftmost. */
    private static long key(int rank, int position) {
        return (long) rank << 32 | position;
    }
}
