package org.tinysql.model;

/**
 * Hook point names, spelled as TransformerLens spells them: {@code HookName.z(1)} is {@code "blocks.1.attn.hook_z"}.
 * The one place that knows the spelling; {@link HookPoints} lists which names a model has and their shapes.
 */
public final class HookName {
    /** The token embedding [B,T,C] ({@code hook_embed}). */
    public static final String EMBED = "hook_embed";
    /** The learned position embedding [B,T,C] ({@code hook_pos_embed}); rotary models have none. */
    public static final String POS_EMBED = "hook_pos_embed";
    /** The final norm's scale [B,T,1] ({@code ln_final.hook_scale}). */
    public static final String LN_FINAL_SCALE = "ln_final.hook_scale";
    /** The final norm's output [B,T,C] before the unembedding ({@code ln_final.hook_normalized}). */
    public static final String LN_FINAL_NORMALIZED = "ln_final.hook_normalized";

    private HookName() {
    }

    /**
     * The name prefix of block {@code layer}: {@code "blocks.{layer}."}.
     * @param layer the block index, 0 to L-1
     * @return the prefix, e.g. {@code blocks.0.}
     */
    public static String block(int layer) {
        return "blocks." + layer + ".";
    }

    /**
     * The residual stream entering the block [B,T,C]: {@code blocks.{layer}.hook_resid_pre}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String residPre(int layer) {
        return block(layer) + "hook_resid_pre";
    }

    /**
     * The residual stream between attention and MLP [B,T,C]: {@code blocks.{layer}.hook_resid_mid}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String residMid(int layer) {
        return block(layer) + "hook_resid_mid";
    }

    /**
     * The residual stream leaving the block [B,T,C]: {@code blocks.{layer}.hook_resid_post}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String residPost(int layer) {
        return block(layer) + "hook_resid_post";
    }

    /**
     * {@code blocks.{layer}.hook_q_input}, {@code hook_k_input} or {@code hook_v_input} for which = "q", "k", "v".
     * @param layer the block index, 0 to L-1
     * @param which "q", "k" or "v"
     * @return the hook name
     */
    public static String qkvInput(int layer, String which) {
        return block(layer) + "hook_" + which + "_input";
    }

    /**
     * The attention's query input per head [B,T,H,C]: {@code blocks.{layer}.hook_q_input}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String qInput(int layer) {
        return qkvInput(layer, "q");
    }

    /**
     * The attention's key input per key/value head [B,T,KV,C]: {@code blocks.{layer}.hook_k_input}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String kInput(int layer) {
        return qkvInput(layer, "k");
    }

    /**
     * The attention's value input per key/value head [B,T,KV,C]: {@code blocks.{layer}.hook_v_input}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String vInput(int layer) {
        return qkvInput(layer, "v");
    }

    /**
     * {@code blocks.{layer}.{norm}.hook_scale} for norm = "ln1" or "ln2".
     * @param layer the block index, 0 to L-1
     * @param norm "ln1" (before attention) or "ln2" (before the MLP)
     * @return the hook name of the norm's scale [B,T,1]
     */
    public static String scale(int layer, String norm) {
        return block(layer) + norm + ".hook_scale";
    }

    /**
     * {@code blocks.{layer}.{norm}.hook_normalized} for norm = "ln1" or "ln2".
     * @param layer the block index, 0 to L-1
     * @param norm "ln1" (before attention) or "ln2" (before the MLP)
     * @return the hook name of the norm's output [B,T,C]
     */
    public static String normalized(int layer, String norm) {
        return block(layer) + norm + ".hook_normalized";
    }

    /**
     * {@code blocks.{layer}.attn.hook_q}, {@code hook_k} or {@code hook_v} for which = "q", "k", "v".
     * @param layer the block index, 0 to L-1
     * @param which "q", "k" or "v"
     * @return the hook name
     */
    public static String qkv(int layer, String which) {
        return block(layer) + "attn.hook_" + which;
    }

