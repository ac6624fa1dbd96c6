package org.tinysql.interp.study;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.TokenRole;
import org.tinysql.interp.TokenTagger;
import org.tinysql.interp.cache.LogitLens;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.Progress;

/**
 * Analysis 5: the logit lens by SQL role. The residual stream before each layer and after the last, read through the
 * final norm and unembedding with teacher forcing on the model's own test prompts: per role (keyword, table, field,
 * other) the top-1 rate and mean probability of the next response token, and the first layer where it is top-1 on at
 * least half of the positions.
 */
public final class LensStudy {
    /** The top-1 rate at which a role counts as resolved. */
    public static final double RESOLVED = 0.5;

    private LensStudy() {
    }

    /**
     * The lens of one model.
     *
     * @param layers     the residual-stream points, e.g. {@code blocks.0.hook_resid_pre} ... {@code ln_final}
     * @param roles      the SQL roles, lower case
     * @param top1       [layer][role] top-1 rate
     * @param meanProb   [layer][role] mean probability of the target token
     * @param counts     [role] positions scored
     * @param resolvedAt per role, the index into {@code layers} where the top-1 rate first reaches {@value #RESOLVED},
     *                   or -1 when it never does
     */
    public record Lens(List<String> layers, List<String> roles, double[][] top1, double[][] meanProb, int[] counts,
                       Map<String, Integer> resolvedAt) {
    }

    /**
     * Runs the lens.
     *
     * @param model    the model
     * @param tok      its tokenizer
     * @param prompts  the prompts with gold SQL
     * @param progress advanced per prompt
     * @return the lens
     */
    public static Lens run(Transformer model, Tokenizer tok, List<TinySqlExample> prompts, Progress progress) {
        LogitLens.Table t = LogitLens.run(model, new TokenTagger(tok), prompts, progress);
        List<String> roles = new ArrayList<>();
        Map<String, Integer> resolved = new LinkedHashMap<>();
        for (TokenRole.Sql r : TokenRole.Sql.values()) {
            String name = r.name().toLowerCase(Locale.ROOT);
            roles.add(name);
            int at = -1;
            for (int l = 0; l < t.layers().size() && at < 0; l++) {
                if (t.count()[r.ordinal()] > 0 && t.top1()[l][r.ordinal()] >= RESOLVED) {
                    at = l;
                }
            }
            resolved.put(name, at);
        }
        return new Lens(t.layers(), roles, t.top1(), t.meanProb(), t.count(), resolved);
    }
}
