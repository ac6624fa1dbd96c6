package org.tinysql.model.arch;

import static org.tinysql.model.ConfigValidator.check;
import static org.tinysql.tensor.CheckpointFormatException.excerpt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.tinysql.model.ConfigValidator;
import org.tinysql.model.ModelConfig;

/**
 * What GPT-Neo and GPT-2 share: LayerNorm with biases, learned absolute positions, a GELU-tanh MLP with biases,
 * multi-head attention (no grouped keys), checkpoint tensors under {@code transformer.}.
 */
abstract class GptArchitecture implements Architecture {
    @Override
    public ModelConfig.Norm norm() {
        return ModelConfig.Norm.LAYER_NORM;
    }

    @Override
    public ModelConfig.Positions positions() {
        return ModelConfig.Positions.LEARNED;
    }

    @Override
    public ModelConfig.Mlp mlp() {
        return ModelConfig.Mlp.GELU;
    }

    /** The width, layer count and tying every GPT config.json starts with (read in this order, for messages). */
    record Head(int width, int layers, boolean tied) {
    }

    Head head(ConfigReader r) {
        int c = r.integer(keys().width());
        int layers = r.count(keys().layers(), 1, ConfigValidator.MAX_LAYERS);
        activation(r);
        return new Head(c, layers, r.bool("tie_word_embeddings", true));
    }

    /** How this type stores the MLP's linear weights: as ours (COPY) or as Conv1D [in, out] (TRANSPOSE). */
    abstract TensorMapping.Kind linearKind();

    /** The attention tensors of one block: checkpoint prefix {@code h}, ours {@code o}. */
    abstract void attentionTensors(String h, String o, List<TensorMapping> m);

    @Override
    public List<TensorMapping> tensors(ModelConfig c) {
        List<TensorMapping> m = new ArrayList<>();
        m.add(TensorMapping.copy("transformer.wte.weight", "embed.W_E"));
        m.add(TensorMapping.copy("transformer.wpe.weight", "pos_embed.W_pos"));
        for (int i = 0; i < c.nLayers(); i++) {
            String h = "transformer.h." + i + ".";
            String o = "blocks." + i + ".";
            m.add(TensorMapping.copy(h + "ln_1.weight", o + "ln1.w"));
            m.add(TensorMapping.copy(h + "ln_1.bias", o + "ln1.b"));
            attentionTensors(h, o, m);
            m.add(TensorMapping.copy(h + "ln_2.weight", o + "ln2.w"));
            m.add(TensorMapping.copy(h + "ln_2.bias", o + "ln2.b"));
            m.add(new TensorMapping(h + "mlp.c_fc.weight", o + "mlp.W_in", linearKind()));
            m.add(TensorMapping.copy(h + "mlp.c_fc.bias", o + "mlp.b_in"));
            m.add(new TensorMapping(h + "mlp.c_proj.weight", o + "mlp.W_out", linearKind()));
            m.add(TensorMapping.copy(h + "mlp.c_proj.bias", o + "mlp.b_out"));
        }
        m.add(TensorMapping.copy("transformer.ln_f.weight", "ln_final.w"));
        m.add(TensorMapping.copy("transformer.ln_f.bias", "ln_final.b"));
        if (!c.tiedEmbeddings()) {
            m.add(TensorMapping.copy("lm_head.weight", "unembed.W_U"));
        }
        return m;
    }

    /** Only the tanh GELU is implemented. */
    static void activation(ConfigReader r) {
        String act = r.text("activation_function", "gelu_new");
        check(act.equals("gelu_new") || act.equals("gelu_pytorch_tanh"), "activation_function '" + excerpt(act)
                + "' is not supported (gelu_new, gelu_pytorch_tanh)");
    }

    /** The keys both types write the same way. */
    static void commonJson(ModelConfig c, ObjectNode j) {
        j.put("activation_function", "gelu_new");
        j.put("layer_norm_epsilon", c.normEps());
        j.put("tie_word_embeddings", c.tiedEmbeddings());
    }

    @Override
    public boolean ignoredTensor(String hf) {
        return hf.endsWith(".attn.bias") || hf.endsWith(".attn.masked_bias") || hf.endsWith("attention.bias")
                || hf.endsWith("attention.masked_bias") || hf.equals("lm_head.weight");
    }

    /** The components and biases every GPT-style config has, and the type's own attention options. */
    void checkCommon(ModelConfig c, boolean scaled, boolean qkvBias) {
        check(c.norm() == norm() && c.positions() == positions() && c.mlp() == mlp(), modelType()
                + " models use LayerNorm, learned positions and a GELU MLP, not " + c.norm() + "/" + c.positions() + "/" + c.mlp());
        check(c.outBias() && c.qkvBias() == qkvBias && c.scaleScores() == scaled && c.nKvHeads() == c.nHeads(), modelType()
                + " has output biases, " + (qkvBias ? "" : "no ") + "q/k/v biases, " + (scaled ? "" : "un") + "scaled attention and no"
                + " grouped keys");
    }
}
