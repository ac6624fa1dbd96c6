package org.tinysql.interp.study;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.HeadName;
import org.tinysql.interp.Interventions;
import org.tinysql.interp.TokenTagger;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.Generator;
import org.tinysql.model.Hooks;
import org.tinysql.model.HookName;
import org.tinysql.model.RunSpec;
import org.tinysql.model.SqlPredictor;
import org.tinysql.model.Transformer;
import org.tinysql.sql.ExactMatch;
import org.tinysql.sql.OutputSimilarity;
import org.tinysql.tensor.Kernels;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.Progress;

/**
 * Analysis 4: the minimal circuit as the TinySQL paper measures it. Prompts of one token length (the most common among
 * the model's held-out prompts); every head's {@code hook_z} mean over those prompts, per token position, teacher-forced
 * on their gold SQL; then a greedy search that removes (mean-ablates) at each step the head whose removal keeps the
 * mean output similarity ({@link OutputSimilarity}) of the greedy answers highest, while it stays at least
 * {@code target} times the intact model's. Reports the heads kept of all, and similarity and exact match before and
 * after.
 */
public final class MinimalStudy {
    /** Candidate prompts scanned for the most common length. */
    static final int CANDIDATES = 3000;
    /** Generated tokens beyond the longest gold answer. */
    static final int EXTRA_TOKENS = 4;

    private MinimalStudy() {
    }

    /**
     * The minimal circuit of one model.
     *
     * @param prompts        prompts searched on (all of {@code promptTokens} tokens)
     * @param promptTokens   their token length
     * @param totalHeads     the model's heads, L*H
     * @param kept           the heads kept, {@code a{layer}.h{head}}
     * @param target         the similarity kept, as a fraction of the intact model's
     * @param fullSimilarity the intact model's mean similarity to the gold SQL
     * @param fullExact      the intact model's exact-match accuracy on these prompts
     * @param similarity     the minimal circuit's mean similarity
     * @param exact          the minimal circuit's exact-match accuracy
     * @param removals       the heads removed in order, with the similarity after each removal
     * @param millis         time taken
     */
    public record Minimal(int prompts, int promptTokens, int totalHeads, List<String> kept, double target, double fullSimilarity,
                         double fullExact, double similarity, double exact, List<Removal> removals, long millis) {
    }

    /**
     * One greedy step.
     *
     * @param head       the head removed
     * @param similarity the mean similarity without it (and the heads removed before)
     */
    public record Removal(String head, double similarity) {
    }

    /** Similarity and exact match of one set of answers. */
    private record Score(double similarity, double exact) {
    }

