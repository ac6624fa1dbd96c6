package org.tinysql.tensor;

import java.util.Arrays;

/**
 * Which keys each query of a batch attends to, as rectangular tiles, so that the attention kernels compute only those
 * (FlashAttention's "varlen" idea for packed rows, here on the CPU's GEMMs). Derived from the key mask of
 * {@link Kernels#attentionScores}: a row holding sequences 1, 2, ... (then optionally right padding) has one causal
 * block per sequence (its queries see its own earlier keys) and one block for the padding queries (they see every
 * real key, as in HF). Each block is cut into tiles of at most {@link #TILE} query rows; a causal tile [r0, r1) needs
 * keys [start, r1) only, so the upper triangle costs at most one tile's worth. For a row of 4 packed sequences of 100
 * tokens this is about 1/8 of the dense [T, T] work.
 *
 * <p>{@link Kernels#fusedAttention} runs over the tiles and gives what the dense kernels give (to float rounding)
 * without any [B, H, T, T] array, so only passes whose attention scores and patterns nobody reads (a training step
 * without hooks on them) use spans; the others run dense. Masks that are not of this form (left padding, padding
 * between sequences, a sequence id used twice,
 * local windows shorter than the row, queries after a KV cache) give no spans: {@link #of} returns null and the
 * kernels run dense.
 */
public final class AttentionSpans {
    /** Query rows per tile. */
    public static final int TILE = 64;
    /** Per batch row: tiles as (r0, r1, k0, k1, causal) quintuples. */
    private final int[][] tiles;
    private final int time;
    /** Per batch row and tile: where the tile's [r1 - r0, k1 - k0] block starts in a head's tile store. */
    private final long[][] starts;
    /** Entries of one head's tile store: the sum of r1 - r0 times k1 - k0 over every tile. */
    private final long entries;

    private AttentionSpans(int[][] tiles, int time) {
        this.tiles = tiles;
        this.time = time;
        this.starts = new long[tiles.length][];
        long at = 0;
        for (int b = 0; b < tiles.length; b++) {
            starts[b] = new long[tileCount(b)];
            for (int i = 0; i < starts[b].length; i++) {
                starts[b][i] = at;
                at += (long) (r1(b, i) - r0(b, i)) * (k1(b, i) - k0(b, i));
            }
        }
        this.entries = at;
    }

    /**
     * The spans of a key mask [B][T] for T queries over the same T keys (no KV cache), or null when the mask is not of
     * the supported form (see the class comment) or {@code window} (a local attention window; 0 = none) is shorter than
     * the row.
     * @param keyMask the segment of each key per batch row [B][T] (0 padding, else the sequence number 1, 2, ...)
     * @param window the local attention window in positions, or 0 for global attention
     * @return the spans, or null when the kernels must run dense
     */
    public static AttentionSpans of(int[][] keyMask, int window) {
        int b = keyMask.length;
        int t = keyMask[0].length;
        if (window != 0 && window < t) {
            return null;
        }
        int[][] tiles = new int[b][];
        for (int row = 0; row < b; row++) {
            tiles[row] = rowTiles(keyMask[row]);
            if (tiles[row] == null) {
                return null;
            }
        }
        return new AttentionSpans(tiles, t);
    }

    /** The tiles of one row, or null when it is not sequences followed by optional padding. */
    private static int[] rowTiles(int[] km) {
        int t = km.length;
        int[] out = new int[5 * (t / TILE + 4)];
        int n = 0;
        int used = 0;
        int prevSeg = 0;
        while (used < t && km[used] != 0) {
            int seg = km[used];
            if (seg <= prevSeg) {
                return null; // a sequence number used twice (or out of order): not contiguous sequences
            }
            int end = used;
            while (end < t && km[end] == seg) {
                end++;
            }
            for (int r0 = used; r0 < end; r0 += TILE) {
                int r1 = Math.min(end, r0 + TILE);
                out = grow(out, n);
                out[n++] = r0;
                out[n++] = r1;
                out[n++] = used;
                out[n++] = r1;
                out[n++] = 1;
            }
            prevSeg = seg;
            used = end;
        }
        if (used == 0) {
            return null; // no real token first: left padding or an empty row
        }
        for (int j = used; j < t; j++) {
            if (km[j] != 0) {
                return null; // padding between sequences
            }
        }
        for (int r0 = used; r0 < t; r0 += TILE) {
            out = grow(out, n);
            out[n++] = r0;
            out[n++] = Math.min(t, r0 + TILE);
            out[n++] = 0;
            out[n++] = used;
            out[n++] = 0;
        }
        return Arrays.copyOf(out, n);
    }

    private static int[] grow(int[] a, int n) {
        return n + 5 <= a.length ? a : Arrays.copyOf(a, 2 * a.length + 5);
    }

    /**
     * Sequence length T (queries and keys).
     * @return T
     */
    public int time() {
        return time;
    }

    /**
     * Batch rows B.
     * @return B
     */
    public int rows() {
        return tiles.length;
    }

    /** Tiles of batch row b. */
    int tileCount(int b) {
        return tiles[b].length / 5;
    }

    /** First query row of tile i of batch row b. */
    int r0(int b, int i) {
        return tiles[b][5 * i];
    }

    /** End (exclusive) of the query rows of tile i. */
    int r1(int b, int i) {
        return tiles[b][5 * i + 1];
    }

    /** First key of tile i. */
    int k0(int b, int i) {
        return tiles[b][5 * i + 2];
    }

    /** End (exclusive) of the keys tile i's GEMMs cover. */
    int k1(int b, int i) {
        return tiles[b][5 * i + 3];
    }

    /** Whether tile i is causal: query r sees keys [k0, r + 1) only. */
    boolean causal(int b, int i) {
        return tiles[b][5 * i + 4] != 0;
    }

    /** End (exclusive) of the keys query r of tile i sees. */
    int keyEnd(int b, int i, int r) {
        return causal(b, i) ? r + 1 : k1(b, i);
    }

    /** Where tile i of batch row b starts in a head's tile store (its rows of k1 - k0 entries follow each other). */
    long tileStart(int b, int i) {
        return starts[b][i];
    }

    /**
     * Entries per head of a tile store: the attention pattern over the tiles only, every tile's [r1 - r0, k1 - k0]
     * block one after the other (what {@link Kernels#fusedAttention} keeps of the pattern).
     * @return the sum over the tiles of their query rows times their keys
     */
    public long entries() {
        return entries;
    }

    /**
     * Multiply-adds of q k^T over the tiles per head, against B * T * T dense: the work (and memory) saved.
     * @return the fraction of the dense work, between 0 and 1
     */
    public double density() {
        return entries / ((double) tiles.length * time * time);
    }
}
