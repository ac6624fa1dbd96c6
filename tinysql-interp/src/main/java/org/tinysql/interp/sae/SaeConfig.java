package org.tinysql.interp.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * An SAE's shape and training objective. Saved as {@code cfg.json} next to the weights (SAELens-like keys).
 *
 * @param architecture  TOPK, BATCH_TOPK, RELU (L1 penalty weighted by decoder norms) or JUMPRELU
 * @param dIn           input width (the hooked activation's last dimension)
 * @param dSae          number of latents
 * @param k             active latents per token (TopK; BatchTopK: k x batch rows over the batch)
 * @param l1Coefficient sparsity coefficient: L1 weight (RELU) or L0 weight (JUMPRELU)
 * @param bandwidth     JumpReLU straight-through kernel width
 * @param initThreshold JumpReLU initial threshold
 * @param hookName      the model hook point the SAE reads (may be null for synthetic data)
 * @param normScale     inputs are multiplied by this before encoding (and outputs divided): 1 = none
 */
public record SaeConfig(Architecture architecture, int dIn, int dSae, int k, double l1Coefficient, double bandwidth,
                        double initThreshold, String hookName, double normScale) {

    /** The SAE variants. */
    public enum Architecture {
        /** The k largest pre-activations per token are kept. */
        TOPK("topk"),
        /** The k x rows largest pre-activations over the whole batch are kept. */
        BATCH_TOPK("batchtopk"),
        /** ReLU with an L1 penalty weighted by decoder norms (SAELens "standard"). */
        RELU("standard"),
        /** JumpReLU: per-latent thresholds trained with a straight-through L0 penalty. */
        JUMPRELU("jumprelu");

        /** The architecture's name in {@code cfg.json}. */
        public final String key;

        Architecture(String key) {
            this.key = key;
        }

        /**
         * Whether decoder rows are kept at unit norm after every step.
         *
         * @return {@code true} for TOPK and BATCH_TOPK
         */
        public boolean unitNormDecoder() {
            return this == TOPK || this == BATCH_TOPK;
        }

        /**
         * Parses a key or name, any case, with or without {@code -} and {@code _}; {@code relu-l1} is RELU.
         *
         * @param s the name
         * @return the architecture
         * @throws IllegalArgumentException if {@code s} names none
         */
        public static Architecture parse(String s) {
            String t = s.trim().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
            for (Architecture a : values()) {
                if (a.key.equals(t) || a.name().toLowerCase(Locale.ROOT).replace("_", "").equals(t)) {
                    return a;
                }
            }
            if (t.equals("relul1") || t.equals("relu")) {
                return RELU;
            }
            throw new IllegalArgumentException("unknown SAE architecture '" + s + "'; expected topk, batchtopk, relu or jumprelu");
        }
    }

    /** Largest d_in (a model's widest activation: H*C of hook_result at d_model 4096, 32 heads, is 2^17). */
    public static final int MAX_D_IN = 1 << 17;
    /** Largest d_sae. */
    public static final int MAX_D_SAE = 1 << 22;

    /**
     * Checks the configuration.
     *
     * @param architecture  the SAE variant, not null
     * @param dIn           input width, 1..{@value #MAX_D_IN}
     * @param dSae          number of latents, 1..{@value #MAX_D_SAE}
     * @param k             active latents per token, 1..dSae for TOPK and BATCH_TOPK
     * @param l1Coefficient sparsity coefficient, finite and at least 0
     * @param bandwidth     JumpReLU kernel width, finite and at least 0
     * @param initThreshold JumpReLU initial threshold, finite and at least 0
     * @param hookName      the hook point, or null
     * @param normScale     input scale, positive and finite
     * @throws IllegalArgumentException if a field is out of range or dIn x dSae exceeds one array
     */
    public SaeConfig {
        if (architecture == null) {
            throw new IllegalArgumentException("SAE architecture missing");
        }
        if (dIn < 1 || dSae < 1 || dIn > MAX_D_IN || dSae > MAX_D_SAE) {
            throw new IllegalArgumentException("SAE widths must be in [1, " + MAX_D_IN + "] and [1, " + MAX_D_SAE + "]: d_in " + dIn
                    + ", d_sae " + dSae);
        }
        if ((long) dIn * dSae > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("d_in x d_sae = " + ((long) dIn * dSae) + " weights do not fit in one array (d_in "
                    + dIn + ", d_sae " + dSae + ")");
        }
        for (double v : new double[] {l1Coefficient, bandwidth, initThreshold}) {
            if (!Double.isFinite(v) || v < 0) {
                throw new IllegalArgumentException("l1_coefficient, bandwidth and init_threshold must be finite and >= 0, got " + v);
            }
        }
        if ((architecture == Architecture.TOPK || architecture == Architecture.BATCH_TOPK) && (k < 1 || k > dSae)) {
            throw new IllegalArgumentException("k must be in [1, d_sae=" + dSae + "], got " + k);
        }
        if (!(normScale > 0) || Double.isInfinite(normScale)) {
            throw new IllegalArgumentException("norm scale must be positive and finite, got " + normScale);
        }
    }

    /**
     * A TopK SAE without hook name or input scaling.
     *
     * @param dIn  input width
     * @param dSae number of latents
     * @param k    active latents per token
     * @return the configuration
     */
    public static SaeConfig topK(int dIn, int dSae, int k) {
        return new SaeConfig(Architecture.TOPK, dIn, dSae, k, 0, 0, 0, null, 1);
    }

    /**
     * A configuration with JumpReLU's default bandwidth 0.05 and initial threshold 0.1, without hook name or scaling.
     *
     * @param a    the architecture
     * @param dIn  input width
     * @param dSae number of latents
     * @param k    active latents per token (TopK variants)
     * @param l1   sparsity coefficient (RELU, JUMPRELU)
     * @return the configuration
     */
    public static SaeConfig of(Architecture a, int dIn, int dSae, int k, double l1) {
        return new SaeConfig(a, dIn, dSae, k, l1, 0.05, 0.1, null, 1);
    }

    /**
     * A copy reading another hook point.
     *
     * @param hook the hook name, or null
     * @return the copy
     */
    public SaeConfig withHook(String hook) {
        return new SaeConfig(architecture, dIn, dSae, k, l1Coefficient, bandwidth, initThreshold, hook, normScale);
    }

    /**
     * A copy with another input scale.
     *
     * @param s the scale, positive and finite
     * @return the copy
     */
    public SaeConfig withNormScale(double s) {
        return new SaeConfig(architecture, dIn, dSae, k, l1Coefficient, bandwidth, initThreshold, hookName, s);
    }

    /**
     * The {@code cfg.json} content: architecture key, d_in, d_sae, k, coefficients, hook_name when set, norm_scale.
     *
     * @return a new JSON object
     */
    public ObjectNode toJson() {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("architecture", architecture.key);
        o.put("d_in", dIn);
        o.put("d_sae", dSae);
        o.put("k", k);
        o.put("l1_coefficient", l1Coefficient);
        o.put("bandwidth", bandwidth);
        o.put("init_threshold", initThreshold);
        if (hookName != null) {
            o.put("hook_name", hookName);
        }
        o.put("norm_scale", normScale);
        return o;
    }

    /**
     * Reads cfg.json from a stranger: required fields present, integers JSON integers, numbers finite, names strings;
     * errors name {@code source} and the field.
     *
     * @param j      the parsed cfg.json
     * @param source names the file in errors
     * @return the configuration; optional fields take their defaults
     * @throws IllegalArgumentException naming {@code source} and the field at fault
     */
    public static SaeConfig fromJson(JsonNode j, String source) {
        try {
            if (j == null || !j.isObject()) {
                throw new IllegalArgumentException("cfg.json must be a JSON object");
            }
            for (String f : new String[] {"architecture", "d_in", "d_sae"}) {
                if (!j.hasNonNull(f)) {
                    throw new IllegalArgumentException("missing field '" + f + "'");
                }
            }
            return new SaeConfig(Architecture.parse(text(j, "architecture", null)), integer(j, "d_in", 0), integer(j, "d_sae", 0),
                    integer(j, "k", 0), number(j, "l1_coefficient", 0), number(j, "bandwidth", 1e-3), number(j, "init_threshold", 1e-3),
                    text(j, "hook_name", null), number(j, "norm_scale", 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static int integer(JsonNode j, String key, int dflt) {
        JsonNode n = j.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException(key + " " + shorten(n) + " is not a 32-bit integer");
        }
        return n.intValue();
    }

    private static double number(JsonNode j, String key, double dflt) {
        JsonNode n = j.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isNumber() || !Double.isFinite(n.doubleValue())) {
            throw new IllegalArgumentException(key + " " + shorten(n) + " is not a finite number");
        }
        return n.doubleValue();
    }

    private static String text(JsonNode j, String key, String dflt) {
        JsonNode n = j.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isTextual()) {
            throw new IllegalArgumentException(key + " " + shorten(n) + " is not a string");
        }
        return n.textValue();
    }

    private static String shorten(JsonNode n) {
        return org.tinysql.tensor.CheckpointFormatException.excerpt(n.toString());
    }
}
