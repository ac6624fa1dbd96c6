package org.tinysql.interp.sae;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.TokenRole;
import org.tinysql.interp.TokenTagger;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.RunSpec;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.Progress;

/**
 * What SAE latents respond to on TinySQL texts: each latent's top-activating tokens (with context), how its activation
 * splits over token roles, and per role the latents most specific to it. Specificity of latent j for role R:
 * share = (j's activation mass on R tokens) / (j's total mass), recall = fraction of R tokens on which j fires;
 * latents are ranked per role by share x recall (at least {@code minFires} firings).
 */
public final class FeatureAnalysis {

    /**
     * One activating token.
     *
     * @param example  the example's index in the analysed list
     * @param position the token's position in the example's tokens
     * @param token    the token's decoded text
     * @param role     the token's role
     * @param value    the latent's activation there
     * @param context  up to 8 tokens before and 2 after, the token itself in {@code [[...]]}
     */
    public record TokenActivation(int example, int position, String token, TokenRole role, float value, String context) {
    }

    /**
     * A latent's summary.
     *
     * @param latent         the latent's index, 0..dSae-1
     * @param fires          on how many tokens it is active
     * @param meanActivation its mean activation over those tokens, 0 if none
     * @param top            its top-activating tokens, highest first
     * @param roleShare      its activation mass per role over its total mass; roles without mass are absent
     */
    public record Feature(int latent, int fires, double meanActivation, List<TokenActivation> top, Map<TokenRole, Double> roleShare) {
        /**
         * The role with the largest share of this latent's activation.
         *
         * @return the role, or {@code null} for a latent that never fires
         */
        public TokenRole dominantRole() {
            return roleShare.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
        }
    }

    /**
     * A latent's specificity for a role.
     *
     * @param latent the latent's index
     * @param share  its activation mass on the role over its total mass
     * @param recall the fraction of the role's tokens on which it fires
     * @param score  share x recall, the ranking key
     */
    public record Specific(int latent, double share, double recall, double score) {
    }

    /**
     * The analysis over a set of examples.
     *
     * @param features   every latent's summary, by latent index
     * @param byRole     per role, the most specific latents, best first
     * @param roleCounts per role, the number of tokens analysed
     * @param tokens     the total number of tokens analysed
     */
    public record Result(List<Feature> features, Map<TokenRole, List<Specific>> byRole, Map<TokenRole, Integer> roleCounts, int tokens) {

        /**
         * The latents with the most firings (alive ones first).
         *
         * @param n the number wanted
         * @return at most n features, most firings first
         */
        public List<Feature> mostActive(int n) {
            List<Feature> l = new ArrayList<>(features);
            l.sort(Comparator.comparingInt(Feature::fires).reversed());
            return l.subList(0, Math.min(n, l.size()));
        }
    }

    private FeatureAnalysis() {
    }

