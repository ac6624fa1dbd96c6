package org.tinysql.model;

/**
 * Hook point names, spelled as TransformerLens spells them: {@code HookName.z(1)} is {@code "blocks.1.attn.hook_z"}.
 * The one place that knows the spelling; {@link HookPoints} lists which names a model has and their shapes.
 */
public final class HookName {
    public static final String EMBED = "hook_embed";
    public static final String POS_EMBED = "hook_pos_embed";
    public static final String LN_FINAL_SCALE = "ln_final.hook_scale";
    public static final String LN_FINAL_NORMALIZED = "ln_final.hook_normalized";

    private HookName() {
    }

    /** The name prefix of block {@code layer}: {@code "blocks.{layer}."}. */
    public static String block(int layer) {
        return "blocks." + layer + ".";
    }

    public static String residPre(int layer) {
        return block(layer) + "hook_resid_pre";
    }

    public static String residMid(int layer) {
        return block(layer) + "hook_resid_mid";
    }

    public static String residPost(int layer) {
        return block(layer) + "hook_resid_post";
    }

    /** {@code blocks.{layer}.hook_q_input}, {@code hook_k_input} or {@code hook_v_input} for which = "q", "k", "v". */
    public static String qkvInput(int layer, String which) {
        return block(layer) + "hook_" + which + "_input";
    }

    public static String qInput(int layer) {
        return qkvInput(layer, "q");
    }

    public static String kInput(int layer) {
        return qkvInput(layer, "k");
    }

    public static String vInput(int layer) {
        return qkvInput(layer, "v");
    }

    /** {@code blocks.{layer}.{norm}.hook_scale} for norm = "ln1" or "ln2". */
    public static String scale(int layer, String norm) {
        return block(layer) + norm + ".hook_scale";
    }

    /** {@code blocks.{layer}.{norm}.hook_normalized} for norm = "ln1" or "ln2". */
    public static String normalized(int layer, String norm) {
        return block(layer) + norm + ".hook_normalized";
    }

    /** {@code blocks.{layer}.attn.hook_q}, {@code hook_k} or {@code hook_v} for which = "q", "k", "v". */
    public static String qkv(int layer, String which) {
        return block(layer) + "attn.hook_" + which;
    }

    public static String q(int layer) {
        return block(layer) + "attn.hook_q";
    }

    public static String k(int layer) {
        return block(layer) + "attn.hook_k";
    }

    public static String v(int layer) {
        return block(layer) + "attn.hook_v";
    }

    public static String rotQ(int layer) {
        return block(layer) + "attn.hook_rot_q";
    }

    public static String rotK(int layer) {
        return block(layer) + "attn.hook_rot_k";
    }

    public static String attnScores(int layer) {
        return block(layer) + "attn.hook_attn_scores";
    }

    public static String pattern(int layer) {
        return block(layer) + "attn.hook_pattern";
    }

    public static String z(int layer) {
        return block(layer) + "attn.hook_z";
    }

    /** Per-head attention outputs [B,T,H,C]. */
    public static String result(int layer) {
        return block(layer) + "attn.hook_result";
    }

    public static String attnOut(int layer) {
        return block(layer) + "hook_attn_out";
    }

    public static String mlpIn(int layer) {
        return block(layer) + "hook_mlp_in";
    }

    public static String mlpPre(int layer) {
        return block(layer) + "mlp.hook_pre";
    }

    public static String mlpPreLinear(int layer) {
        return block(layer) + "mlp.hook_pre_linear";
    }

    public static String mlpPost(int layer) {
        return block(layer) + "mlp.hook_post";
    }

    public static String mlpOut(int layer) {
        return block(layer) + "hook_mlp_out";
    }

    /**
     * The block of a {@code blocks.{i}.} name, or -1 for names outside the blocks (embeddings, ln_final, logits).
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
