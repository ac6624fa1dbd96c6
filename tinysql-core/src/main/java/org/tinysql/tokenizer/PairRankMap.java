package org.tinysql.tokenizer;

import java.util.Arrays;

/** Open-addressing map from a token-id pair to (merge rank, merged id); no boxing on the BPE hot path. */
final class PairRankMap {
    private long[] keys;
    private int[] ranks;
    private int[] merged;
    private int size;
    private int mask;

    PairRankMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        Arrays.fill(keys, -1L);
        ranks = new int[cap];
        merged = new int[cap];
        mask = cap - 1;
    }

    static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** Adds a pair unless present (the first, lowest-ranked merge of a pair wins); returns whether it was added. */
    boolean putIfAbsent(int a, int b, int rank, int mergedId) {
        long k = key(a, b);
        int i = slot(k);
        if (keys[i] == k) {
            return false;
        }
        keys[i] = k;
        ranks[i] = rank;
        merged[i] = mergedId;
        size++;
        return true;
    }

    /** Slot index of the pair, or -1 when absent. */
    int find(int a, int b) {
        long k = key(a, b);
        int i = slot(k);
        return keys[i] == k ? i : -1;
    }

    int rankAt(int slot) {
        return ranks[slot];
    }

    int mergedAt(int slot) {
        return merged[slot];
    }

    int size() {
        return size;
    }

    private int slot(long k) {
        int i = (int) (mix(k) & mask);
        while (keys[i] != -1L && keys[i] != k) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