    /**
     * Runs the search.
     *
     * @param model    the model
     * @param tok      its tokenizer
     * @param held     held-out prompts to choose from
     * @param count    prompts searched on (at most)
     * @param target   the similarity kept, as a fraction of the intact model's, e.g. 0.9
     * @param progress advanced per generation
     * @return the minimal circuit
     */
    public static Minimal run(Transformer model, Tokenizer tok, List<TinySqlExample> held, int count, double target, Progress progress) {
        long t0 = System.nanoTime();
        SqlPredictor predictor = new SqlPredictor(model, tok, SqlPredictor.MAX_NEW_TOKENS);
        TokenTagger tagger = new TokenTagger(tok);
        Map<Integer, List<Integer>> byLength = new HashMap<>();
        List<int[]> full = new ArrayList<>();
        for (int i = 0; i < held.size(); i++) {
            TokenTagger.Tagged t = tagger.tag(held.get(i));
            full.add(t.tokens());
            if (java.util.Arrays.equals(predictor.promptIds(held.get(i)), java.util.Arrays.copyOf(t.tokens(), t.responseStart()))
                    && t.tokens().length <= model.config().maxSequenceLength()) {
                byLength.computeIfAbsent(t.responseStart(), k -> new ArrayList<>()).add(i);
            }
        }
        List<Integer> rows = byLength.values().stream().max((a, b) -> a.size() != b.size() ? Integer.compare(a.size(), b.size())
                : Integer.compare(b.get(0), a.get(0))).orElseThrow(() -> new IllegalArgumentException("no prompt fits the model"));
        rows = rows.subList(0, Math.min(count, rows.size()));
        int length = predictor.promptIds(held.get(rows.get(0))).length;
        List<int[]> prompts = new ArrayList<>();
        List<String> gold = new ArrayList<>();
        int maxAnswer = 0;
        List<int[]> sequences = new ArrayList<>();
        for (int i : rows) {
            prompts.add(predictor.promptIds(held.get(i)));
            gold.add(held.get(i).sqlStatement());
            sequences.add(full.get(i));
            maxAnswer = Math.max(maxAnswer, full.get(i).length - length);
        }
        int maxNew = Math.min(Math.min(SqlPredictor.MAX_NEW_TOKENS, maxAnswer + EXTRA_TOKENS), model.config().maxSequenceLength() - length);
        INDArray[] means = positionMeans(model, sequences, Math.max(0, tok.padId()));
        int layers = model.config().nLayers();
        int heads = model.config().nHeads();
        Set<String> kept = new LinkedHashSet<>();
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                kept.add(l + "." + h);
            }
        }
        // the ablation hooks are positional: greedy decoding keeps the KV cache
        Generator.Options gen = Generator.Options.greedy(maxNew, tok.eosId(), Math.max(0, tok.padId()));
        try {
            Score intact = score(model, tok, prompts, gold, gen, Set.of(), means, true);
            progress.advance(1);
            Score now = intact;
            List<Removal> removals = new ArrayList<>();
            double floor = target * intact.similarity();
            while (!kept.isEmpty()) {
                String best = null;
                Score bestScore = null;
                for (String h : kept) {
                    Set<String> removed = new LinkedHashSet<>(removedOf(layers, heads, kept));
                    removed.add(h);
                    Score s = score(model, tok, prompts, gold, gen, removed, means, false);
                    progress.advance(1);
                    if (bestScore == null || s.similarity() > bestScore.similarity()) {
                        best = h;
                        bestScore = s;
                    }
                }
                if (bestScore.similarity() < floor) {
                    break;
                }
                kept.remove(best);
                now = bestScore;
                removals.add(new Removal(HeadName.ofKey(best), bestScore.similarity()));
            }
            // the trials decoded until the similarity was settled; exact match needs the minimal circuit's whole answers
            double exact = removals.isEmpty() ? intact.exact()
                    : score(model, tok, prompts, gold, gen, removedOf(layers, heads, kept), means, true).exact();
            progress.advance(1);
            List<String> keptNames = kept.stream().map(HeadName::ofKey).toList();
            return new Minimal(prompts.size(), length, layers * heads, keptNames, target, intact.similarity(), intact.exact(),
                    now.similarity(), exact, removals, (System.nanoTime() - t0) / 1_000_000);
        } finally {
            for (INDArray m : means) {
                m.close();
            }
        }
    }

    /** Generations with at most L*H*(L*H+1)/2 + 2 steps (the search, the intact model, the circuit's exact match): the progress total of a full search. */
    static long maxSteps(int totalHeads) {
        return (long) totalHeads * (totalHeads + 1) / 2 + 2;
    }

    private static Set<String> removedOf(int layers, int heads, Set<String> kept) {
        Set<String> removed = new LinkedHashSet<>();
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                if (!kept.contains(l + "." + h)) {
                    removed.add(l + "." + h);
                }
            }
        }
        return removed;
    }

    /** Per layer, [T_max, H*D] means of hook_z per position over the sequences that reach it (right-padded batch). */
    static INDArray[] positionMeans(Transformer model, List<int[]> sequences, int padId) {
        int b = sequences.size();
        int t = sequences.stream().mapToInt(s -> s.length).max().orElse(1);
        int[][] ids = new int[b][t];
        int[][] mask = new int[b][t];
        for (int i = 0; i < b; i++) {
            java.util.Arrays.fill(ids[i], padId);
            System.arraycopy(sequences.get(i), 0, ids[i], 0, sequences.get(i).length);
            java.util.Arrays.fill(mask[i], 0, sequences.get(i).length, 1);
        }
        int layers = model.config().nLayers();
        int hd = model.config().nHeads() * model.config().headDim();
        Kernels k = model.kernels();
        String[] names = new String[layers];
        for (int l = 0; l < layers; l++) {
            names[l] = HookName.z(l);
        }
        INDArray[] out = new INDArray[layers];
        INDArray row = k.zeros(1, hd);
        boolean done = false;
        try (ActivationCache c = model.run(RunSpec.of(ids, mask).cache(names).logitRows(new int[0]))) {
            for (int l = 0; l < layers; l++) {
                INDArray z = c.get(names[l]).reshape('c', (long) b * t, hd);
                out[l] = k.zeros(t, hd);
                for (int p = 0; p < t; p++) {
                    List<Integer> real = new ArrayList<>();
                    for (int i = 0; i < b; i++) {
                        if (mask[i][p] == 1) {
                            real.add(i * t + p);
                        }
                    }
                    k.meanRows(z, real.stream().mapToInt(Integer::intValue).toArray(), row);
                    k.scatterRows(row, new int[] {p}, out[l], false);
                }
            }
            done = true;
        } finally {
            row.close();
            if (!done) {
                for (INDArray a : out) {
                    if (a != null) {
                        a.close();
                    }
                }
            }
        }
        return out;
    }

    /**
     * Greedy answers with the heads in {@code removed} mean-ablated per position, scored against the gold SQL. With
     * {@code whole} false each answer is decoded only until its similarity is settled ({@link OutputSimilarity#settled}:
     * the table after FROM is written), which scores what the whole answer scores, and exact match is not measured (NaN).
     */
    private static Score score(Transformer model, Tokenizer tok, List<int[]> prompts, List<String> gold, Generator.Options gen,
                               Set<String> removed, INDArray[] means, boolean whole) {
        int layers = means.length;
        List<Hooks.Handle> handles = new ArrayList<>();
        try {
            for (int l = 0; l < layers; l++) {
                List<Integer> hs = new ArrayList<>();
                for (String r : removed) {
                    String[] p = r.split("\\.");
                    if (Integer.parseInt(p[0]) == l) {
                        hs.add(Integer.parseInt(p[1]));
                    }
                }
                if (!hs.isEmpty()) {
                    handles.add(model.hooks().addForward(HookName.z(l), Interventions.positionMeanHeads(
                            hs.stream().mapToInt(Integer::intValue).toArray(), means[l], model.kernels())));
                }
            }
            List<int[]> out = Generator.generate(model, prompts, gen, whole ? null : ids -> OutputSimilarity.settled(tok.decode(ids)));
            double sim = 0;
            double exact = 0;
            ExactMatch em = new ExactMatch();
            for (int i = 0; i < out.size(); i++) {
                String sql = tok.decode(out.get(i)).strip();
                sim += OutputSimilarity.score(gold.get(i), sql) / out.size();
                exact += whole && em.score("", gold.get(i), sql).correct() ? 1.0 / out.size() : 0;
            }
            return new Score(sim, whole ? exact : Double.NaN);
        } finally {
            handles.forEach(Hooks.Handle::close);
        }
    }
}
