package org.tinysql.model;

import static org.tinysql.model.ConfigKey.EPS;
import static org.tinysql.model.ConfigKey.HEADS;
import static org.tinysql.model.ConfigKey.KV_HEADS;
import static org.tinysql.model.ConfigKey.LAYERS;
import static org.tinysql.model.ConfigKey.MLP;
import static org.tinysql.model.ConfigKey.POSITIONS;
import static org.tinysql.model.ConfigKey.VOCAB;
import static org.tinysql.model.ConfigKey.WIDTH;
import static org.tinysql.model.ConfigValidator.check;
import static org.tinysql.model.ConfigValidator.invalid;
import static org.tinysql.tensor.CheckpointFormatException.excerpt;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reads a HuggingFace config.json tree into a {@link ModelConfig}. Every field is type-checked (integers must be JSON
 * integers, numbers finite, flags booleans, names strings; null means "use the default"), features we do not implement
 * are rejected rather than ignored, and the layer count is range-checked before per-layer arrays are built; the
 * remaining limits are {@link ConfigValidator}'s. Errors are {@link IllegalArgumentException}s naming the key.
 */
final class ConfigParser {
    private final JsonNode j;
    private final String type;
    /** Prepended to keys in messages ("rope_scaling." inside that object). */
    private final String prefix;

    private ConfigParser(JsonNode j, String type, String prefix) {
        this.j = j;
        this.type = type;
        this.prefix = prefix;
    }

    static ModelConfig parse(JsonNode j) {
        if (j == null || !j.isObject()) {
            throw invalid("config.json must be a JSON object");
        }
        JsonNode mt = j.path("model_type");
        String type = mt.isTextual() ? mt.textValue() : "";
        if (!ModelConfig.SUPPORTED.contains(type)) {
            throw new IllegalArgumentException("unsupported architecture: model_type '" + excerpt(type) + "' "
                    + excerpt(j.path("architectures")) + " (supported: GPTNeoForCausalLM, GPT2LMHeadModel, LlamaForCausalLM, Qwen2ForCausalLM)");
        }
        ConfigParser p = new ConfigParser(j, type, "");
        return switch (type) {
            case "gpt_neo" -> p.gptNeo();
            case "gpt2" -> p.gpt2();
            default -> p.llama();
        };
    }

    private ModelConfig gptNeo() {
        int c = integer(WIDTH.in(type));
        int layers = layers();
        activation();
        tiedGpt();
        int window = integer("window_size", 256);
        check(window >= 0, "window_size " + window + " must not be negative");
        int[] windows = new int[layers];
        String[] kinds = GptNeoAttention.layerTypes(j, layers);
        for (int i = 0; kinds != null && i < layers; i++) {
            check(kinds[i].equals("global") || window > 0, "window_size " + window + " must be positive for local attention layers");
            windows[i] = kinds[i].equals("local") ? window : 0;
        }
        int heads = integer(HEADS.in(type));
        return new ModelConfig(type, integer(VOCAB.in(type)), c, layers, heads, heads, integer(MLP.in(type), 4 * c),
                integer(POSITIONS.in(type), 2048), number(EPS.in(type), 1e-5), false, windows, 0, false, true, true,
                integer("bos_token_id", -1), eos());
    }

    private ModelConfig gpt2() {
        int c = integer(WIDTH.in(type));
        int layers = layers();
        activation();
        tiedGpt();
        check(bool("scale_attn_weights", true), "scale_attn_weights false is not supported");
        int heads = integer(HEADS.in(type));
        return new ModelConfig(type, integer(VOCAB.in(type)), c, layers, heads, heads, integer(MLP.in(type), 4 * c),
                integer(POSITIONS.in(type), 1024), number(EPS.in(type), 1e-5), true, new int[layers], 0, true, true, true,
                integer("bos_token_id", -1), eos());
    }

