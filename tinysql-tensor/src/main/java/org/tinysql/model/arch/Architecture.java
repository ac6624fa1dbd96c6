package org.tinysql.model.arch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.tinysql.model.ModelConfig;

/**
 * Everything that one HuggingFace {@code model_type} means, in one file per type: which components its models use,
 * how its config.json reads into a {@link ModelConfig} and back, and how its tensor names map onto our parameters.
 * Nothing else in the engine or in interpretability code branches on the model type. To add an architecture,
 * implement this interface, register it in {@link Architectures}, and add a reference fixture (docs/ARCHITECTURE.md).
 */
public interface Architecture {
    /**
     * HF {@code model_type}, e.g. "gpt2".
     * @return the model_type string of config.json
     */
    String modelType();

    /**
     * HF {@code architectures[0]}, e.g. "GPT2LMHeadModel".
     * @return the class name written to config.json's architectures
     */
    String className();

    /**
     * The normalisation this type's models use.
     * @return LayerNorm or RMSNorm
     */
    ModelConfig.Norm norm();

    /**
     * How this type's models encode positions.
     * @return learned or rotary
     */
    ModelConfig.Positions positions();

    /**
     * The MLP form of this type's models.
     * @return GELU or SwiGLU
     */
    ModelConfig.Mlp mlp();

    /**
     * The config.json keys of the sizes, for messages.
     * @return the key names of V, C, L, H, KV, MLP width, positions and epsilon in this type's config.json
     */
    ConfigKeys keys();

    /**
     * Reads this type's config.json (already known to have this model_type); errors name the key.
     * @param r the config.json, wrapped for checked reads
     * @return the validated config
     */
    ModelConfig fromJson(ConfigReader r);

    /**
     * Writes this type's keys of config.json (model_type, architectures, token ids and dtype are written by the
     * caller).
     * @param c the config to write; must pass {@link #validate}
     * @param j the JSON object to add the keys to
     */
    void toJson(ModelConfig c, ObjectNode j);

    /**
     * The checkpoint tensors of a config and how each maps onto our parameters, in file order.
     * @param c the config whose tensors are listed
     * @return one mapping per checkpoint tensor
     */
    List<TensorMapping> tensors(ModelConfig c);

    /**
     * Tensors some checkpoints of this type hold that are not parameters (attention masks, RoPE tables).
     * @param hfName a tensor name found in a checkpoint
     * @return true when the tensor is to be skipped on load
     */
    default boolean ignoredTensor(String hfName) {
        return false;
    }

    /**
     * Fails unless this type's config.json can describe {@code c} (its components, biases, tying): a config built in
     * code must survive a save and load unchanged.
     * @param c the config to check
     */
    void validate(ModelConfig c);
}
