package org.tinysql.interp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tinysql.data.PromptPair;
import org.tinysql.tokenizer.Tokenizer;

/**
 * A batch of clean/corrupt prompt pairs as token ids, right-padded to one length T. Row b's answer is predicted at
 * position {@code pos[b]} (its last prompt token); clean and corrupt prompts of a row have the same token length.
 *
 * @param clean         clean token ids [B][T]
 * @param corrupt       corrupt token ids [B][T]
 * @param mask          1 for real tokens, 0 for padding [B][T]
 * @param pos           answer position per row [B]
 * @param cleanAnswer   the first token of the clean answer per row [B]
 * @param corruptAnswer the first token of the corrupt answer per row [B]
 */
public record PatchBatch(int[][] clean, int[][] corrupt, int[][] mask, int[] pos, int[] cleanAnswer, int[] corruptAnswer) {

    /**
     * Checks that the arrays agree on B and T and that every answer position is a real token.
     *
     * @param clean         clean token ids [B][T]
     * @param corrupt       corrupt token ids [B][T]
     * @param mask          1 for real tokens, 0 for padding [B][T]
     * @param pos           answer position per row [B], a real token
     * @param cleanAnswer   the first token of the clean answer per row [B]
     * @param corruptAnswer the first token of the corrupt answer per row [B]
     * @throws IllegalArgumentException if B is 0, the arrays disagree on B or T, or an answer position is padding
     */
    public PatchBatch {
        int b = clean.length;
        if (b == 0) {
            throw new IllegalArgumentException("empty patch batch");
        }
        if (corrupt.length != b || mask.length != b || pos.length != b || cleanAnswer.length != b || corruptAnswer.length != b) {
            throw new IllegalArgumentException("patch batch arrays disagree on the batch size " + b);
        }
        int t = clean[0].length;
        for (int i = 0; i < b; i++) {
            if (clean[i].length != t || corrupt[i].length != t || mask[i].length != t) {
                throw new IllegalArgumentException("row " + i + " is not " + t + " tokens long");
            }
            if (pos[i] < 0 || pos[i] >= t || mask[i][pos[i]] == 0) {
                throw new IllegalArgumentException("row " + i + ": answer position " + pos[i] + " is not a real token");
            }
        }
    }

    /**
     * The number of rows.
     *
     * @return B
     */
    public int size() {
        return clean.length;
    }

    /**
     * The padded sequence length.
     *
     * @return T
     */
    public int length() {
        return clean[0].length;
    }

    /**
     * Flat row index b*T + pos[b] of each answer position (for {@code Transformer.setLogitRows}).
     *
     * @return [B] row indices into a [B*T, ...] array
     */
    public int[] answerRows() {
        int[] r = new int[pos.length];
        for (int b = 0; b < pos.length; b++) {
            r[b] = b * length() + pos[b];
        }
        return r;
    }

    /**
     * Flat row index b*T + t of every real (unpadded) token, in row order (for means over the batch's tokens).
     *
     * @return the row indices into a [B*T, ...] array, ascending
     */
    public int[] realRows() {
        int t = length();
        return java.util.stream.IntStream.range(0, size() * t).filter(r -> mask[r / t][r % t] != 0).toArray();
    }

    /**
     * Tokenizes prompt pairs: prompts as sequence starts ({@link Tokenizer#encodePrompt}), answers as their
     * continuations ({@link Tokenizer#encode}). Pairs whose clean and corrupt prompts differ in token length, or with an empty
     * answer, are rejected with an exception naming the pair (make pairs with the model's tokenizer). Pairs whose answers
     * start with the same token are accepted (the KL metric needs them; logit and probability differences do not).
     *
     * @param pairs the pairs, one row each, in order; not empty
     * @param tok   the model's tokenizer; its pad id (0 if none) fills the padding
     * @return the batch, T the longest prompt
     * @throws IllegalArgumentException if a pair's prompts differ in token length or an answer encodes to no tokens
     */
    public static PatchBatch of(List<PromptPair> pairs, Tokenizer tok) {
        List<int[]> c = new ArrayList<>();
        List<int[]> x = new ArrayList<>();
        int[] ca = new int[pairs.size()];
        int[] xa = new int[pairs.size()];
        int t = 0;
        for (int i = 0; i < pairs.size(); i++) {
            PromptPair p = pairs.get(i);
            int[] a = tok.encodePrompt(p.clean());
            int[] b = tok.encodePrompt(p.corrupt());
            if (a.length != b.length) {
                throw new IllegalArgumentException("pair " + i + " (" + p.kind() + "): clean prompt has " + a.length
                        + " tokens, corrupt " + b.length + "; build pairs with this tokenizer (CorruptionGenerator)");
            }
            int[] ac = tok.encode(p.cleanAnswer()); // answers continue the prompt: no prefix
            int[] ax = tok.encode(p.corruptAnswer());
            if (ac.length == 0 || ax.length == 0) {
                throw new IllegalArgumentException("pair " + i + " (" + p.kind() + ") has an empty answer");
            }
            ca[i] = ac[0];
            xa[i] = ax[0];
            c.add(a);
            x.add(b);
            t = Math.max(t, a.length);
        }
        return padded(c, x, ca, xa, t, Math.max(0, tok.padId()));
    }

    /**
     * Right-pads token rows (clean and corrupt rows pairwise equal in length) into a batch.
     *
     * @param clean         clean prompt ids per row
     * @param corrupt       corrupt prompt ids per row, each as long as its clean row
     * @param cleanAnswer   the clean answer token per row [B]; copied
     * @param corruptAnswer the corrupt answer token per row [B]; copied
     * @param t             T, at least the longest row
     * @param padId         the token id written into padding
     * @return the batch, each row's answer position its last prompt token
     */
    public static PatchBatch padded(List<int[]> clean, List<int[]> corrupt, int[] cleanAnswer, int[] corruptAnswer, int t, int padId) {
        int n = clean.size();
        int[][] c = new int[n][t];
        int[][] x = new int[n][t];
        int[][] m = new int[n][t];
        int[] pos = new int[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(c[i], padId);
            Arrays.fill(x[i], padId);
            int len = clean.get(i).length;
            System.arraycopy(clean.get(i), 0, c[i], 0, len);
            System.arraycopy(corrupt.get(i), 0, x[i], 0, len);
            Arrays.fill(m[i], 0, len, 1);
            pos[i] = len - 1;
        }
        return new PatchBatch(c, x, m, pos, cleanAnswer.clone(), corruptAnswer.clone());
    }

    /**
     * Rows [from, to) as a batch, trimmed to their longest row.
     *
     * @param from the first row, inclusive
     * @param to   the last row, exclusive
     * @return a new batch of {@code to - from} rows, T the longest of them
     */
    public PatchBatch slice(int from, int to) {
        int t = 1;
        for (int i = from; i < to; i++) {
            t = Math.max(t, pos[i] + 1);
        }
        int n = to - from;
        int[][] c = new int[n][];
        int[][] x = new int[n][];
        int[][] m = new int[n][];
        for (int i = 0; i < n; i++) {
            c[i] = Arrays.copyOf(clean[from + i], t);
            x[i] = Arrays.copyOf(corrupt[from + i], t);
            m[i] = Arrays.copyOf(mask[from + i], t);
        }
        return new PatchBatch(c, x, m, Arrays.copyOfRange(pos, from, to), Arrays.copyOfRange(cleanAnswer, from, to),
                Arrays.copyOfRange(corruptAnswer, from, to));
    }
}
