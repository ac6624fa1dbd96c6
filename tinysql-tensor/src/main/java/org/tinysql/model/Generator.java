package org.tinysql.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Autoregressive decoding: greedy, temperature and top-p (nucleus) sampling, batched with left padding, stopping
 * each sequence at EOS. With the KV cache (default) each step runs only the new token; without it every step runs
 * the whole prefix, which is the reference the cached path must equal. Registered forward hooks run on every step;
 * the cache is used only while all of them are {@link Hooks.PositionalForward}, else every step runs the whole prefix.
 */
public final class Generator {

    /**
     * @param maxNewTokens upper bound on generated tokens per sequence
     * @param temperature  0 for greedy decoding
     * @param topP         nucleus mass in (0, 1]; 1 disables the filter
     * @param seed         sampling seed
     * @param eosId        stop token (-1: never stop early)
     * @param padId        token used to left-pad prompts (any valid id; padded positions are masked)
     * @param useCache     whether to decode with the KV cache
     */
    public record Options(int maxNewTokens, double temperature, double topP, long seed, int eosId, int padId, boolean useCache) {
        /**
         * Checks the options (NaN fails every check).
         * @param maxNewTokens upper bound on generated tokens per sequence, at least 0
         * @param temperature 0 for greedy decoding, else a finite positive sampling temperature
         * @param topP nucleus mass in (0, 1]; 1 disables the filter
         * @param seed sampling seed
         * @param eosId stop token (-1: never stop early)
         * @param padId token used to left-pad prompts
         * @param useCache whether to decode with the KV cache
         */
        public Options {
            // Written so that NaN fails every check.
            if (maxNewTokens < 0 || !(temperature >= 0) || !Double.isFinite(temperature) || !(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException("bad generation options (maxNewTokens " + maxNewTokens + ", temperature "
                        + temperature + ", topP " + topP + "): need maxNewTokens >= 0, a finite temperature >= 0, 0 < topP <= 1");
            }
        }

        /**
         * Greedy decoding with the KV cache.
         * @param maxNewTokens upper bound on generated tokens per sequence
         * @param eosId stop token (-1: never stop early)
         * @param padId token used to left-pad prompts
         * @return the options
         */
        public static Options greedy(int maxNewTokens, int eosId, int padId) {
            return new Options(maxNewTokens, 0, 1, 0, eosId, padId, true);
        }

        /**
         * The same options with or without the KV cache.
         * @param cache whether to decode with the KV cache
         * @return new options; these are unchanged
         */
        public Options withCache(boolean cache) {
            return new Options(maxNewTokens, temperature, topP, seed, eosId, padId, cache);
        }
    }

    private Generator() {
    }

    /**
     * Generates continuations of each prompt; the result holds only new tokens, EOS excluded.
     * @param model the model to run
     * @param prompts the prompts' token ids, each at least one token
     * @param o the decoding options
     * @return per prompt, the generated token ids (possibly empty)
     */
    public static List<int[]> generate(Transformer model, List<int[]> prompts, Options o) {
        return generate(model, prompts, o, null);
    }

