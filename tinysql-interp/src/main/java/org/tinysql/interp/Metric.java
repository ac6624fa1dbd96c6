package org.tinysql.interp;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.model.ActivationCache;
import org.tinysql.tensor.Arena;

/**
 * A scalar metric of a batch's answer-position logits, with its gradient. Values are means over the batch rows.
 * Each row's logits are taken at its answer position {@code pos[b]}.
 */
public interface Metric {

    /**
     * The metric of answer logits [B][V].
     *
     * @param answerLogits [B][V] each row's logits at its answer position
     * @param batch        the batch, for its clean and corrupt answer tokens
     * @return the mean over the B rows
     */
    double value(float[][] answerLogits, PatchBatch batch);

    /**
     * d(metric)/d(answer logits) [B][V].
     *
     * @param answerLogits [B][V] each row's logits at its answer position
     * @param batch        the batch, for its clean and corrupt answer tokens
     * @return [B][V] the gradient of {@link #value} (a mean, so each row is scaled by 1/B)
     */
    float[][] gradient(float[][] answerLogits, PatchBatch batch);

    /** The metrics this library offers. */
    enum Kind {
        /** Mean of logit[clean answer] - logit[corrupt answer]. */
        LOGIT_DIFF,
        /** Mean of p(clean answer) - p(corrupt answer). */
        PROB_DIFF,
        /** Mean KL(clean run's answer distribution || this run's); 0 on the clean run, lower is more clean-like. */
        KL;

