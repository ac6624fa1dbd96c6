package org.tinysql.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The hook point names of a model, spelled as TransformerLens spells them. */
public final class HookPoints {

    private HookPoints() {
    }

    /**
     * Every hook point of a config, in the order the forward pass reaches them. The per-head points
     * ({@code hook_q_input}, {@code hook_k_input}, {@code hook_v_input}, {@code attn.hook_result}) and
     * {@code hook_mlp_in} cost extra work and are computed only where a hook is registered on them (TransformerLens
     * gates them behind use_split_qkv_input, use_attn_result and use_hook_mlp_in).
     */
    public static List<String> names(ModelConfig c) {
        List<String> n = new ArrayList<>();
        boolean llama = c.family() == ModelConfig.Family.LLAMA;
        n.add("hook_embed");
        if (!llama) {
            n.add("hook_pos_embed");
        }
        for (int i = 0; i < c.nLayers(); i++) {
            String p = "blocks." + i + ".";
            n.add(p + "hook_resid_pre");
            n.add(p + "hook_q_input");
            n.add(p + "hook_k_input");
            n.add(p + "hook_v_input");
            n.add(p + "ln1.hook_scale");
            n.add(p + "ln1.hook_normalized");
            n.add(p + "attn.hook_q");
            n.add(p + "attn.hook_k");
            n.add(p + "attn.hook_v");
            if (llama) {
                n.add(p + "attn.hook_rot_q");
                n.add(p + "attn.hook_rot_k");
            }
            n.add(p + "attn.hook_attn_scores");
            n.add(p + "attn.hook_pattern");
            n.add(p + "attn.hook_z");
            n.add(p + "attn.hook_result");
            n.add(p + "hook_attn_out");
            n.add(p + "hook_resid_mid");
            n.add(p + "hook_mlp_in");
            n.add(p + "ln2.hook_scale");
            n.add(p + "ln2.hook_normalized");
            n.add(p + "mlp.hook_pre");
            if (llama) {
                n.add(p + "mlp.hook_pre_linear");
            }
            n.add(p + "mlp.hook_post");
            n.add(p + "hook_mlp_out");
            n.add(p + "hook_resid_post");
        }
        n.add("ln_final.hook_scale");
        n.add("ln_final.hook_normalized");
        return n;
    }

    /** Fails with the closest valid names when {@code name} is not a hook point of the config. */
    public static void check(ModelConfig c, String name) {
        Set<String> valid = new LinkedHashSet<>(names(c));
        if (valid.contains(name)) {
            return;
        }
        List<String> close = new ArrayList<>(valid);
        close.sort(Comparator.comparingInt((String v) -> distance(v, name)).thenComparing(v -> v));
        throw new IllegalArgumentException("unknown hook point '" + name + "' for " + c + "; closest: "
                + close.subList(0, Math.min(3, close.size())));
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
