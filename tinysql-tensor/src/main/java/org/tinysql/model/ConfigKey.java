package org.tinysql.model;

/** The config.json keys of the architecture sizes, which differ between model types (GPT-Neo, GPT-2, Llama/Qwen2). */
enum ConfigKey {
    VOCAB("vocab_size", "vocab_size", "vocab_size"),
    WIDTH("hidden_size", "n_embd", "hidden_size"),
    LAYERS("num_layers", "n_layer", "num_hidden_layers"),
    HEADS("num_heads", "n_head", "num_attention_heads"),
    KV_HEADS("num_heads", "n_head", "num_key_value_heads"),
    MLP("intermediate_size", "n_inner", "intermediate_size"),
    POSITIONS("max_position_embeddings", "n_positions", "max_position_embeddings"),
    EPS("layer_norm_epsilon", "layer_norm_epsilon", "rms_norm_eps");

    private final String gptNeo;
    private final String gpt2;
    private final String llama;

    ConfigKey(String gptNeo, String gpt2, String llama) {
        this.gptNeo = gptNeo;
        this.gpt2 = gpt2;
        this.llama = llama;
    }

    /** The key in a config.json of this model type. */
    String in(String modelType) {
        return switch (modelType) {
            case "gpt_neo" -> gptNeo;
            case "gpt2" -> gpt2;
            default -> llama;
        };
    }
}