        /**
         * Parses {@code logit-diff}, {@code prob-diff} or {@code kl}, any case, {@code -} or {@code _}.
         *
         * @param s the name
         * @return the kind
         * @throws IllegalArgumentException if {@code s} names no kind
         */
        public static Kind parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown metric '" + s + "'; expected logit-diff, prob-diff or kl");
            }
        }
    }

    /**
     * A metric of the given kind; KL needs the clean run's answer logits (ignored by the others).
     *
     * @param kind              the metric's kind
     * @param cleanAnswerLogits [B][V] the clean run's answer logits; needed for KL, else may be null
     * @return a new metric
     * @throws IllegalArgumentException if {@code kind} is KL and {@code cleanAnswerLogits} is null
     */
    static Metric of(Kind kind, float[][] cleanAnswerLogits) {
        switch (kind) {
            case LOGIT_DIFF:
                return new LogitDiff();
            case PROB_DIFF:
                return new ProbDiff();
            default:
                if (cleanAnswerLogits == null) {
                    throw new IllegalArgumentException("the KL metric needs the clean run's logits");
                }
                return new Kl(cleanAnswerLogits);
        }
    }

    /**
     * Rows {@code pos[b]} of logits [B,T,V] as [B][V].
     *
     * @param logits [B, T, V] a run's logits
     * @param batch  the batch, for its answer positions
     * @return [B][V] a new host array
     */
    static float[][] answerLogits(INDArray logits, PatchBatch batch) {
        long[] s = logits.shape();
        int t = (int) s[1];
        int v = (int) s[2];
        INDArray c = logits.ordering() == 'c' ? logits : logits.dup('c');
        FloatBuffer f = fb(c);
        float[][] out = new float[batch.size()][v];
        for (int b = 0; b < out.length; b++) {
            f.get((b * t + batch.pos()[b]) * v, out[b]);
        }
        return out;
    }

    /** Whether run {@code c} computed logits of exactly the batch's answer rows (RunSpec.logitRows(batch.answerRows())). */
    private static boolean answerRowsOnly(ActivationCache c, PatchBatch batch) {
        int[] rows = c.logitRows();
        return rows != null && Arrays.equals(rows, batch.answerRows());
    }

    /**
     * Answer logits [B][V] of a run: read from its row logits when it computed the answer rows only (no [B*T, V]
     * buffer), else from its full logits.
     *
     * @param c     a finished forward run of the batch
     * @param batch the batch, for its answer positions
     * @return [B][V] a new host array
     */
    static float[][] answerLogits(ActivationCache c, PatchBatch batch) {
        if (!answerRowsOnly(c, batch)) {
            return answerLogits(c.logits(), batch);
        }
        INDArray r = c.rowLogits();
        FloatBuffer f = fb(r);
        int v = (int) r.size(1);
        float[][] out = new float[batch.size()][v];
        for (int b = 0; b < out.length; b++) {
            f.get(b * v, out[b]);
        }
        return out;
    }

    /**
     * Back-propagates an answer-logit gradient {@code g} [B][V] through run {@code c}: as row-logit gradients [B, V]
     * when the run computed the answer rows only, else scattered into a [B, T, V] gradient. Work arrays go to {@code tmp}.
     *
     * @param c     a forward run of the batch that recorded what backward needs
     * @param g     [B][V] the gradient at the answer logits
     * @param batch the batch, for its answer positions
     * @param tmp   owns the gradient array passed to the run
     */
    static void backward(ActivationCache c, float[][] g, PatchBatch batch, Arena tmp) {
        int v = g[0].length;
        if (answerRowsOnly(c, batch)) {
            INDArray d = tmp.zeros(g.length, v);
            FloatBuffer f = fb(d);
            for (int b = 0; b < g.length; b++) {
                f.put(b * v, g[b]);
            }
            c.backwardRows(d);
        } else {
            INDArray d = tmp.zeros(batch.size(), batch.length(), v);
            scatter(g, batch, d);
            c.backward(d);
        }
    }

    /**
     * Writes a [B][V] answer-logit gradient into a [B,T,V] logits gradient (other rows zero).
     *
     * @param g       [B][V] the answer-logit gradient
     * @param batch   the batch, for its answer positions
     * @param dLogits [B, T, V] overwritten: {@code g} at the answer positions, zero elsewhere
     */
    static void scatter(float[][] g, PatchBatch batch, INDArray dLogits) {
        long[] s = dLogits.shape();
        int t = (int) s[1];
        int v = (int) s[2];
        dLogits.assign(0);
        FloatBuffer f = fb(dLogits);
        for (int b = 0; b < g.length; b++) {
            f.put((b * t + batch.pos()[b]) * v, g[b]);
        }
    }

    /** Rejects answer tokens outside the vocabulary of answer logits [B][V] (a tokenizer that does not match the model). */
    private static void checkAnswers(float[][] l, PatchBatch b) {
        for (int i = 0; i < l.length; i++) {
            checkAnswer(i, "clean", b.cleanAnswer()[i], l[i].length);
            checkAnswer(i, "corrupt", b.corruptAnswer()[i], l[i].length);
        }
    }

    private static void checkAnswer(int row, String which, int token, int vocab) {
        if (token < 0 || token >= vocab) {
            throw new IllegalArgumentException("row " + row + ": " + which + " answer token " + token
                    + " is outside the vocabulary [0, " + vocab + ")");
        }
    }

    /**
     * The softmax of one row of logits, computed stably (the maximum subtracted first).
     *
     * @param l [V] the logits
     * @return [V] a new array of probabilities summing to 1
     */
    static float[] softmax(float[] l) {
        float max = Float.NEGATIVE_INFINITY;
        for (float x : l) {
            max = Math.max(max, x);
        }
        double sum = 0;
        float[] p = new float[l.length];
        for (int i = 0; i < l.length; i++) {
            p[i] = (float) Math.exp(l[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < l.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Logit difference. */
    final class LogitDiff implements Metric {
        @Override
        public double value(float[][] l, PatchBatch b) {
            checkAnswers(l, b);
            double s = 0;
            for (int i = 0; i < l.length; i++) {
                s += (double) l[i][b.cleanAnswer()[i]] - l[i][b.corruptAnswer()[i]];
            }
            return s / l.length;
        }

        @Override
        public float[][] gradient(float[][] l, PatchBatch b) {
            checkAnswers(l, b);
            float[][] g = new float[l.length][l[0].length];
            for (int i = 0; i < l.length; i++) {
                g[i][b.cleanAnswer()[i]] += 1f / l.length;
                g[i][b.corruptAnswer()[i]] -= 1f / l.length;
            }
            return g;
        }
    }

    /** Probability difference. */
    final class ProbDiff implements Metric {
        @Override
        public double value(float[][] l, PatchBatch b) {
            checkAnswers(l, b);
            double s = 0;
            for (int i = 0; i < l.length; i++) {
                float[] p = softmax(l[i]);
                s += (double) p[b.cleanAnswer()[i]] - p[b.corruptAnswer()[i]];
            }
            return s / l.length;
        }

        @Override
        public float[][] gradient(float[][] l, PatchBatch b) {
            checkAnswers(l, b);
            float[][] g = new float[l.length][];
            for (int i = 0; i < l.length; i++) {
                float[] p = softmax(l[i]);
                int c = b.cleanAnswer()[i];
                int x = b.corruptAnswer()[i];
                float d = p[c] - p[x];
                // d(p_c - p_x)/dl_j = p_c([j=c] - p_j) - p_x([j=x] - p_j)
                float[] row = new float[p.length];
                for (int j = 0; j < p.length; j++) {
                    row[j] = -d * p[j] / l.length;
                }
                row[c] += p[c] / l.length;
                row[x] -= p[x] / l.length;
                g[i] = row;
            }
            return g;
        }
    }

    /** KL divergence from the clean distribution. */
    final class Kl implements Metric {
        private final float[][] cleanLogProbs;

        Kl(float[][] cleanLogits) {
            cleanLogProbs = new float[cleanLogits.length][];
            for (int i = 0; i < cleanLogits.length; i++) {
                cleanLogProbs[i] = logSoftmax(cleanLogits[i]);
            }
        }

        private static float[] logSoftmax(float[] l) {
            float[] p = softmax(l);
            float[] lp = new float[l.length];
            for (int i = 0; i < l.length; i++) {
                lp[i] = (float) Math.log(Math.max(p[i], 1e-30f));
            }
            return lp;
        }

        private void check(float[][] l) {
            if (l.length != cleanLogProbs.length) {
                throw new IllegalArgumentException("KL metric made for " + cleanLogProbs.length + " rows, got " + l.length);
            }
        }

        @Override
        public double value(float[][] l, PatchBatch b) {
            check(l);
            double s = 0;
            for (int i = 0; i < l.length; i++) {
                float[] lp = logSoftmax(l[i]);
                float[] cp = cleanLogProbs[i];
                for (int j = 0; j < lp.length; j++) {
                    s += Math.exp(cp[j]) * (cp[j] - lp[j]);
                }
            }
            return s / l.length;
        }

        @Override
        public float[][] gradient(float[][] l, PatchBatch b) {
            check(l);
            float[][] g = new float[l.length][];
            for (int i = 0; i < l.length; i++) {
                float[] p = softmax(l[i]);
                float[] cp = cleanLogProbs[i];
                for (int j = 0; j < p.length; j++) {
                    p[j] = (float) ((p[j] - Math.exp(cp[j])) / l.length);
                }
                g[i] = p;
            }
            return g;
        }
    }
}
