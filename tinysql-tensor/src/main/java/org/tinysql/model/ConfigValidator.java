package org.tinysql.model;

import org.tinysql.model.arch.Architecture;
import org.tinysql.model.arch.Architectures;
import org.tinysql.model.arch.ConfigKeys;


/**
 * The limits and consistency rules every {@link ModelConfig} satisfies, checked when it is built and so before any
 * parameter is allocated: sizes in sane ranges, heads dividing the width, finite positive epsilon and RoPE base, token
 * ids inside the vocabulary, at most {@link #MAX_TENSOR_ELEMENTS} elements per tensor and {@link #MAX_PARAMETERS}
 * parameters in all (counted in long arithmetic with overflow checks). Errors are {@link IllegalArgumentException}s
 * whose message starts with "invalid model config:" and names the config.json key of the model type.
 */
public final class ConfigValidator {
    /** The most blocks L. */
    public static final int MAX_LAYERS = 1024;
    /** The widest model width C. */
    public static final int MAX_WIDTH = 1 << 16;
    /** The largest vocabulary V. */
    public static final int MAX_VOCAB = 1 << 24;
    /** The widest MLP hidden layer. */
    public static final int MAX_MLP = 1 << 20;
    /** The most positions (learned rows, rotary context, local window, original RoPE context). */
    public static final int MAX_POSITIONS = 1 << 24;
    /** Elements of one tensor: one Java buffer's worth. */
    public static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE;
    /** The most parameters of a model in all. */
    public static final long MAX_PARAMETERS = 20_000_000_000L;

    private ConfigValidator() {
    }

    static void validate(ModelConfig c) {
        Architecture arch = Architectures.find(c.modelType());
        if (arch == null) {
            throw invalid("unsupported model_type '" + c.modelType() + "' (supported: " + Architectures.modelTypes() + ")");
        }
        check(c.norm() != null && c.positions() != null && c.mlp() != null, "norm, positions and mlp must be given");
        ConfigKeys k = arch.keys();
        range(k.vocab(), c.vocabSize(), 1, MAX_VOCAB);
        range(k.width(), c.dModel(), 1, MAX_WIDTH);
        range(k.layers(), c.nLayers(), 1, MAX_LAYERS);
        range(k.heads(), c.nHeads(), 1, c.dModel());
        check(c.dModel() % c.nHeads() == 0, k.width() + " " + c.dModel() + " must be a multiple of " + k.heads() + " " + c.nHeads());
        range(k.kvHeads(), c.nKvHeads(), 1, c.nHeads());
        check(c.nHeads() % c.nKvHeads() == 0, k.kvHeads() + " " + c.nKvHeads() + " must divide " + k.heads() + " " + c.nHeads());
        range(k.mlp(), c.dMlp(), 1, MAX_MLP);
        range(k.positions(), c.maxPositions(), 1, MAX_POSITIONS);
        check(Double.isFinite(c.normEps()) && c.normEps() > 0 && c.normEps() < 1, k.eps() + " " + c.normEps()
                + " must be a finite number in (0, 1)");
        check(c.localWindows() != null && c.localWindows().length == c.nLayers(), "attention_layers has "
                + (c.localWindows() == null ? 0 : c.localWindows().length) + " entries for " + c.nLayers() + " layers");
        for (int w : c.localWindows()) {
            check(w >= 0 && w <= MAX_POSITIONS, "window_size " + w + " is out of range [0, " + MAX_POSITIONS + "]");
        }
        if (c.positions() == ModelConfig.Positions.ROTARY) {
            check(c.headDim() % 2 == 0, "head dim " + c.headDim() + " (" + k.width() + " / " + k.heads() + ") must be even for RoPE");
            check(Double.isFinite(c.ropeTheta()) && c.ropeTheta() > 0, "rope_theta " + c.ropeTheta() + " must be finite and positive");
            ropeScaling(c.ropeScaling());
        }
        tokenId("bos_token_id", c.bosTokenId(), c.vocabSize());
        tokenId("eos_token_id", c.eosTokenId(), c.vocabSize());
        tokenId("pad_token_id", c.padTokenId(), c.vocabSize());
        sizes(c, k);
        arch.validate(c);
    }

