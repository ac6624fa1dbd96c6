package org.tinysql.model.arch;

/**
 * The config.json keys under which a model type stores its sizes (they differ: GPT-2's {@code n_embd} is Llama's
 * {@code hidden_size}), so that validation messages name the key the user sees in the file.
 */
public record ConfigKeys(String vocab, String width, String layers, String heads, String kvHeads, String mlp, String positions,
                         String eps) {
}
