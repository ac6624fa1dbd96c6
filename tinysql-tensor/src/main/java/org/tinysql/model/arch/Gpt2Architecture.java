package org.tinysql.model.arch;

import static org.tinysql.model.ConfigValidator.check;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.arch.TensorMapping.Kind;

/**
 * GPT-2 ({@code gpt2}, GPT2LMHeadModel): scaled attention, global attention in every layer, q/k/v biases. Its
 * checkpoints store linear weights as Conv1D ([in, out], transposed to ours) and q/k/v fused in {@code c_attn}.
 */
final class Gpt2Architecture extends GptArchitecture {
    private static final ConfigKeys KEYS = new ConfigKeys("vocab_size", "n_embd", "n_layer", "n_head", "n_head", "n_inner",
            "n_positions", "layer_norm_epsilon");

    @Override
    public String modelType() {
        return "gpt2";
    }

    @Override
    public String className() {
        return "GPT2LMHeadModel";
    }

    @Override
    public ConfigKeys keys() {
        return KEYS;
    }

    @Override
    public ModelConfig fromJson(ConfigReader r) {
        Head head = head(r);
        int c = head.width();
        int layers = head.layers();
        check(r.bool("scale_attn_weights", true), "scale_attn_weights false is not supported");
        int heads = r.integer(KEYS.heads());
        return new ModelConfig(modelType(), r.integer(KEYS.vocab()), c, layers, heads, heads, r.integer(KEYS.mlp(), 4 * c),
                r.integer(KEYS.positions(), 1024), r.number(KEYS.eps(), 1e-5), true, new int[layers], 0, true, true, head.tied(),
                r.bos(), r.eos());
    }

    @Override
    public void toJson(ModelConfig c, ObjectNode j) {
        j.put("vocab_size", c.vocabSize());
        j.put("n_embd", c.dModel());
        j.put("n_layer", c.nLayers());
        j.put("n_head", c.nHeads());
        j.put("n_inner", c.dMlp());
        j.put("n_positions", c.maxPositions());
        commonJson(c, j);
    }

    @Override
    TensorMapping.Kind linearKind() {
        return TensorMapping.Kind.TRANSPOSE;
    }

    @Override
    void attentionTensors(String h, String o, List<TensorMapping> m) {
        m.add(new TensorMapping(h + "attn.c_attn.weight", o + "attn.W_", Kind.QKV_WEIGHT));
        m.add(new TensorMapping(h + "attn.c_attn.bias", o + "attn.b_", Kind.QKV_BIAS));
        m.add(new TensorMapping(h + "attn.c_proj.weight", o + "attn.W_O", Kind.TRANSPOSE));
        m.add(TensorMapping.copy(h + "attn.c_proj.bias", o + "attn.b_O"));
    }

    @Override
    public void validate(ModelConfig c) {
        checkCommon(c, true, true);
        for (int w : c.localWindows()) {
            org.tinysql.model.ConfigValidator.check(w == 0, "gpt2 has no local attention layers");
        }
    }
}