    private static void ropeScaling(ModelConfig.RopeScaling s) {
        if (s == null) {
            return;
        }
        check(Double.isFinite(s.factor()) && s.factor() > 0, "rope_scaling.factor " + s.factor() + " must be finite and positive");
        check(Double.isFinite(s.lowFreqFactor()) && s.lowFreqFactor() > 0, "rope_scaling.low_freq_factor " + s.lowFreqFactor()
                + " must be finite and positive");
        check(Double.isFinite(s.highFreqFactor()) && s.highFreqFactor() > s.lowFreqFactor(), "rope_scaling.high_freq_factor "
                + s.highFreqFactor() + " must be finite and greater than low_freq_factor " + s.lowFreqFactor());
        check(s.originalMaxPositions() >= 1 && s.originalMaxPositions() <= MAX_POSITIONS, "rope_scaling.original_max_position_embeddings "
                + s.originalMaxPositions() + " is out of range [1, " + MAX_POSITIONS + "]");
    }

    private static void tokenId(String key, int id, int vocab) {
        check(id == -1 || (id >= 0 && id < vocab), key + " " + id + " is outside the vocabulary [0, " + vocab + ")");
    }

    /** Largest tensors and the total parameter count against the limits. */
    private static void sizes(ModelConfig c, ConfigKeys k) {
        long width = c.dModel();
        tensor(k.vocab() + " x " + k.width() + " (embedding)", c.vocabSize() * width);
        tensor(k.mlp() + " x " + k.width() + " (MLP weight)", c.dMlp() * width);
        tensor(k.width() + " x " + k.width() + " (attention weight)", width * width);
        if (c.positions() == ModelConfig.Positions.LEARNED) {
            tensor(k.positions() + " x " + k.width() + " (position embedding)", c.maxPositions() * width);
        }
        long n = parameterCount(c);
        check(n <= MAX_PARAMETERS, "the config describes " + n + " parameters, over the limit of " + MAX_PARAMETERS + " ("
                + k.layers() + " " + c.nLayers() + ", " + k.width() + " " + c.dModel() + ", " + k.mlp() + " " + c.dMlp()
                + ", " + k.vocab() + " " + c.vocabSize() + ")");
    }

    private static void tensor(String what, long elements) {
        check(elements <= MAX_TENSOR_ELEMENTS, what + " = " + elements + " elements in one tensor, over the limit of "
                + MAX_TENSOR_ELEMENTS);
    }

    /**
     * The number of parameters {@link Parameters#shapes} lists for a config, in overflow-checked long arithmetic.
     * @param c the config
     * @return the parameter count (tied embeddings counted once)
     */
    public static long parameterCount(ModelConfig c) {
        long width = c.dModel();
        long kv = Math.multiplyExact((long) c.nKvHeads(), c.headDim());
        long mlp = c.dMlp();
        long norms = c.norm() == ModelConfig.Norm.LAYER_NORM ? 2 * width : width;
        long layer = Math.addExact(2 * norms, Math.multiplyExact(2 * width + 2 * kv, width));
        layer = Math.addExact(layer, Math.multiplyExact(mlp, width) * (c.mlp() == ModelConfig.Mlp.SWIGLU ? 3 : 2));
        if (c.qkvBias()) {
            layer += width + 2 * kv;
        }
        if (c.outBias()) {
            layer += 2 * width + mlp;
        }
        long embed = Math.multiplyExact((long) c.vocabSize(), width);
        long total = Math.addExact(Math.multiplyExact(layer, c.nLayers()), norms + embed);
        if (c.positions() == ModelConfig.Positions.LEARNED) {
            total = Math.addExact(total, Math.multiplyExact((long) c.maxPositions(), width));
        }
        return c.tiedEmbeddings() ? total : Math.addExact(total, embed);
    }

    /**
     * Checks that a size read from config.json lies in [min, max], e.g. the layer count before per-layer arrays exist.
     * @param key the config.json key, named in the message
     * @param value the value read
     * @param min the smallest allowed value
     * @param max the largest allowed value
     */
    public static void range(String key, long value, long min, long max) {
        check(value >= min && value <= max, key + " " + value + " is out of range [" + min + ", " + max + "]");
    }

    /**
     * Throws {@link #invalid} unless {@code ok}.
     * @param ok the condition that must hold
     * @param msg the message after "invalid model config: "
     */
    public static void check(boolean ok, String msg) {
        if (!ok) {
            throw invalid(msg);
        }
    }

    /**
     * An IllegalArgumentException "invalid model config: msg".
     * @param msg what is wrong, naming the key
     * @return the exception, for the caller to throw
     */
    public static IllegalArgumentException invalid(String msg) {
        return new IllegalArgumentException("invalid model config: " + msg);
    }
}
