package org.tinysql.interp.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.interp.HeadName;
import org.tinysql.interp.ModelView;
import org.tinysql.model.HookName;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;

/**
 * Analysis of one forward pass's activation cache (TransformerLens ActivationCache style): accumulated residual
 * stream per layer, the residual decomposed into the embeddings, every head, every attention bias and every MLP,
 * per-head results, and direct logit attribution through the final norm with its scale frozen at the cached value.
 *
 * <p>Shape legend: B batch, T positions, L layers, H heads, C d_model.
 */
public final class CacheAnalysis {
    private final ModelView mv;
    private final ModelConfig cfg;
    private final Map<String, INDArray> cache;
    private final int B;
    private final int T;

    /**
     * A residual-stream component at one position: its label and vector [C].
     *
     * @param label  the component's name, e.g. {@code embed}, {@code a3.h1} or {@code m2}
     * @param vector [C] its contribution to the residual stream
     */
    public record Component(String label, float[] vector) {
    }

    private CacheAnalysis(Transformer model, Map<String, INDArray> cache, int b, int t) {
        this.mv = new ModelView(model);
        this.cfg = model.config();
        this.cache = cache;
        this.B = b;
        this.T = t;
    }

    /**
     * Runs the model once, caching what the analyses need (resid streams, hook_z, attention and MLP outputs).
     *
     * @param model  the model
     * @param tokens [B][T] token ids
     * @param mask   [B][T] 1 for real tokens, 0 for padding
     * @return the analysis of that run
     */
    public static CacheAnalysis run(Transformer model, int[][] tokens, int[][] mask) {
        Map<String, INDArray> c = model.runWithCache(tokens, mask, n -> n.endsWith("hook_resid_pre") || n.endsWith("hook_resid_post")
                || n.endsWith("attn.hook_z") || n.endsWith("hook_mlp_out") || n.endsWith("hook_attn_out")
                || n.equals("hook_embed") || n.equals("hook_pos_embed") || n.endsWith("attn.hook_pattern"));
        return new CacheAnalysis(model, c, tokens.length, tokens[0].length);
    }

    /**
     * The cached activations by TransformerLens hook name (e.g. {@code blocks.0.hook_resid_pre}).
     *
     * @return the cache, not a copy
     */
    public Map<String, INDArray> cache() {
        return cache;
    }

    private float[] row(String hook, int b, int t) {
        INDArray a = cache.get(hook);
        if (a == null) {
            throw new IllegalArgumentException("activation '" + hook + "' is not in the cache");
        }
        float[] out = new float[cfg.dModel()];
        Buffers.fb(a).get((b * T + t) * cfg.dModel(), out);
        return out;
    }