    /**
     * The queries [B,T,H,D], before any rotary embedding: {@code blocks.{layer}.attn.hook_q}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String q(int layer) {
        return block(layer) + "attn.hook_q";
    }

    /**
     * The keys [B,T,KV,D], before any rotary embedding: {@code blocks.{layer}.attn.hook_k}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String k(int layer) {
        return block(layer) + "attn.hook_k";
    }

    /**
     * The values [B,T,KV,D]: {@code blocks.{layer}.attn.hook_v}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String v(int layer) {
        return block(layer) + "attn.hook_v";
    }

    /**
     * The rotated queries [B,T,H,D] (rotary models only): {@code blocks.{layer}.attn.hook_rot_q}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String rotQ(int layer) {
        return block(layer) + "attn.hook_rot_q";
    }

    /**
     * The rotated keys [B,T,KV,D] (rotary models only): {@code blocks.{layer}.attn.hook_rot_k}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String rotK(int layer) {
        return block(layer) + "attn.hook_rot_k";
    }

    /**
     * The masked, scaled attention scores [B,H,T,T]: {@code blocks.{layer}.attn.hook_attn_scores}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String attnScores(int layer) {
        return block(layer) + "attn.hook_attn_scores";
    }

    /**
     * The attention pattern (softmax of the scores) [B,H,T,T]: {@code blocks.{layer}.attn.hook_pattern}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String pattern(int layer) {
        return block(layer) + "attn.hook_pattern";
    }

    /**
     * Whether {@code name} is an attention array [B,H,T,T] (scores or pattern) of some layer: the arrays a pass computes
     * only on its attention tiles when nobody reads them.
     * @param name a hook point name
     * @return true for {@code blocks.{l}.attn.hook_attn_scores} and {@code blocks.{l}.attn.hook_pattern}
     */
    public static boolean isAttentionArray(String name) {
        return name.startsWith("blocks.") && (name.endsWith(".attn.hook_attn_scores") || name.endsWith(".attn.hook_pattern"));
    }

    /**
     * The pattern-weighted values per head [B,T,H,D]: {@code blocks.{layer}.attn.hook_z}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String z(int layer) {
        return block(layer) + "attn.hook_z";
    }

    /**
     * Per-head attention outputs [B,T,H,C].
     * @param layer the block index, 0 to L-1
     * @return the hook name {@code blocks.{layer}.attn.hook_result}
     */
    public static String result(int layer) {
        return block(layer) + "attn.hook_result";
    }

    /**
     * The attention block's output added to the residual stream [B,T,C]: {@code blocks.{layer}.hook_attn_out}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String attnOut(int layer) {
        return block(layer) + "hook_attn_out";
    }

    /**
     * The MLP's input [B,T,C], before ln2: {@code blocks.{layer}.hook_mlp_in}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String mlpIn(int layer) {
        return block(layer) + "hook_mlp_in";
    }

    /**
     * The MLP's hidden pre-activation [B,T,M] (the gate projection for SwiGLU): {@code blocks.{layer}.mlp.hook_pre}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String mlpPre(int layer) {
        return block(layer) + "mlp.hook_pre";
    }

    /**
     * The MLP's up projection [B,T,M] (SwiGLU only): {@code blocks.{layer}.mlp.hook_pre_linear}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String mlpPreLinear(int layer) {
        return block(layer) + "mlp.hook_pre_linear";
    }

    /**
     * The MLP's hidden activation [B,T,M]: {@code blocks.{layer}.mlp.hook_post}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String mlpPost(int layer) {
        return block(layer) + "mlp.hook_post";
    }

    /**
     * The MLP's output added to the residual stream [B,T,C]: {@code blocks.{layer}.hook_mlp_out}.
     * @param layer the block index, 0 to L-1
     * @return the hook name
     */
    public static String mlpOut(int layer) {
        return block(layer) + "hook_mlp_out";
    }

    /**
     * The block of a {@code blocks.{i}.} name, or -1 for names outside the blocks (embeddings, ln_final, logits).
     * @param name a hook or parameter name
     * @return the block index, or -1
     */
    public static int layerOf(String name) {
        if (!name.startsWith("blocks.")) {
            return -1;
        }
        int dot = name.indexOf('.', 7);
        try {
            return Integer.parseInt(name.substring(7, dot < 0 ? name.length() : dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
