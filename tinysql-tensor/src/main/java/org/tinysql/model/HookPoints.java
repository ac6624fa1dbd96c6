package org.tinysql.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hook points of a model, spelled as TransformerLens spells them (see {@link HookName}), in the order the
 * forward pass reaches them, with the shape of each activation.
 */
public final class HookPoints {
    /** A dimension of a hook point's shape. */
    public enum Dim {
        /** batch */ B,
        /** query positions */ T,
        /** key positions (T, or a KV cache's capacity when decoding) */ TK,
        /** d_model */ C,
        /** query heads */ H,
        /** key/value heads */ KV,
        /** head dim */ D,
        /** MLP width */ M,
        /** a size-1 dimension */ ONE
    }

    private static final Dim[] BTC = {Dim.B, Dim.T, Dim.C};
    private static final Dim[] BTM = {Dim.B, Dim.T, Dim.M};
    private static final Dim[] BTHD = {Dim.B, Dim.T, Dim.H, Dim.D};
    private static final Dim[] BTKVD = {Dim.B, Dim.T, Dim.KV, Dim.D};
    private static final Dim[] BHTT = {Dim.B, Dim.H, Dim.T, Dim.TK};
    private static final Dim[] SCALE = {Dim.B, Dim.T, Dim.ONE};

    private HookPoints() {
    }

    /**
     * Every hook point of a config and its dimensions, in forward order. The per-head points
     * ({@code hook_q_input}, {@code hook_k_input}, {@code hook_v_input} [B,T,heads,C], {@code attn.hook_result}
     * [B,T,H,C]) and {@code hook_mlp_in} cost extra work and are computed only where a hook is registered on them
     * (TransformerLens gates them behind use_split_qkv_input, use_attn_result and use_hook_mlp_in).
     * @param c the config
     * @return a new map of hook name to dimensions, in forward order
     */
    public static Map<String, Dim[]> dims(ModelConfig c) {
        Map<String, Dim[]> n = new LinkedHashMap<>();
        boolean rotary = c.positions() == ModelConfig.Positions.ROTARY;
        n.put(HookName.EMBED, BTC);
        if (!rotary) {
            n.put(HookName.POS_EMBED, BTC);
        }
        for (int i = 0; i < c.nLayers(); i++) {
            n.put(HookName.residPre(i), BTC);
            n.put(HookName.scale(i, "ln1"), SCALE);
            n.put(HookName.normalized(i, "ln1"), BTC);
            n.put(HookName.qInput(i), new Dim[] {Dim.B, Dim.T, Dim.H, Dim.C});
            n.put(HookName.kInput(i), new Dim[] {Dim.B, Dim.T, Dim.KV, Dim.C});
            n.put(HookName.vInput(i), new Dim[] {Dim.B, Dim.T, Dim.KV, Dim.C});
            n.put(HookName.q(i), BTHD);
            n.put(HookName.k(i), BTKVD);
            n.put(HookName.v(i), BTKVD);
            if (rotary) {
                n.put(HookName.rotQ(i), BTHD);
                n.put(HookName.rotK(i), BTKVD);
            }
            n.put(HookName.attnScores(i), BHTT);
            n.put(HookName.pattern(i), BHTT);
            n.put(HookName.z(i), BTHD);
            n.put(HookName.result(i), new Dim[] {Dim.B, Dim.T, Dim.H, Dim.C});
            n.put(HookName.attnOut(i), BTC);
            n.put(HookName.residMid(i), BTC);
            n.put(HookName.mlpIn(i), BTC);
            n.put(HookName.scale(i, "ln2"), SCALE);
            n.put(HookName.normalized(i, "ln2"), BTC);
            n.put(HookName.mlpPre(i), BTM);
            if (c.mlp() == ModelConfig.Mlp.SWIGLU) {
                n.put(HookName.mlpPreLinear(i), BTM);
            }
            n.put(HookName.mlpPost(i), BTM);
            n.put(HookName.mlpOut(i), BTC);
            n.put(HookName.residPost(i), BTC);
        }
        n.put(HookName.LN_FINAL_SCALE, SCALE);
        n.put(HookName.LN_FINAL_NORMALIZED, BTC);
        return n;
    }

    /**
     * Every hook point name of a config, in the order the forward pass reaches them.
     * @param c the config
     * @return a new list of the hook names
     */
    public static List<String> names(ModelConfig c) {
        return new ArrayList<>(dims(c).keySet());
    }

    /**
     * The TransformerLens shape of hook point {@code name} for a forward over [b, t].
     * @param c the config
     * @param name the hook name
     * @param b B, the batch size
     * @param t T, the number of positions
     * @return the dimensions, e.g. {@code [b, t, C]} for the residual stream
     */
    public static long[] shape(ModelConfig c, String name, int b, int t) {
        check(c, name);
        Dim[] dims = dims(c).get(name);
        long[] s = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            s[i] = size(c, dims[i], b, t);
        }
        return s;
    }

    /**
     * The number of values per token (b, t) of a hook point, e.g. C for the residual stream, H*D for hook_z, M for
     * the MLP's hidden activations; fails for the attention scores and pattern, whose rows depend on T.
     * @param c the config
     * @param name the hook name
     * @return the values per token
     */
    public static int width(ModelConfig c, String name) {
        check(c, name);
        Dim[] dims = dims(c).get(name);
        if (dims[1] != Dim.T) {
            throw new IllegalArgumentException(name + " is not indexed by [B, T, ...]: it has no fixed width per token");
        }
        long w = 1;
        for (int i = 2; i < dims.length; i++) {
            w *= size(c, dims[i], 1, 1);
        }
        return (int) w;
    }

    private static long size(ModelConfig c, Dim d, int b, int t) {
        return switch (d) {
            case B -> b;
            case T, TK -> t;
            case C -> c.dModel();
            case H -> c.nHeads();
            case KV -> c.nKvHeads();
            case D -> c.headDim();
            case M -> c.dMlp();
            case ONE -> 1;
        };
    }

    /**
     * Fails with the closest valid names when {@code name} is not a hook point of the config.
     * @param c the config
     * @param name the hook name to check
     */
    public static void check(ModelConfig c, String name) {
        Map<String, Dim[]> valid = dims(c);
        if (valid.containsKey(name)) {
            return;
        }
        List<String> close = new ArrayList<>(valid.keySet());
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