    private ModelConfig llama() {
        String act = text("hidden_act", "silu");
        check(act.equals("silu"), "hidden_act '" + excerpt(act) + "' is not supported (only silu)");
        check(!bool("mlp_bias", false), "mlp_bias true is not supported");
        check(!bool("use_sliding_window", false), "use_sliding_window true is not supported");
        int layers = layers();
        int heads = integer(HEADS.in(type));
        boolean qkvBias = type.equals("qwen2") || bool("attention_bias", false);
        ModelConfig c = new ModelConfig(type, integer(VOCAB.in(type)), integer(WIDTH.in(type)), layers, heads,
                integer(KV_HEADS.in(type), heads), integer(MLP.in(type)), integer(POSITIONS.in(type), 2048),
                number(EPS.in(type), 1e-6), true, new int[layers], number("rope_theta", 10000.0), qkvBias, false,
                bool("tie_word_embeddings", type.equals("qwen2")), integer("bos_token_id", -1), eos(), ropeScaling());
        if (present("head_dim")) {
            int hd = integer("head_dim");
            check(hd == c.headDim(), "head_dim " + hd + " != " + WIDTH.in(type) + " / " + HEADS.in(type) + " = " + c.headDim()
                    + " is not supported");
        }
        return c;
    }

    private ModelConfig.RopeScaling ropeScaling() {
        if (!present("rope_scaling")) {
            return null;
        }
        JsonNode s = j.get("rope_scaling");
        check(s.isObject(), "rope_scaling must be an object");
        ConfigParser r = new ConfigParser(s, type, "rope_scaling.");
        String kind = r.present("rope_type") ? r.text("rope_type", "") : r.text("type", "");
        check(kind.equals("llama3"), "rope_scaling type '" + excerpt(kind) + "' is not supported (supported: llama3)");
        return new ModelConfig.RopeScaling(r.number("factor", 8.0), r.number("low_freq_factor", 1.0), r.number("high_freq_factor", 4.0),
                r.integer("original_max_position_embeddings", 8192));
    }

    /** The layer count, range-checked before anything per layer is built. */
    private int layers() {
        int layers = integer(LAYERS.in(type));
        ConfigValidator.range(type, LAYERS, layers, 1, ConfigValidator.MAX_LAYERS);
        return layers;
    }

    private void activation() {
        String act = text("activation_function", "gelu_new");
        check(act.equals("gelu_new") || act.equals("gelu_pytorch_tanh"), "activation_function '" + excerpt(act)
                + "' is not supported (gelu_new, gelu_pytorch_tanh)");
    }

    /** GPT-Neo and GPT-2 always unembed with the token embedding. */
    private void tiedGpt() {
        check(bool("tie_word_embeddings", true), "tie_word_embeddings false is not supported for " + type);
    }

    /** The first of eos_token_id (an id or a list of ids), or -1. */
    private int eos() {
        JsonNode e = j.get("eos_token_id");
        if (e == null || !e.isArray()) {
            return integer("eos_token_id", -1);
        }
        for (int i = 0; i < e.size(); i++) {
            intValue("eos_token_id[" + i + "]", e.get(i));
        }
        return e.isEmpty() ? -1 : e.get(0).intValue();
    }

    private boolean present(String key) {
        return j.hasNonNull(key);
    }

    private int integer(String key) {
        check(present(key), "missing integer field '" + prefix + key + "'");
        return intValue(prefix + key, j.get(key));
    }

    private int integer(String key, int dflt) {
        return present(key) ? intValue(prefix + key, j.get(key)) : dflt;
    }

    static int intValue(String key, JsonNode n) {
        check(n.isIntegralNumber() && n.canConvertToInt(), key + " " + show(n) + " is not a 32-bit integer");
        return n.intValue();
    }

    private double number(String key, double dflt) {
        if (!present(key)) {
            return dflt;
        }
        JsonNode n = j.get(key);
        check(n.isNumber() && Double.isFinite(n.doubleValue()), prefix + key + " " + show(n) + " is not a finite number");
        return n.doubleValue();
    }

    private boolean bool(String key, boolean dflt) {
        if (!present(key)) {
            return dflt;
        }
        check(j.get(key).isBoolean(), prefix + key + " " + show(j.get(key)) + " is not true or false");
        return j.get(key).booleanValue();
    }

    private String text(String key, String dflt) {
        if (!present(key)) {
            return dflt;
        }
        check(j.get(key).isTextual(), prefix + key + " " + show(j.get(key)) + " is not a string");
        return j.get(key).textValue();
    }

    /** A value for a message: numbers as Java prints them (Infinity, not "Infinity"), the rest as JSON, shortened. */
    static String show(JsonNode n) {
        return excerpt(n.isNumber() ? n.asText() : n.toString());
    }
}
