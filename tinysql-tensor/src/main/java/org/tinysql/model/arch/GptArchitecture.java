package org.tinysql.model.arch;

import static org.tinysql.model.ConfigValidator.check;
import static org.tinysql.tensor.CheckpointFormatException.excerpt;

import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /** Only the tanh GELU is implemented. */
    static void activation(ConfigReader r) {
        String act = r.text("activation_function", "gelu_new");
        check(act.equals("gelu_new") || act.equals("gelu_pytorch_tanh"), "activation_function '" + excerpt(act)
                + "' is not supported (gelu_new, gelu_pytorch_tanh)");
    }

    /** Whether the checkpoint unembeds with the token embedding (HF's default for these types) or has lm_head.weight. */
    static boolean tied(ConfigReader r) {
        return r.bool("tie_word_embeddings", true);
    }

    /** The unembedding of an untied model, after the final norm. */
    static void unembedding(ModelConfig c, java.util.List<TensorMapping> m) {
        if (!c.tiedEmbeddings()) {
            m.add(TensorMapping.copy("lm_head.weight", "unembed.W_U"));
        }
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
