package org.tinysql.interp.study;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.sae.Codes;
import org.tinysql.interp.sae.Sae;
import org.tinysql.model.Generator;
import org.tinysql.model.Hooks;
import org.tinysql.model.SqlPredictor;
import org.tinysql.model.Transformer;
import org.tinysql.sql.ExactMatch;
import org.tinysql.sql.ScoreResult;
import org.tinysql.sql.Scoring;
import org.tinysql.tensor.Kernels;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.Progress;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.evaluation.LabelEvaluation;
import org.tribuo.classification.evaluation.LabelEvaluator;
import org.tribuo.classification.sgd.linear.LogisticRegressionTrainer;
import org.tribuo.impl.ArrayExample;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * Analysis 7, the original TinySQL's {@code classifiers}: does the model's internal state say that its answer will be
 * wrong? Each held-out prompt is decoded greedily and scored (exact match); its features are the mean over the answer
 * positions of the SAE's latent activations on the last residual stream, and, as the baseline, of the raw residual
 * itself. The answer positions are those of the model's own answer (the last prompt token and every generated token,
 * read while decoding), never the gold SQL's: the features only hold what the model had when it answered. A logistic regression (Tribuo, z-scored features) is trained on 70% of the
 * prompts (stratified) and its AUROC for "wrong" measured on the other 30%. Prompts are decoded in chunks of
 * {@value #CHUNK} until both classes have enough of them: a weak model's probe needs a few hundred of each, not 5000
 * decodes (the CS5 model's 5000 took two minutes), while a strong model's few wrong answers need every prompt.
 */
public final class ErrorProbe {
    /** The fewest wrong and right predictions each for a probe. */
    public static final int MIN_PER_CLASS = 20;
    /**
     * Prompts decoded between two looks at the class counts (in prompt-length order within each chunk): decoding stops
     * after the first chunk that leaves both classes with at least the wanted number of prompts.
     */
    static final int CHUNK = 1000;
    /** The share of prompts the probes are trained on. */
    static final double TRAIN_SHARE = 0.7;
    private static final Label WRONG = new Label("wrong");
    private static final Label RIGHT = new Label("right");
    /** Tribuo logs each training run through java.util.logging at INFO: kept to warnings (a strong reference keeps the level). */
    private static final java.util.logging.Logger TRIBUO_LOG = java.util.logging.Logger.getLogger("org.tribuo");

    static {
        TRIBUO_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private ErrorProbe() {
    }

    /**
     * The probes of one model.
     *
     * @param hook          the hook the features are read at
     * @param prompts       prompts decoded
     * @param wrong         of them, wrong (exact match)
     * @param testRows      held-out prompts the AUROC is measured on
     * @param saeAuroc      AUROC of the probe on SAE latents (NaN when skipped)
     * @param residualAuroc AUROC of the probe on the raw residual
     * @param saeFeatures   latents that fired on the training prompts (the SAE probe's features)
     * @param skipped       why no probe was trained, else null
     */
    public record Probe(String hook, int prompts, int wrong, int testRows, double saeAuroc, double residualAuroc, int saeFeatures,
                        String skipped) {
    }

    /**
     * Decodes, scores, pools features and trains both probes, on every prompt.
     *
     * @param model    the model
     * @param tok      its tokenizer
     * @param sae      the SAE on {@code sae.config().hookName()}
     * @param prompts  held-out prompts with gold SQL
     * @param seed     the seed of the train/test split
     * @param progress advanced per prompt decoded
     * @return the AUROCs
     */
    public static Probe run(Transformer model, Tokenizer tok, Sae sae, List<TinySqlExample> prompts, long seed, Progress progress) {
        return run(model, tok, sae, prompts, Integer.MAX_VALUE, seed, progress);
    }

    /**
     * Decodes prompts in order (chunks of {@value #CHUNK}) until both right and wrong answers number at least
     * {@code perClass} or the prompts run out, then pools features and trains both probes on the prompts decoded.
     *
     * @param model    the model
     * @param tok      its tokenizer
     * @param sae      the SAE on {@code sae.config().hookName()}
     * @param prompts  held-out prompts with gold SQL, in the order they are taken
     * @param perClass right and wrong answers each after which decoding stops
     * @param seed     the seed of the train/test split
     * @param progress advanced per prompt decoded
     * @return the AUROCs
     */
    public static Probe run(Transformer model, Tokenizer tok, Sae sae, List<TinySqlExample> prompts, int perClass, long seed,
                            Progress progress) {
        String hook = sae.config().hookName();
        SqlPredictor predictor = new SqlPredictor(model, tok, SqlPredictor.MAX_NEW_TOKENS);
        int n = prompts.size();
        int[][] ids = new int[n][];
        for (int i = 0; i < n; i++) {
            ids[i] = predictor.promptIds(prompts.get(i));
        }
        float[][] resid = new float[n][];
        float[][] latents = new float[n][];
        boolean[] wrongAll = new boolean[n];
        int done = 0;
        int nWrong = 0;
        for (int to; (to = nextChunkEnd(done, n, nWrong, perClass, CHUNK)) > done; done = to) {
            int from = done;
            int[][] chunk = Arrays.copyOfRange(ids, from, to);
            String[] predicted = new String[to - from];
            // batches of similar prompt length; rows kept in prompt order
            for (int[] rows : SqlPredictor.lengthBatches(chunk, AccuracyMatrix.DECODE_BATCH)) {
                List<int[]> part = new ArrayList<>();
                int[] at = new int[rows.length];
                for (int j = 0; j < rows.length; j++) {
                    part.add(chunk[rows[j]]);
                    at[j] = from + rows[j];
                }
                List<int[]> got = decodeAndPool(model, sae, part, SqlPredictor.MAX_NEW_TOKENS, tok.eosId(), Math.max(0, tok.padId()), resid,
                        latents, at);
                for (int j = 0; j < rows.length; j++) {
                    predicted[rows[j]] = tok.decode(got.get(j)).strip();
                }
                progress.advance(part.size());
            }
            List<ScoreResult> exact = Scoring.scoreAll(Scoring.items(prompts.subList(from, to), Arrays.asList(predicted)),
                    List.of(ExactMatch::new), AccuracyMatrix.SCORING_THREADS).values().iterator().next();
            for (int i = from; i < to; i++) {
                wrongAll[i] = !exact.get(i - from).correct();
                nWrong += wrongAll[i] ? 1 : 0;
            }
        }
        boolean[] wrong = Arrays.copyOf(wrongAll, done);
        resid = Arrays.copyOf(resid, done);
        latents = Arrays.copyOf(latents, done);
        if (nWrong < MIN_PER_CLASS || wrong.length - nWrong < MIN_PER_CLASS) {
            return new Probe(hook, done, nWrong, 0, Double.NaN, Double.NaN, 0, String.format(java.util.Locale.ROOT,
                    "%d wrong of %d predictions: a probe needs at least %d of each", nWrong, done, MIN_PER_CLASS));
        }
        int s = sae.config().dSae();
        boolean[] train = split(wrong, seed);
        int test = 0;
        for (boolean t : train) {
            test += t ? 0 : 1;
        }
        boolean[] used = new boolean[s];
        for (int i = 0; i < latents.length; i++) {
            for (int j = 0; j < s; j++) {
                used[j] |= train[i] && latents[i][j] != 0;
            }
        }
        int saeFeatures = 0;
        for (boolean u : used) {
            saeFeatures += u ? 1 : 0;
        }
        return new Probe(hook, done, nWrong, test, auroc(latents, used, wrong, train, true),
                auroc(resid, null, wrong, train, false),
                saeFeatures, null);
    }

    /**
     * The end of the next chunk of prompts to decode, or {@code done} when decoding stops: after {@code done} of
     * {@code n} prompts, {@code wrong} of them answered wrongly, it stops once both classes have {@code perClass}
     * prompts. With {@code perClass} = {@link Integer#MAX_VALUE} every prompt is decoded in one chunk (one length order).
     */
    static int nextChunkEnd(int done, int n, int wrong, int perClass, int chunk) {
        if (done >= n || (wrong >= perClass && done - wrong >= perClass)) {
            return done;
        }
        return perClass == Integer.MAX_VALUE ? n : Math.min(n, done + chunk);
    }

    /**
     * Decodes {@code prompts} greedily and, from the same passes, the mean over the answer positions of the SAE hook's
     * activation and of the SAE's latents into rows {@code at[i]} (prompt i) of {@code resid} and {@code latents}. The answer
     * positions are those where the model chose each answer token and the end of the answer: the last prompt token and
     * every answer token (the last one only when the model ended its answer before {@code maxNew} tokens); a positional
     * hook reads them as the cached decoding runs them, so nothing is run twice.
     *
     * @return the answers, EOS excluded
     */
    static List<int[]> decodeAndPool(Transformer model, Sae sae, List<int[]> prompts, int maxNew, int eosId, int padId,
                                     float[][] resid, float[][] latents, int[] at) {
        int b = prompts.size();
        int first = prompts.stream().mapToInt(p -> p.length).max().orElse(1) - 1; // left padding: every prompt ends here
        int c = sae.config().dIn();
        AnswerStates states = new AnswerStates(model, b, first, maxNew, c);
        List<int[]> answers;
        try (Hooks.Handle h = model.hooks().addForward(sae.config().hookName(), states)) {
            answers = Generator.generate(model, prompts, Generator.Options.greedy(maxNew, eosId, padId));
        }
        int[] used = new int[b];
        int total = 0;
        for (int i = 0; i < b; i++) {
            used[i] = Math.min(answers.get(i).length, states.captured - 1) + 1;
            total += used[i];
        }
        float[] x = new float[total * c];
        int r = 0;
        for (int i = 0; i < b; i++) {
            System.arraycopy(states.rows[i], 0, x, r * c, used[i] * c);
            r += used[i];
        }
        Codes z = sae.encode(x, total);
        int s = sae.config().dSae();
        r = 0;
        for (int i = 0; i < b; i++) {
            float[] mean = new float[c];
            float[] l = new float[s];
            for (int p = 0; p < used[i]; p++, r++) {
                for (int k = 0; k < c; k++) {
                    mean[k] += x[r * c + k] / used[i];
                }
                for (int e = z.start[r]; e < z.start[r + 1]; e++) {
                    l[z.idx[e]] += z.val[e] / used[i];
                }
            }
            resid[at[i]] = mean;
            latents[at[i]] = l;
        }
        return answers;
    }

    /** Keeps, per sequence, the hook's rows at answer positions 0..maxNew (padded position first + a). */
    private static final class AnswerStates implements Hooks.PositionalForward {
        private final Kernels kernels;
        private final int first;
        private final int maxNew;
        private final int c;
        final float[][] rows;
        /** Answer positions seen so far (the same for every sequence of the batch). */
        int captured;

        AnswerStates(Transformer model, int b, int first, int maxNew, int c) {
            this.kernels = model.kernels();
            this.first = first;
            this.maxNew = maxNew;
            this.c = c;
            this.rows = new float[b][(maxNew + 1) * c];
        }

        @Override
        public INDArray apply(INDArray a, String name, int start) {
            int b = (int) a.size(0);
            int t = (int) a.size(1);
            if (start + t - 1 < first) {
                return null;
            }
            float[] host = new float[b * t * c];
            kernels.read(a, host);
            for (int j = 0; j < t; j++) {
                int ans = start + j - first;
                if (ans < 0 || ans > maxNew) {
                    continue;
                }
                for (int i = 0; i < b; i++) {
                    System.arraycopy(host, (i * t + j) * c, rows[i], ans * c, c);
                }
                captured = Math.max(captured, ans + 1);
            }
            return null;
        }
    }

    /** A stratified split: {@link #TRAIN_SHARE} of the wrong and of the right prompts train, the rest test. */
    static boolean[] split(boolean[] wrong, long seed) {
        boolean[] train = new boolean[wrong.length];
        SplittableRandom r = new SplittableRandom(seed);
        for (boolean cls : new boolean[] {true, false}) {
            List<Integer> rows = new ArrayList<>();
            for (int i = 0; i < wrong.length; i++) {
                if (wrong[i] == cls) {
                    rows.add(i);
                }
            }
            for (int i = rows.size() - 1; i > 0; i--) {
                java.util.Collections.swap(rows, i, r.nextInt(i + 1));
            }
            int k = (int) Math.round(rows.size() * TRAIN_SHARE);
            for (int i = 0; i < k; i++) {
                train[rows.get(i)] = true;
            }
        }
        return train;
    }

    /**
     * Trains a logistic regression on the train rows (features where {@code use} is true, all when null) and returns its
     * AUROC for "wrong" on the other rows. Dense features are z-scored; sparse ones (SAE latents, mostly 0) are divided by
     * their largest train value, so that zeros stay zeros and a latent that fires on a handful of rows does not get the
     * huge z-scores that let unregularised SGD fit those rows (the first measurement: SAE-probe AUROCs of 0.51-0.60).
     * Statistics come from the train rows only.
     */
    static double auroc(float[][] x, boolean[] use, boolean[] wrong, boolean[] train, boolean sparse) {
        int d = x[0].length;
        double[] mean = new double[d];
        double[] sd = new double[d];
        double[] max = new double[d];
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            if (train[i]) {
                n++;
                for (int j = 0; j < d; j++) {
                    mean[j] += x[i][j];
                }
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        for (int i = 0; i < x.length; i++) {
            if (train[i]) {
                for (int j = 0; j < d; j++) {
                    sd[j] += (x[i][j] - mean[j]) * (x[i][j] - mean[j]) / n;
                    max[j] = Math.max(max[j], Math.abs(x[i][j]));
                }
            }
        }
        List<Integer> cols = new ArrayList<>();
        for (int j = 0; j < d; j++) {
            if ((use == null || use[j]) && sd[j] > 0) {
                cols.add(j);
            }
        }
        String[] names = new String[cols.size()];
        for (int k = 0; k < names.length; k++) {
            names[k] = String.format(java.util.Locale.ROOT, "f%06d", cols.get(k));
        }
        LabelFactory factory = new LabelFactory();
        MutableDataset<Label> trainSet = new MutableDataset<>(new SimpleDataSourceProvenance("probe-train", OffsetDateTime.now(), factory), factory);
        MutableDataset<Label> testSet = new MutableDataset<>(new SimpleDataSourceProvenance("probe-test", OffsetDateTime.now(), factory), factory);
        for (int i = 0; i < x.length; i++) {
            double[] v = new double[names.length];
            for (int k = 0; k < names.length; k++) {
                int j = cols.get(k);
                v[k] = sparse ? x[i][j] / max[j] : (x[i][j] - mean[j]) / Math.sqrt(sd[j]);
            }
            (train[i] ? trainSet : testSet).add(new ArrayExample<>(wrong[i] ? WRONG : RIGHT, names, v));
        }
        Model<Label> model = new LogisticRegressionTrainer().train(trainSet);
        LabelEvaluation eval = new LabelEvaluator().evaluate(model, testSet);
        return eval.AUCROC(WRONG);
    }
}
