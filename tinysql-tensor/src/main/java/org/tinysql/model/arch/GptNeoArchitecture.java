package org.tinysql.model.arch;

import static org.tinysql.model.ConfigValidator.check;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.tinysql.model.ModelConfig;

/**
 * GPT-Neo ({@code gpt_neo}, GPTNeoForCausalLM; e.g. TinyStories): unscaled attention scores, layers alternating
 * global and local (windowed) attention, separate q/k/v projections without biases.
 */
final class GptNeoArchitecture extends GptArchitecture {
    private static final ConfigKeys KEYS = new ConfigKeys("vocab_size", "hidden_size", "num_layers", "num_heads", "num_heads",
            "intermediate_size", "max_position_embeddings", "layer_norm_epsilon");

    @Override
    public String modelType() {
        return "gpt_neo";
    }

    @Override
    public String className() {
        return "GPTNeoForCausalLM";
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
        int window = r.integer("window_size", 256);
        check(window >= 0, "window_size " + window + " must not be negative");
        int[] windows = new int[layers];
        String[] kinds = GptNeoAttention.layerTypes(r.json(), layers);
        for (int i = 0; kinds != null && i < layers; i++) {
            check(kinds[i].equals("global") || window > 0, "window_size " + window + " must be positive for local attention layers");
            windows[i] = kinds[i].equals("local") ? window : 0;
        }
        int heads = r.integer(KEYS.heads());
        return new ModelConfig(modelType(), r.integer(KEYS.vocab()), c, layers, heads, heads, r.integer(KEYS.mlp(), 4 * c),
                r.integer(KEYS.positions(), 2048), r.number(KEYS.eps(), 1e-5), false, windows, 0, false, true, head.tied(), r.bos(),
                r.eos());
    }

    @Override
    public void toJson(ModelConfig c, ObjectNode j) {
        j.put("vocab_size", c.vocabSize());
        j.put("hidden_size", c.dModel());
        j.put("num_layers", c.nLayers());
        j.put("num_heads", c.nHeads());
        j.put("intermediate_size", c.dMlp());
        j.put("max_position_embeddings", c.maxPositions());
        ArrayNode layers = j.putArray("attention_layers");
        int window = 256;
        for (int w : c.localWindows()) {
            layers.add(w > 0 ? "local" : "global");
            window = w > 0 ? w : window;
        }
        ArrayNode types = j.putArray("attention_types");
        for (int w : c.localWindows()) {
            ArrayNode t = types.addArray();
            t.addArray().add(w > 0 ? "local" : "global");
            t.add(1);
        }
        j.put("window_size", window);
        commonJson(c, j);
    }

    @Override
    TensorMapping.Kind linearKind() {
        return TensorMapping.Kind.COPY;
    }

    @Override
    void attentionTensors(String h, String o, List<TensorMapping> m) {
        for (String x : List.of("q", "k", "v")) {
            m.add(TensorMapping.copy(h + "attn.attention." + x + "_proj.weight", o + "attn.W_" + x.toUpperCase()));
        }
        m.add(TensorMapping.copy(h + "attn.attention.out_proj.weight", o + "attn.W_O"));
        m.add(TensorMapping.copy(h + "attn.attention.out_proj.bias", o + "attn.b_O"));
    }

    @Override
    public void validate(ModelConfig c) {
        checkCommon(c, false, false);
    }
}
