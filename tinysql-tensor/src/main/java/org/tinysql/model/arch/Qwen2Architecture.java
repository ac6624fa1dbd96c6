package org.tinysql.model.arch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.tinysql.model.ModelConfig;

/**
 * Qwen2 ({@code qwen2}, Qwen2ForCausalLM; e.g. Qwen2.5-0.5B): a Llama whose q/k/v projections always have biases.
 * Like HF's Qwen2Config, embeddings are untied unless config.json says {@code tie_word_embeddings: true} (as
 * Qwen2.5-0.5B does).
 */
final class Qwen2Architecture extends LlamaArchitecture {
    @Override
    public String modelType() {
        return "qwen2";
    }

    @Override
    public String className() {
        return "Qwen2ForCausalLM";
    }

    @Override
    boolean qkvBias(ConfigReader r) {
        return true;
    }

    @Override
    boolean qkvBiasAlways() {
        return true;
    }

    @Override
    void biasJson(ModelConfig c, ObjectNode j) {
        // implied by the type
    }

}
