package org.tinysql.train;

import java.util.Arrays;
import java.util.List;

/** A right-padded batch: ids, attention mask and labels [B][T] (labels -100 on prompts and padding). */
public record Batch(int[][] ids, int[][] mask, int[][] labels, int tokens) {

    public static Batch of(List<EncodedExample> examples, int padId) {
        return of(examples, padId, 1, Integer.MAX_VALUE);
    }

    /**
     * Pads to the longest example rounded up to a multiple of {@code multiple} (at most {@code cap}), so that
     * batches share a few shapes and the model reuses its activation buffers.
     */
    public static Batch of(List<EncodedExample> examples, int padId, int multiple, int cap) {
        int longest = 0;
        for (EncodedExample e : examples) {
            longest = Math.max(longest, e.ids().length);
        }
        int t = Math.max(longest, Math.min(cap, (longest + multiple - 1) / multiple * multiple));
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
}
