package org.tinysql.model.arch;

/**
 * How one HuggingFace tensor maps onto our parameters: copied, transposed (GPT-2's Conv1D weights), or a fused q/k/v
 * weight or bias split into {@code ours + "Q"/"K"/"V"} (GPT-2's c_attn).
 *
 * @param hf   the tensor name in the checkpoint
 * @param ours our parameter name (the prefix for the fused kinds)
 * @param kind how the values move
 */
public record TensorMapping(String hf, String ours, Kind kind) {
    /** How the values move between the two layouts. */
    public enum Kind { COPY, TRANSPOSE, QKV_WEIGHT, QKV_BIAS }

    public static TensorMapping copy(String hf, String ours) {
        return new TensorMapping(hf, ours, Kind.COPY);
    }
}
