package org.tinysql.model.arch;

/**
 * The config.json keys under which a model type stores its sizes (they differ: GPT-2's {@code n_embd} is Llama's
 * {@code hidden_size}), so that validation messages name the key the user sees in the file.
 * @param vocab the key of V, e.g. {@code vocab_size}
 * @param width the key of C, e.g. {@code n_embd} or {@code hidden_size}
 * @param layers the key of L, e.g. {@code n_layer} or {@code num_hidden_layers}
 * @param heads the key of H, e.g. {@code n_head} or {@code num_attention_heads}
 * @param kvHeads the key of the key/value heads, e.g. {@code num_key_value_heads}
 * @param mlp the key of the MLP width, e.g. {@code n_inner} or {@code intermediate_size}
 * @param positions the key of the maximum positions, e.g. {@code n_positions} or {@code max_position_embeddings}
 * @param eps the key of the norm epsilon, e.g. {@code layer_norm_epsilon} or {@code rms_norm_eps}
 */
public record ConfigKeys(String vocab, String width, String layers, String heads, String kvHeads, String mlp, String positions,
                         String eps) {
}
