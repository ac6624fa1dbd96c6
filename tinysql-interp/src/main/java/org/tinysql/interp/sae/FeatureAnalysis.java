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

    /** One activating token. */
    public record TokenActivation(int example, int position, String token, TokenRole role, float value, String context) {
    }

    /** A latent's summary. */
    public record Feature(int latent, int fires, double meanActivation, List<TokenActivation> top, Map<TokenRole, Double> roleShare) {
        /** The role with the largest share of this latent's activation. */
        public TokenRole dominantRole() {
            return roleShare.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
        }
    }

    /** A latent's specificity for a role. */
    public record Specific(int latent, double share, double recall, double score) {
    }

    /** The analysis over a set of examples. */
    public record Result(List<Feature> features, Map<TokenRole, List<Specific>> byRole, Map<TokenRole, Integer> roleCounts, int tokens) {

        /** The latents with the most firings (alive ones first). */
        public List<Feature> mostActive(int n) {
            List<Feature> l = new ArrayList<>(features);
            l.sort(Comparator.comparingInt(Feature::fires).reversed());
            return l.subList(0, Math.min(n, l.size()));
        }
    }

    private FeatureAnalysis() {
    }

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