    /**
     * Encodes every example's activations at {@code hook} with the SAE, one forward pass each.
     *
     * @param model         the model
     * @param tok           the model's tokenizer
     * @param sae           the SAE trained on {@code hook}
     * @param hook          the hook name whose activations the SAE reads, e.g. {@code blocks.1.hook_resid_post}
     * @param examples      the examples; texts longer than the model's context are cut
     * @param topPerFeature top-activating tokens kept per latent
     * @param minFires      fewest firings for a latent to be ranked for a role
     * @param perRole       latents kept per role
     * @param progress      advanced by one per example
     * @return the analysis
     */
    public static Result run(Transformer model, Tokenizer tok, Sae sae, String hook, List<TinySqlExample> examples, int topPerFeature,
                             int minFires, int perRole, Progress progress) {
        int S = sae.cfg.dSae();
        TokenTagger tagger = new TokenTagger(tok);
        List<PriorityQueue<TokenActivation>> tops = new ArrayList<>(S);
        for (int j = 0; j < S; j++) {
            tops.add(new PriorityQueue<>(Comparator.comparingDouble(TokenActivation::value)));
        }
        int R = TokenRole.values().length;
        double[][] mass = new double[S][R];
        int[][] fires = new int[S][R];
        int[] roleCount = new int[R];
        int tokens = 0;
        for (int ex = 0; ex < examples.size(); ex++) {
            TokenTagger.Tagged t = tagger.tag(examples.get(ex));
            int[] ids = t.tokens();
            if (ids.length > model.config().maxSequenceLength()) {
                ids = java.util.Arrays.copyOf(ids, model.config().maxSequenceLength());
            }
            int n = ids.length;
            Codes z;
            try (ActivationCache c = model.run(RunSpec.of(new int[][] {ids}, null).cache(hook).logitRows(new int[0]))) {
                z = sae.encode(c.get(hook)); // the codes (about k per token) are the result read back
            }
            String[] strs = new String[n];
            for (int i = 0; i < n; i++) {
                strs[i] = tok.decode(new int[] {ids[i]});
            }
            for (int i = 0; i < n; i++) {
                roleCount[t.roles()[i].ordinal()]++;
            }
            tokens += n;
            for (int r = 0; r < n; r++) {
                TokenRole role = t.roles()[r];
                for (int e = z.start[r]; e < z.start[r + 1]; e++) {
                    int j = z.idx[e];
                    float v = z.val[e];
                    mass[j][role.ordinal()] += v;
                    fires[j][role.ordinal()]++;
                    PriorityQueue<TokenActivation> q = tops.get(j);
                    if (q.size() < topPerFeature || v > q.peek().value()) {
                        q.add(new TokenActivation(ex, r, strs[r], role, v, context(strs, r, 8)));
                        if (q.size() > topPerFeature) {
                            q.poll();
                        }
                    }
                }
            }
            progress.advance(1);
        }
        List<Feature> features = new ArrayList<>(S);
        for (int j = 0; j < S; j++) {
            double total = 0;
            int f = 0;
            for (int r = 0; r < R; r++) {
                total += mass[j][r];
                f += fires[j][r];
            }
            Map<TokenRole, Double> share = new EnumMap<>(TokenRole.class);
            for (TokenRole role : TokenRole.values()) {
                if (mass[j][role.ordinal()] > 0) {
                    share.put(role, mass[j][role.ordinal()] / total);
                }
            }
            List<TokenActivation> top = new ArrayList<>(tops.get(j));
            top.sort(Comparator.comparingDouble(TokenActivation::value).reversed());
            features.add(new Feature(j, f, f > 0 ? total / f : 0, top, share));
        }
        Map<TokenRole, List<Specific>> byRole = new EnumMap<>(TokenRole.class);
        Map<TokenRole, Integer> counts = new EnumMap<>(TokenRole.class);
        for (TokenRole role : TokenRole.values()) {
            counts.put(role, roleCount[role.ordinal()]);
            List<Specific> l = new ArrayList<>();
            for (int j = 0; j < S; j++) {
                Feature f = features.get(j);
                if (f.fires() < minFires || roleCount[role.ordinal()] == 0) {
                    continue;
                }
                double sh = f.roleShare().getOrDefault(role, 0.0);
                double rec = fires[j][role.ordinal()] / (double) roleCount[role.ordinal()];
                if (sh > 0) {
                    l.add(new Specific(j, sh, rec, sh * rec));
                }
            }
            l.sort(Comparator.comparingDouble(Specific::score).reversed());
            byRole.put(role, l.subList(0, Math.min(perRole, l.size())));
        }
        return new Result(features, byRole, counts, tokens);
    }

    /** Tokens around position p with the token itself in [[...]]. */
    static String context(String[] toks, int p, int window) {
        StringBuilder sb = new StringBuilder();
        for (int i = Math.max(0, p - window); i <= Math.min(toks.length - 1, p + 2); i++) {
            sb.append(i == p ? "[[" + toks[i] + "]]" : toks[i]);
        }
        return sb.toString();
    }
}