    /**
     * Labels of {@link #accumulatedResid}: "0_pre", ..., "{L-1}_pre", "final_post".
     *
     * @return L+1 labels
     */
    public List<String> accumulatedLabels() {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < cfg.nLayers(); i++) {
            l.add(i + "_pre");
        }
        l.add("final_post");
        return l;
    }

    /**
     * The residual stream at (b, t) before each layer and after the last: [L+1][C].
     *
     * @param b the batch row, 0..B-1
     * @param t the position, 0..T-1
     * @return [L+1][C] new host arrays
     */
    public float[][] accumulatedResid(int b, int t) {
        int L = cfg.nLayers();
        float[][] out = new float[L + 1][];
        for (int i = 0; i < L; i++) {
            out[i] = row(HookName.residPre(i), b, t);
        }
        out[L] = row(HookName.residPost(L - 1), b, t);
        return out;
    }

    /**
     * Per-head results of a layer: [B,T,H,C] as [H][B*T*C] (computed on the backend, read back once).
     *
     * @param layer the block index, 0-based
     * @return [H][B*T*C] new host arrays, row-major over (b, t, c)
     */
    public float[][] headResults(int layer) {
        int n = B * T, c = cfg.dModel(), nh = cfg.nHeads();
        float[] all;
        try (Arena tmp = new Arena(mv.kernels())) {
            all = Buffers.toFloats(mv.model().ops().headResults(layer, z(layer), tmp));
        }
        float[][] out = new float[nh][n * c];
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < nh; h++) {
                System.arraycopy(all, (r * nh + h) * c, out[h], r * c, c);
            }
        }
        return out;
    }

    /** hook_z of a layer as [B*T, H*D]. */
    private INDArray z(int layer) {
        return cache.get(HookName.z(layer)).reshape('c', (long) B * T, (long) cfg.nHeads() * cfg.headDim());
    }

    /** Each head's output at (b, t) of a layer: [H][C] (only that row is computed and read back). */
    private float[][] headResultsAt(int layer, int b, int t) {
        int c = cfg.dModel(), nh = cfg.nHeads();
        float[] all;
        try (Arena tmp = new Arena(mv.kernels())) {
            INDArray z = tmp.zeros(1, (long) nh * cfg.headDim());
            mv.kernels().gatherRows(z(layer), new int[] {b * T + t}, z);
            all = Buffers.toFloats(mv.model().ops().headResults(layer, z, tmp));
        }
        float[][] out = new float[nh][];
        for (int h = 0; h < nh; h++) {
            out[h] = java.util.Arrays.copyOfRange(all, h * c, (h + 1) * c);
        }
        return out;
    }

    /**
     * The final residual at (b, t) as a sum of components: "embed", "pos_embed" (GPT), per layer each head
     * "a{l}.h{h}", the attention output bias "a{l}.bias" (when the model has one) and "m{l}". They add up to the
     * final residual exactly (up to float rounding).
     *
     * @param b the batch row, 0..B-1
     * @param t the position, 0..T-1
     * @return the components in that order
     */
    public List<Component> decompose(int b, int t) {
        List<Component> out = new ArrayList<>();
        out.add(new Component("embed", row(HookName.EMBED, b, t)));
        if (cfg.positions() == ModelConfig.Positions.LEARNED) {
            out.add(new Component("pos_embed", row(HookName.POS_EMBED, b, t)));
        }
        for (int l = 0; l < cfg.nLayers(); l++) {
            float[][] heads = headResultsAt(l, b, t);
            for (int h = 0; h < cfg.nHeads(); h++) {
                out.add(new Component(HeadName.of(l, h), heads[h]));
            }
            INDArray bias = mv.parameters().opt(HookName.block(l) + "attn.b_O");
            if (bias != null) {
                out.add(new Component("a" + l + ".bias", Buffers.toFloats(bias)));
            }
            out.add(new Component("m" + l, row(HookName.mlpOut(l), b, t)));
        }
        return out;
    }

    /**
     * Direct logit attribution at (b, t) along {@code direction} [C] (e.g. W_U[clean] - W_U[corrupt]): each of
     * {@link #decompose}'s components' contribution through the final norm, with the norm's scale frozen at its
     * value on the full residual. The last entry, "ln_final.bias", is the norm's bias term; all entries sum to the
     * final normed residual's dot product with the direction (the logit difference).
     *
     * @param b         the batch row, 0..B-1
     * @param t         the position, 0..T-1
     * @param direction [C] the unembedding direction
     * @return one attribution per component of {@link #decompose}, then the bias term (0 without a bias)
     */
    public double[] directLogitAttribution(int b, int t, float[] direction) {
        List<Component> comps = decompose(b, t);
        float[] resid = row(HookName.residPost(cfg.nLayers() - 1), b, t);
        int C = cfg.dModel();
        List<float[]> stack = new ArrayList<>();
        comps.forEach(c -> stack.add(c.vector()));
        double[][] normed = mv.model().ops().applyLnToStack("ln_final", stack, resid);
        float[] w = Buffers.toFloats(mv.parameters().get("ln_final.w"));
        double[] out = new double[comps.size() + 1];
        for (int i = 0; i < comps.size(); i++) {
            double s = 0;
            for (int c = 0; c < C; c++) {
                s += normed[i][c] * w[c] * direction[c];
            }
            out[i] = s;
        }
        INDArray bias = mv.parameters().opt("ln_final.b");
        if (bias != null) {
            float[] bb = Buffers.toFloats(bias);
            double s = 0;
            for (int c = 0; c < C; c++) {
                s += bb[c] * direction[c];
            }
            out[comps.size()] = s;
        }
        return out;
    }

    /**
     * Labels of {@link #directLogitAttribution}'s entries.
     *
     * @param b the batch row, 0..B-1
     * @param t the position, 0..T-1
     * @return the component labels, then {@code ln_final.bias}
     */
    public List<String> dlaLabels(int b, int t) {
        List<String> l = new ArrayList<>();
        for (Component c : decompose(b, t)) {
            l.add(c.label());
        }
        l.add("ln_final.bias");
        return l;
    }

    /**
     * W_U[clean] - W_U[corrupt]: the logit-difference direction.
     *
     * @param cleanToken   the clean answer's token id
     * @param corruptToken the corrupt answer's token id
     * @return [C] a new array
     */
    public float[] logitDiffDirection(int cleanToken, int corruptToken) {
        float[] a = mv.unembedRow(cleanToken);
        float[] c = mv.unembedRow(corruptToken);
        for (int i = 0; i < a.length; i++) {
            a[i] -= c[i];
        }
        return a;
    }

    /**
     * The attention pattern of (layer, head) for row b: [T][T].
     *
     * @param layer the block index, 0-based
     * @param head  the head, 0..H-1
     * @param b     the batch row, 0..B-1
     * @return [T][T] attention probabilities, query position first
     */
    public float[][] pattern(int layer, int head, int b) {
        INDArray p = cache.get(HookName.pattern(layer));
        float[][] out = new float[T][T];
        for (int i = 0; i < T; i++) {
            Buffers.fb(p).get(((b * cfg.nHeads() + head) * T + i) * T, out[i]);
        }
        return out;
    }

    /**
     * Logits [V] of the final norm + unembedding applied to one residual vector [C] (its own norm statistics).
     *
     * @param resid [C] a residual-stream vector
     * @return [V] new host array of logits
     */
    public float[] lens(float[] resid) {
        try (Arena tmp = new Arena(mv.kernels())) {
            INDArray x = tmp.zeros(1, cfg.dModel());
            Buffers.fb(x).put(0, resid);
            INDArray logits = tmp.zeros(1, cfg.vocabSize());
            mv.unembed(x, logits);
            return Buffers.toFloats(logits);
        }
    }
}
