package org.tinysql.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A right-padded batch: ids, attention mask and labels [B][T] (labels -100 on prompts and padding), and position ids
 * [B][T] when rows hold several packed examples (null: each row is one example starting at position 0).
 *
 * <p>In a packed batch the mask numbers the examples of a row 1, 2, ... (0 = padding), so attention stays inside each
 * example and positions restart at 0 for each: the loss and the gradients equal those of the same examples padded one
 * per row, with far less padding.
 * @param ids the token ids [B][T], padding filled with the pad id
 * @param mask the attention mask [B][T]: 0 for padding, else the example's number within its row (1 when unpacked)
 * @param labels the labels [B][T], aligned with ids: -100 on prompt and padding tokens
 * @param positions the position ids [B][T] of a packed batch, or null for 0..T-1 in every row
 * @param tokens the number of real (non-padding) tokens in the batch
 */
public record Batch(int[][] ids, int[][] mask, int[][] labels, int[][] positions, int tokens) {

    /**
     * An unpacked batch: each row one example, positions 0..T-1.
     * @param ids the token ids [B][T]
     * @param mask the attention mask [B][T]: 1 for real tokens, 0 for padding
     * @param labels the labels [B][T], -100 on prompt and padding tokens
     * @param tokens the number of real (non-padding) tokens
     */
    public Batch(int[][] ids, int[][] mask, int[][] labels, int tokens) {
        this(ids, mask, labels, null, tokens);
    }

    /**
     * One example per row, padded only to the longest example.
     * @param examples the encoded examples, one row each
     * @param padId the token id written into padding positions
     * @return the batch
     */
    public static Batch of(List<EncodedExample> examples, int padId) {
        return of(examples, padId, 1, Integer.MAX_VALUE);
    }

    /** The row length: the longest example rounded up to a multiple of {@code multiple}, at most {@code cap}. */
    private static int rowLength(List<EncodedExample> examples, int multiple, int cap) {
        int longest = 0;
        for (EncodedExample e : examples) {
            longest = Math.max(longest, e.ids().length);
        }
        return Math.max(longest, Math.min(cap, (longest + multiple - 1) / multiple * multiple));
    }

    /**
     * One example per row, padded to the longest example rounded up to a multiple of {@code multiple} (at most
     * {@code cap}), so that batches share a few shapes and the model reuses its activation buffers.
     * @param examples the encoded examples, one row each
     * @param padId the token id written into padding positions
     * @param multiple the row length is rounded up to a multiple of this
     * @param cap the longest row length the rounding may reach (a longer example still gets its full length)
     * @return the batch
     */
    public static Batch of(List<EncodedExample> examples, int padId, int multiple, int cap) {
        int t = rowLength(examples, multiple, cap);
        int b = examples.size();
        int[][] ids = new int[b][t];
        int[][] mask = new int[b][t];
        int[][] labels = new int[b][t];
        int tokens = 0;
        for (int i = 0; i < b; i++) {
            EncodedExample e = examples.get(i);
            int n = e.ids().length;
            Arrays.fill(ids[i], padId);
            System.arraycopy(e.ids(), 0, ids[i], 0, n);
            Arrays.fill(mask[i], 0, n, 1);
            Arrays.fill(labels[i], -100);
            System.arraycopy(e.labels(), 0, labels[i], 0, n);
            tokens += n;
        }
        return new Batch(ids, mask, labels, tokens);
    }

    /**
     * The examples packed into as few rows as first-fit decreasing finds, each row as long as the longest example
     * (rounded up to a multiple of {@code multiple}, at most {@code cap}); see the class comment for the mask and
     * positions.
     * @param examples the encoded examples; each must fit in one row
     * @param padId the token id written into padding positions
     * @param multiple the row length is rounded up to a multiple of this
     * @param cap the longest row length the rounding may reach (a longer example still gets its full length)
     * @return the batch, with positions and numbered segments in the mask
     */
    public static Batch packed(List<EncodedExample> examples, int padId, int multiple, int cap) {
        int t = rowLength(examples, multiple, cap);
        Integer[] order = new Integer[examples.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // longest first, ties in input order: deterministic
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -examples.get(i).ids().length).thenComparingInt(i -> i));
        List<List<EncodedExample>> rows = new ArrayList<>();
        List<Integer> free = new ArrayList<>();
        for (int i : order) {
            EncodedExample e = examples.get(i);
            int n = e.ids().length;
            int r = 0;
            while (r < rows.size() && free.get(r) < n) {
                r++;
            }
            if (r == rows.size()) {
                rows.add(new ArrayList<>());
                free.add(t);
            }
            rows.get(r).add(e);
            free.set(r, free.get(r) - n);
        }
        int b = rows.size();
        int[][] ids = new int[b][t];
        int[][] mask = new int[b][t];
        int[][] labels = new int[b][t];
        int[][] positions = new int[b][t];
        int tokens = 0;
        for (int r = 0; r < b; r++) {
            Arrays.fill(ids[r], padId);
            Arrays.fill(labels[r], -100);
            int at = 0;
            int segment = 0;
            for (EncodedExample e : rows.get(r)) {
                int n = e.ids().length;
                segment++;
                System.arraycopy(e.ids(), 0, ids[r], at, n);
                System.arraycopy(e.labels(), 0, labels[r], at, n);
                Arrays.fill(mask[r], at, at + n, segment);
                for (int p = 0; p < n; p++) {
                    positions[r][at + p] = p;
                }
                at += n;
                tokens += n;
            }
        }
        return new Batch(ids, mask, labels, positions, tokens);
    }
}
