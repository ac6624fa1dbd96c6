package org.tinysql.model;

import static org.tinysql.model.ConfigKey.EPS;
import static org.tinysql.model.ConfigKey.HEADS;
import static org.tinysql.model.ConfigKey.KV_HEADS;
import static org.tinysql.model.ConfigKey.LAYERS;
import static org.tinysql.model.ConfigKey.MLP;
import static org.tinysql.model.ConfigKey.POSITIONS;
import static org.tinysql.model.ConfigKey.VOCAB;
import static org.tinysql.model.ConfigKey.WIDTH;

/**
 * The limits and consistency rules every {@link ModelConfig} satisfies, checked when it is built and so before any
 * parameter is allocated: sizes in sane ranges, heads dividing the width, finite positive epsilon and RoPE base, token
 * ids inside the vocabulary, at most {@link #MAX_TENSOR_ELEMENTS} elements per tensor and {@link #MAX_PARAMETERS}
 * parameters in all (counted in long arithmetic with overflow checks). Errors are {@link IllegalArgumentException}s
 * whose message starts with "invalid model config:" and names the config.json key of the model type.
 */
public final class ConfigValidator {
    public static final int MAX_LAYERS = 1024;
    public static final int MAX_WIDTH = 1 << 16;
    public static final int MAX_VOCAB = 1 << 24;
    public static final int MAX_MLP = 1 << 20;
    public static final int MAX_POSITIONS = 1 << 24;
    /** Elements of one tensor: one Java buffer's worth. */
    public static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE;
    public static final long MAX_PARAMETERS = 20_000_000_000L;

    private ConfigValidator() {
    }

    static void validate(ModelConfig c) {
        String t = c.modelType();
        if (t == null || !ModelConfig.SUPPORTED.contains(t)) {
            throw invalid("unsupported model_type '" + t + "' (supported: " + ModelConfig.SUPPORTED + ")");
        }
        range(t, VOCAB, c.vocabSize(), 1, MAX_VOCAB);
        range(t, WIDTH, c.dModel(), 1, MAX_WIDTH);
        range(t, LAYERS, c.nLayers(), 1, MAX_LAYERS);
        range(t, HEADS, c.nHeads(), 1, c.dModel());
        check(c.dModel() % c.nHeads() == 0, WIDTH.in(t) + " " + c.dModel() + " must be a multiple of " + HEADS.in(t) + " " + c.nHeads());
        range(t, KV_HEADS, c.nKvHeads(), 1, c.nHeads());
        check(c.nHeads() % c.nKvHeads() == 0, KV_HEADS.in(t) + " " + c.nKvHeads() + " must divide " + HEADS.in(t) + " " + c.nHeads());
        range(t, MLP, c.dMlp(), 1, MAX_MLP);
        range(t, POSITIONS, c.maxPositions(), 1, MAX_POSITIONS);
        check(Double.isFinite(c.normEps()) && c.normEps() > 0 && c.normEps() < 1, EPS.in(t) + " " + c.normEps()
                + " must be a finite number in (0, 1)");
        check(c.localWindows().length == c.nLayers(), "attention_layers has " + c.localWindows().length + " entries for "
                + c.nLayers() + " layers");
        for (int w : c.localWindows()) {
            check(w >= 0 && w <= MAX_POSITIONS, "window_size " + w + " is out of range [0, " + MAX_POSITIONS + "]");
        }
        if (c.family() == ModelConfig.Family.LLAMA) {
            check(c.headDim() % 2 == 0, "head dim " + c.headDim() + " (" + WIDTH.in(t) + " / " + HEADS.in(t) + ") must be even for RoPE");
            check(Double.isFinite(c.ropeTheta()) && c.ropeTheta() > 0, "rope_theta " + c.ropeTheta() + " must be finite and positive");
            ropeScaling(c.ropeScaling());
        }
        tokenId("bos_token_id", c.bosTokenId(), c.vocabSize());
        tokenId("eos_token_id", c.eosTokenId(), c.vocabSize());
        sizes(c);
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
    private static void sizes(ModelConfig c) {
        String t = c.modelType();
        long width = c.dModel();
        tensor(VOCAB.in(t) + " x " + WIDTH.in(t) + " (embedding)", c.vocabSize() * width);
        tensor(MLP.in(t) + " x " + WIDTH.in(t) + " (MLP weight)", c.dMlp() * width);
        tensor(WIDTH.in(t) + " x " + WIDTH.in(t) + " (attention weight)", width * width);
        if (c.family() == ModelConfig.Family.GPT) {
            tensor(POSITIONS.in(t) + " x " + WIDTH.in(t) + " (position embedding)", c.maxPositions() * width);
        }
        long n = parameterCount(c);
        check(n <= MAX_PARAMETERS, "the config describes " + n + " parameters, over the limit of " + MAX_PARAMETERS + " ("
                + LAYERS.in(t) + " " + c.nLayers() + ", " + WIDTH.in(t) + " " + c.dModel() + ", " + MLP.in(t) + " " + c.dMlp()
                + ", " + VOCAB.in(t) + " " + c.vocabSize() + ")");
    }

    private static void tensor(String what, long elements) {
        check(elements <= MAX_TENSOR_ELEMENTS, what + " = " + elements + " elements in one tensor, over the limit of "
                + MAX_TENSOR_ELEMENTS);
    }

    /** The number of parameters {@link Parameters#shapes} lists for a config, in overflow-checked long arithmetic. */
    public static long parameterCount(ModelConfig c) {
        boolean gpt = c.family() == ModelConfig.Family.GPT;
        long width = c.dModel();
        long kv = Math.multiplyExact((long) c.nKvHeads(), c.headDim());
        long mlp = c.dMlp();
        long norms = gpt ? 2 * width : width;
        long layer = Math.addExact(2 * norms, Math.multiplyExact(2 * width + 2 * kv, width));
        layer = Math.addExact(layer, Math.multiplyExact(mlp, width) * (gpt ? 2 : 3));
        if (c.qkvBias()) {
            layer += width + 2 * kv;
        }
        if (c.outBias()) {
            layer += 2 * width + mlp;
        }
        long embed = Math.multiplyExact((long) c.vocabSize(), width);
        long total = Math.addExact(Math.multiplyExact(layer, c.nLayers()), norms + embed);
        if (gpt) {
            total = Math.addExact(total, Math.multiplyExact((long) c.maxPositions(), width));
        }
        return c.tiedEmbeddings() ? total : Math.addExact(total, embed);
    }

    /** Checks that a size read from config.json lies in [min, max], e.g. the layer count before per-layer arrays exist. */
    static void range(String modelType, ConfigKey key, long value, long min, long max) {
        check(value >= min && value <= max, key.in(modelType) + " " + value + " is out of range [" + min + ", " + max + "]");
    }

    static void check(boolean ok, String msg) {
        if (!ok) {
            throw invalid(msg);
        }
    }

    static IllegalArgumentException invalid(String msg) {
        return new IllegalArgumentException("invalid model config: " + msg);
    }
}
