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
    public enum Kind {
        /** The same layout: values copied as they are. */
        COPY,
        /** A matrix stored transposed in the checkpoint (GPT-2's Conv1D [in, out] weights). */
        TRANSPOSE,
        /** A fused [C, 3C] q/k/v weight, split into three transposed [C, C] weights. */
        QKV_WEIGHT,
        /** A fused [3C] q/k/v bias, split into three [C] biases. */
        QKV_BIAS
    }

    /**
     * A tensor copied as it is.
     * @param hf the tensor name in the checkpoint
     * @param ours our parameter name
     * @return the mapping
     */
    public static TensorMapping copy(String hf, String ours) {
        return new TensorMapping(hf, ours, Kind.COPY);
    }
}
