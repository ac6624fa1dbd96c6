package org.tinysql.model.arch;

import static org.tinysql.model.ConfigValidator.check;
import static org.tinysql.tensor.CheckpointFormatException.excerpt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.tinysql.model.ConfigValidator;
import org.tinysql.model.ModelConfig;

/**
 * Llama ({@code llama}, LlamaForCausalLM; e.g. Llama-3.2-1B): RMSNorm, rotary positions (with Llama-3 frequency
 * scaling), a SwiGLU MLP, grouped-query attention, no biases, optionally tied embeddings. HF's {@code attention_bias:
 * true} (biases on q, k, v and o) is refused: the output bias has no parameter here (Qwen2 has q/k/v biases only). Checkpoint tensors under {@code model.}.
 */
class LlamaArchitecture implements Architecture {
    private static final ConfigKeys KEYS = new ConfigKeys("vocab_size", "hidden_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "intermediate_size", "max_position_embeddings", "rms_norm_eps");

    @Override
    public String modelType() {
        return "llama";
    }

    @Override
    public String className() {
        return "LlamaForCausalLM";
    }

    @Override
    public ModelConfig.Norm norm() {
        return ModelConfig.Norm.RMS_NORM;
    }

    @Override
    public ModelConfig.Positions positions() {
        return ModelConfig.Positions.ROTARY;
    }

    @Override
    public ModelConfig.Mlp mlp() {
        return ModelConfig.Mlp.SWIGLU;
    }

    @Override
    public ConfigKeys keys() {
        return KEYS;
    }

    /** Whether q/k/v have biases, from config.json. */
    boolean qkvBias(ConfigReader r) {
        check(!r.bool("attention_bias", false), "attention_bias true (biases on q, k, v and o_proj) is not supported for llama");
        return false;
    }

    /** Whether this type's q/k/v projections always have biases (Qwen2) or never (Llama). */
    boolean qkvBiasAlways() {
        return false;
    }

    /** HF's default of tie_word_embeddings for this type. */
    boolean tiedByDefault() {
        return false;
    }

    @Override
    public ModelConfig fromJson(ConfigReader r) {
        String act = r.text("hidden_act", "silu");
        check(act.equals("silu"), "hidden_act '" + excerpt(act) + "' is not supported (only silu)");
        check(!r.bool("mlp_bias", false), "mlp_bias true is not supported");
        check(!r.bool("use_sliding_window", false), "use_sliding_window true is not supported");
        int layers = r.count(KEYS.layers(), 1, ConfigValidator.MAX_LAYERS);
        int heads = r.integer(KEYS.heads());
        ModelConfig c = new ModelConfig(modelType(), r.integer(KEYS.vocab()), r.integer(KEYS.width()), layers, heads,
                r.integer(KEYS.kvHeads(), heads), r.integer(KEYS.mlp()), r.integer(KEYS.positions(), 2048),
                r.number(KEYS.eps(), 1e-6), true, new int[layers], r.number("rope_theta", 10000.0), qkvBias(r), false,
                r.bool("tie_word_embeddings", tiedByDefault()), r.bos(), r.eos(), ropeScaling(r));
        if (r.present("head_dim")) {
            int hd = r.integer("head_dim");
            check(hd == c.headDim(), "head_dim " + hd + " != " + KEYS.width() + " / " + KEYS.heads() + " = " + c.headDim()
                    + " is not supported");
        }
        return c;
    }

    private static ModelConfig.RopeScaling ropeScaling(ConfigReader r) {
        if (!r.present("rope_scaling")) {
            return null;
        }
        ConfigReader s = r.object("rope_scaling");
        String kind = s.present("rope_type") ? s.text("rope_type", "") : s.text("type", "");
        check(kind.equals("llama3"), "rope_scaling type '" + excerpt(kind) + "' is not supported (supported: llama3)");
        return new ModelConfig.RopeScaling(s.number("factor", 8.0), s.number("low_freq_factor", 1.0), s.number("high_freq_factor", 4.0),
                s.integer("original_max_position_embeddings", 8192));
    }

    @Override
    public void toJson(ModelConfig c, ObjectNode j) {
        j.put("vocab_size", c.vocabSize());
        j.put("hidden_size", c.dModel());
        j.put("intermediate_size", c.dMlp());
        j.put("num_hidden_layers", c.nLayers());
        j.put("num_attention_heads", c.nHeads());
        j.put("num_key_value_heads", c.nKvHeads());
        j.put("rms_norm_eps", c.normEps());
        j.put("rope_theta", c.ropeTheta());
        j.put("hidden_act", "silu");
        j.put("max_position_embeddings", c.maxPositions());
        j.put("tie_word_embeddings", c.tiedEmbeddings());
        biasJson(c, j);
        ModelConfig.RopeScaling s = c.ropeScaling();
        if (s != null) {
            ObjectNode rs = j.putObject("rope_scaling");
            rs.put("rope_type", "llama3");
            rs.put("factor", s.factor());
            rs.put("low_freq_factor", s.lowFreqFactor());
            rs.put("high_freq_factor", s.highFreqFactor());
            rs.put("original_max_position_embeddings", s.originalMaxPositions());
        }
    }

    /** Writes how this type records q/k/v biases. */
    void biasJson(ModelConfig c, ObjectNode j) {
        j.put("attention_bias", false);
    }

    @Override
    public List<TensorMapping> tensors(ModelConfig c) {
        List<TensorMapping> m = new ArrayList<>();
        m.add(TensorMapping.copy("model.embed_tokens.weight", "embed.W_E"));
        for (int i = 0; i < c.nLayers(); i++) {
            String h = "model.layers." + i + ".";
            String o = "blocks." + i + ".";
            m.add(TensorMapping.copy(h + "input_layernorm.weight", o + "ln1.w"));
            for (String x : List.of("q", "k", "v")) {
                m.add(TensorMapping.copy(h + "self_attn." + x + "_proj.weight", o + "attn.W_" + x.toUpperCase()));
                if (c.qkvBias()) {
                    m.add(TensorMapping.copy(h + "self_attn." + x + "_proj.bias", o + "attn.b_" + x.toUpperCase()));
                }
            }
            m.add(TensorMapping.copy(h + "self_attn.o_proj.weight", o + "attn.W_O"));
            m.add(TensorMapping.copy(h + "post_attention_layernorm.weight", o + "ln2.w"));
            m.add(TensorMapping.copy(h + "mlp.gate_proj.weight", o + "mlp.W_gate"));
            m.add(TensorMapping.copy(h + "mlp.up_proj.weight", o + "mlp.W_in"));
            m.add(TensorMapping.copy(h + "mlp.down_proj.weight", o + "mlp.W_out"));
        }
        m.add(TensorMapping.copy("model.norm.weight", "ln_final.w"));
        if (!c.tiedEmbeddings()) {
            m.add(TensorMapping.copy("lm_head.weight", "unembed.W_U"));
        }
        return m;
    }

    @Override
    public boolean ignoredTensor(String hf) {
        return hf.endsWith("rotary_emb.inv_freq") || hf.equals("lm_head.weight");
    }

    @Override
    public void validate(ModelConfig c) {
        check(c.norm() == norm() && c.positions() == positions() && c.mlp() == mlp(), modelType()
                + " models use RMSNorm, rotary positions and a SwiGLU MLP, not " + c.norm() + "/" + c.positions() + "/" + c.mlp());
        check(!c.outBias() && c.scaleScores(), modelType() + " has scaled attention and no output biases");
        check(c.qkvBias() == qkvBiasAlways(), modelType() + (qkvBiasAlways() ? " always has" : " has no") + " q/k/v biases");
        for (int w : c.localWindows()) {
            check(w == 0, modelType() + " has no local attention layers");
        }
    }
}