    /**
     * As {@link #generate(Transformer, List, Options)}, and a sequence also stops (keeping its last token) as soon as
     * {@code stop} holds for the tokens it has generated so far: for callers that need only a prefix of each answer.
     * Decoding ends when every sequence has stopped. With greedy decoding each sequence's tokens are exactly the first
     * tokens of what it would have generated without {@code stop} (sequences do not interact); sampling draws every
     * sequence's tokens from one random stream, so there a stopped sequence changes the later draws of the others.
     * @param model the model to run
     * @param prompts the prompts' token ids, each at least one token
     * @param o the decoding options
     * @param stop tested on a sequence's new tokens (EOS excluded) after each one; null never stops early
     * @return per prompt, the generated token ids (possibly empty)
     */
    public static List<int[]> generate(Transformer model, List<int[]> prompts, Options o, java.util.function.Predicate<int[]> stop) {
        int b = prompts.size();
        int tp = 0;
        for (int[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("empty prompt: generation needs at least one token");
            }
            tp = Math.max(tp, p.length);
        }
        int total = tp + o.maxNewTokens();
        int[][] ids = new int[b][total];
        int[][] mask = new int[b][total];
        int[][] pos = new int[b][total];
        for (int i = 0; i < b; i++) {
            int[] p = prompts.get(i);
            int off = tp - p.length;
            Arrays.fill(ids[i], 0, off, o.padId());
            System.arraycopy(p, 0, ids[i], off, p.length);
            for (int t = off; t < total; t++) {
                mask[i][t] = 1;
                pos[i][t] = t - off;
            }
        }
        SplittableRandom rng = new SplittableRandom(o.seed());
        List<List<Integer>> out = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            out.add(new ArrayList<>());
        }
        boolean[] done = new boolean[b];
        // hooks that cannot run on the new positions alone (see Hooks.PositionalForward) need the whole prefix each step
        KvCache cache = o.useCache() && model.hooks().decodable() ? model.newCache(b, total) : null;
        int v = model.config().vocabSize();
        float[] last = new float[b * v]; // the last position's logits [B, V] of every step, reused
        try {
            int len = tp;
            lastLogits(model, cache, ids, mask, pos, 0, len, last);
            for (int step = 0; step < o.maxNewTokens(); step++) {
                boolean all = true;
                for (int i = 0; i < b; i++) {
                    int next = done[i] ? o.padId() : pick(last, i * v, v, o, rng);
                    if (!done[i] && next == o.eosId()) {
                        done[i] = true;
                    } else if (!done[i]) {
                        out.get(i).add(next);
                        if (stop != null && stop.test(out.get(i).stream().mapToInt(Integer::intValue).toArray())) {
                            done[i] = true;
                        }
                    }
                    ids[i][len] = done[i] ? Math.max(0, o.eosId()) : next;
                    all &= done[i];
                }
                len++;
                if (all || step == o.maxNewTokens() - 1) {
                    break;
                }
                lastLogits(model, cache, ids, mask, pos, len - 1, len, last);
            }
        } finally {
            if (cache != null) {
                cache.close();    // also when decoding fails: the cache holds off-heap buffers
            }
        }
        List<int[]> result = new ArrayList<>();
        for (List<Integer> l : out) {
            result.add(l.stream().mapToInt(Integer::intValue).toArray());
        }
        return result;
    }

    private static int[][] slice(int[][] a, int from, int to) {
        int[][] s = new int[a.length][];
        for (int i = 0; i < a.length; i++) {
            s[i] = Arrays.copyOfRange(a[i], from, to);
        }
        return s;
    }

    /**
     * The logits [B, V] of position {@code len - 1} into {@code out}: with the cache, a pass over the new positions
     * [from, len) only; without, a full forward over positions [0, len).
     */
    private static void lastLogits(Transformer model, KvCache cache, int[][] ids, int[][] mask, int[][] pos, int from, int len,
                                   float[] out) {
        if (cache != null) {
            model.forwardCachedLast(slice(ids, from, len), slice(mask, from, len), slice(pos, from, len), cache, out);
            return;
        }
        INDArray logits = model.forward(slice(ids, 0, len), slice(mask, 0, len), slice(pos, 0, len));
        INDArray lastRow = logits.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(len - 1),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).dup('c');
        model.kernels().read(lastRow, out);
        lastRow.close();
    }

    /**
     * Argmax (temperature 0) or a sample from the temperature-scaled, top-p filtered distribution of the logits
     * {@code logits[off, off + n)}; returns a token id in [0, n).
     */
    static int pick(float[] logits, int off, int n, Options o, SplittableRandom rng) {
        if (o.temperature() == 0) {
            int best = 0;
            for (int j = 1; j < n; j++) {
                if (logits[off + j] > logits[off + best]) {
                    best = j;
                }
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, logits[off + j]);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int j = 0; j < n; j++) {
            p[j] = Math.exp((logits[off + j] - max) / o.temperature());
            sum += p[j];
        }
        Integer[] order = new Integer[p.length];
        for (int j = 0; j < p.length; j++) {
            order[j] = j;
            p[j] /= sum;
        }
        Arrays.sort(order, (a, c) -> Double.compare(p[c], p[a]));
        double cum = 0;
        int keep = 0;
        while (keep < order.length) {
            cum += p[order[keep++]];
            if (cum >= o.topP()) {
                break;
            }
        }
        double u = rng.nextDouble() * cum;
        double acc = 0;
        for (int j = 0; j < keep; j++) {
            acc += p[order[j]];
            if (u < acc) {
                return order[j];
            }
        }
        return order[keep - 1];
    }
}
