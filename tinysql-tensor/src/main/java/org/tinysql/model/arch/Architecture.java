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
    /** HF {@code model_type}, e.g. "gpt2". */
    String modelType();

    /** HF {@code architectures[0]}, e.g. "GPT2LMHeadModel". */
    String className();

    ModelConfig.Norm norm();

    ModelConfig.Positions positions();

    ModelConfig.Mlp mlp();

    /** The config.json keys of the sizes, for messages. */
    ConfigKeys keys();

    /** Reads this type's config.json (already known to have this model_type); errors name the key. */
    ModelConfig fromJson(ConfigReader r);

    /** Writes this type's keys of config.json (model_type, architectures, token ids and dtype are written by the caller). */
    void toJson(ModelConfig c, ObjectNode j);

    /** The checkpoint tensors of a config and how each maps onto our parameters, in file order. */
    List<TensorMapping> tensors(ModelConfig c);

    /** Tensors some checkpoints of this type hold that are not parameters (attention masks, RoPE tables). */
    default boolean ignoredTensor(String hfName) {
        return false;
    }

    /**
     * Fails unless this type's config.json can describe {@code c} (its components, biases, tying): a config built in
     * code must survive a save and load unchanged.
     */
    void validate(ModelConfig c);
}
