package org.tinysql.interp.study;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.sae.Codes;
import org.tinysql.interp.sae.Sae;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.Generator;
import org.tinysql.model.RunSpec;
import org.tinysql.model.SqlPredictor;
import org.tinysql.model.Transformer;
import org.tinysql.sql.ExactMatch;
import org.tinysql.sql.ScoreResult;
import org.tinysql.sql.Scoring;
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
 * itself. The answer positions are those of the model's own answer (the last prompt token and every generated token, run
 * again as one sequence), never the gold SQL's: the features only hold what the model had when it
 * answered. A logistic regression (Tribuo, z-scored features) is trained on 70% of the
 * prompts (stratified) and its AUROC for "wrong" measured on the other 30%.
 */
public final class ErrorProbe {
    /** The fewest wrong and right predictions each for a probe. */
    public static final int MIN_PER_CLASS = 20;
    /** Sequences per forward pass when pooling features. */
    static final int POOL_BATCH = 32;
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
     * Decodes, scores, pools features and trains both probes.
     *
     * @param model    the model
     * @param tok      its tokenizer
     * @param sae      the SAE on {@code sae.config().hookName()}
     * @param prompts  held-out prompts with gold SQL
     * @param seed     the seed of the train/test split
     * @param progress advanced per prompt decoded and per prompt pooled
     * @return the AUROCs
     */
    public static Probe run(Transformer model, Tokenizer tok, Sae sae, List<TinySqlExample> prompts, long seed, Progress progress) {
        String hook = sae.config().hookName();
        SqlPredictor predictor = new SqlPredictor(model, tok, SqlPredictor.MAX_NEW_TOKENS);
        int pad = Math.max(0, tok.padId());
        List<int[]> promptIds = new ArrayList<>();
        List<int[]> answers = new ArrayList<>();
        for (int from = 0; from < prompts.size(); from += AccuracyMatrix.DECODE_BATCH) {
            List<int[]> part = new ArrayList<>();
            for (TinySqlExample e : prompts.subList(from, Math.min(prompts.size(), from + AccuracyMatrix.DECODE_BATCH))) {
                part.add(predictor.promptIds(e));
            }
            promptIds.addAll(part);
            answers.addAll(Generator.generate(model, part, Generator.Options.greedy(SqlPredictor.MAX_NEW_TOKENS, tok.eosId(), pad)));
            progress.advance(part.size());
        }
        List<String> predicted = answers.stream().map(a -> tok.decode(a).strip()).toList();
        List<ScoreResult> exact = Scoring.scoreAll(Scoring.items(prompts, predicted), List.of(ExactMatch::new), AccuracyMatrix.SCORING_THREADS)
                .values().iterator().next();
        boolean[] wrong = new boolean[prompts.size()];
        int nWrong = 0;
        for (int i = 0; i < wrong.length; i++) {
            wrong[i] = !exact.get(i).correct();
            nWrong += wrong[i] ? 1 : 0;
        }
        if (nWrong < MIN_PER_CLASS || wrong.length - nWrong < MIN_PER_CLASS) {
            return new Probe(hook, prompts.size(), nWrong, 0, Double.NaN, Double.NaN, 0, String.format(java.util.Locale.ROOT,
                    "%d wrong of %d predictions: a probe needs at least %d of each", nWrong, prompts.size(), MIN_PER_CLASS));
        }
        int c = model.config().dModel();
        int s = sae.config().dSae();
        float[][] resid = new float[prompts.size()][];
        float[][] latents = new float[prompts.size()][];
        for (int from = 0; from < prompts.size(); from += POOL_BATCH) {
            int to = Math.min(prompts.size(), from + POOL_BATCH);
            pool(model, promptIds, answers, from, to, hook, sae, resid, latents);
            progress.advance(to - from);
        }
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
        return new Probe(hook, prompts.size(), nWrong, test, auroc(latents, used, wrong, train, true),
                auroc(resid, null, wrong, train, false),
                saeFeatures, null);
    }

    /**
     * Mean over the answer positions of the residual and of the latents, for rows [from, to) in one right-padded batch
     * (padding after a sequence changes none of its positions): each prompt and the model's answer run as one sequence,
     * positions from the last prompt token to the last answer token (where each answer token, and the end of the answer,
     * was chosen), cut to the model's context.
     */
    static void pool(Transformer model, List<int[]> prompts, List<int[]> answers, int from, int to, String hook, Sae sae,
                             float[][] resid, float[][] latents) {
        int b = to - from;
        int max = model.config().maxSequenceLength();
        int[] len = new int[b];
        int t = 1;
        for (int i = 0; i < b; i++) {
            len[i] = Math.min(prompts.get(from + i).length + answers.get(from + i).length, max);
            t = Math.max(t, len[i]);
        }
        int[][] ids = new int[b][t];
        int[][] mask = new int[b][t];
        for (int i = 0; i < b; i++) {
            int[] prompt = prompts.get(from + i);
            int[] answer = answers.get(from + i);
            for (int p = 0; p < len[i]; p++) {
                ids[i][p] = p < prompt.length ? prompt[p] : answer[p - prompt.length];
                mask[i][p] = 1;
            }
        }
        int c = model.config().dModel();
        int s = sae.config().dSae();
        float[] x = new float[b * t * c];
        Codes z;
        try (ActivationCache cache = model.run(RunSpec.of(ids, mask).cache(hook).logitRows(new int[0]))) {
            INDArray act = cache.get(hook).reshape('c', (long) b * t, c);
            model.kernels().read(act, x);
            z = sae.encode(act);
        }
        for (int i = 0; i < b; i++) {
            int first = Math.min(prompts.get(from + i).length, len[i]) - 1;
            int n = len[i] - first;
            float[] r = new float[c];
            float[] l = new float[s];
            for (int p = first; p < len[i]; p++) {
                int row = i * t + p;
                for (int k = 0; k < c; k++) {
                    r[k] += x[row * c + k] / n;
                }
                for (int e = z.start[row]; e < z.start[row + 1]; e++) {
                    l[z.idx[e]] += z.val[e] / n;
                }
            }
            resid[from + i] = r;
            latents[from + i] = l;
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
