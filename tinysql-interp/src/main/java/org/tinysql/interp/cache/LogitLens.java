package org.tinysql.interp.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.ModelView;
import org.tinysql.interp.TokenRole;
import org.tinysql.interp.TokenTagger;
import org.tinysql.model.HookName;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;
import org.tinysql.util.Progress;

/**
 * The logit lens over a dataset: the residual stream before each layer and after the last, put through the final
 * norm and unembedding, scored on the next response token (teacher forcing). Results are grouped by the SQL role of
 * the token being predicted (keyword / table / field / other).
 */
public final class LogitLens {

    /**
     * Per layer (rows: "0_pre" .. "final_post") and role (columns: {@link TokenRole.Sql}): mean probability of the
     * target token, fraction of positions where it is the top-1 token, mean rank (0 = top), and the number of
     * positions per role.
     *
     * @param layers   the L+1 row labels
     * @param meanProb [L+1][roles] mean probability of the target token
     * @param top1     [L+1][roles] share of positions where the target is the top-1 token
     * @param meanRank [L+1][roles] mean number of tokens with a higher logit than the target
     * @param count    [roles] the number of positions scored per role
     */
    public record Table(List<String> layers, double[][] meanProb, double[][] top1, double[][] meanRank, int[] count) {

        /**
         * The table as text: one row per layer, "p / top1" per role.
         *
         * @return the formatted table, a header line first
         */
        public String format() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-11s", "layer"));
            for (TokenRole.Sql r : TokenRole.Sql.values()) {
                sb.append(String.format(Locale.ROOT, " %22s", r.name().toLowerCase(Locale.ROOT) + " p / top1 (n=" + count[r.ordinal()] + ")"));
            }
            sb.append('\n');
            for (int l = 0; l < layers.size(); l++) {
                sb.append(String.format(Locale.ROOT, "%-11s", layers.get(l)));
                for (TokenRole.Sql r : TokenRole.Sql.values()) {
                    sb.append(String.format(Locale.ROOT, " %22s", String.format(Locale.ROOT, "%.3f / %.3f", meanProb[l][r.ordinal()], top1[l][r.ordinal()])));
                }
                sb.append('\n');
            }
            return sb.toString();
        }
    }

    private LogitLens() {
    }

    /** Logits [rows][V] (flat) of the final norm + unembedding at rows {@code rows} of a [1, T, C] residual. */
    private static float[] lensLogits(ModelView mv, INDArray resid, List<Integer> rows) {
        int c = mv.dModel();
        try (Arena tmp = new Arena(mv.kernels())) {
            INDArray x = tmp.zeros(rows.size(), c);
            mv.kernels().gatherRows(resid.reshape('c', resid.length() / c, c), rows.stream().mapToInt(Integer::intValue).toArray(), x);
            INDArray logits = tmp.zeros(rows.size(), mv.config().vocabSize());
            mv.unembed(x, logits);
            return Buffers.toFloats(logits);
        }
    }

    /**
     * Runs the logit lens over examples, one forward pass each.
     *
     * @param model    the model
     * @param tagger   tags each example's tokens with their roles (use the model's tokenizer)
     * @param examples the examples whose response tokens are scored
     * @param progress advanced by one per example
     * @return the table of means over all scored positions
     */
    public static Table run(Transformer model, TokenTagger tagger, List<TinySqlExample> examples, Progress progress) {
        ModelView mv = new ModelView(model);
        int L = model.config().nLayers();
        int V = model.config().vocabSize();
        int R = TokenRole.Sql.values().length;
        double[][] prob = new double[L + 1][R];
        double[][] top = new double[L + 1][R];
        double[][] rank = new double[L + 1][R];
        int[] count = new int[R];
        for (TinySqlExample ex : examples) {
            TokenTagger.Tagged t = tagger.tag(ex);
            int n = t.tokens().length;
            CacheAnalysis ca = CacheAnalysis.run(model, new int[][] {t.tokens()}, null);
            // Positions predicting a response token.
            List<Integer> rows = new ArrayList<>();
            for (int i = Math.max(0, t.responseStart() - 1); i + 1 < n; i++) {
                rows.add(i);
            }
            for (int l = 0; l <= L; l++) {
                String hook = l < L ? HookName.residPre(l) : HookName.residPost(L - 1);
                float[] logits = lensLogits(mv, ca.cache().get(hook), rows);
                for (int r = 0; r < rows.size(); r++) {
                    int target = t.tokens()[rows.get(r) + 1];
                    int role = t.roles()[rows.get(r) + 1].sql().ordinal();
                    int o = r * V;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int v = 0; v < V; v++) {
                        max = Math.max(max, logits[o + v]);
                    }
                    double sum = 0;
                    int above = 0;
                    float lt = logits[o + target];
                    for (int v = 0; v < V; v++) {
                        sum += Math.exp(logits[o + v] - max);
                        if (logits[o + v] > lt) {
                            above++;
                        }
                    }
                    prob[l][role] += Math.exp(lt - max) / sum;
                    top[l][role] += above == 0 ? 1 : 0;
                    rank[l][role] += above;
                    if (l == 0) {
                        count[role]++;
                    }
                }
            }
            progress.advance(1);
        }
        for (int l = 0; l <= L; l++) {
            for (int r = 0; r < R; r++) {
                double c = Math.max(1, count[r]);
                prob[l][r] /= c;
                top[l][r] /= c;
                rank[l][r] /= c;
            }
        }
        List<String> labels = new ArrayList<>();
        for (int l = 0; l < L; l++) {
            labels.add(l + "_pre");
        }
        labels.add("final_post");
        return new Table(labels, prob, top, rank, count);
    }

    /**
     * As the method with a {@code Progress} argument, without progress reporting.
     *
     * @param model    the model
     * @param tagger   tags each example's tokens with their roles (use the model's tokenizer)
     * @param examples the examples whose response tokens are scored
     * @return the table of means over all scored positions
     */
    public static Table run(Transformer model, TokenTagger tagger, List<TinySqlExample> examples) {
        return run(model, tagger, examples, Progress.NONE);
    }

}
