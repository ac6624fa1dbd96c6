package org.tinysql.model.arch;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registry of supported {@link Architecture}s by HF {@code model_type}. */
public final class Architectures {
    private static final Map<String, Architecture> BY_TYPE = new LinkedHashMap<>();

    static {
        for (Architecture a : List.of(new GptNeoArchitecture(), new Gpt2Architecture(), new LlamaArchitecture(),
                new Qwen2Architecture())) {
            BY_TYPE.put(a.modelType(), a);
        }
    }

    private Architectures() {
    }

    /**
     * The supported model types, e.g. for messages.
     * @return the model_type strings, in registration order
     */
    public static List<String> modelTypes() {
        return List.copyOf(BY_TYPE.keySet());
    }

    /**
     * The HF class names of the supported types.
     * @return the architectures[0] class names, in registration order
     */
    public static List<String> classNames() {
        return BY_TYPE.values().stream().map(Architecture::className).toList();
    }

    /**
     * The architecture of {@code modelType}, or null when it is not supported.
     * @param modelType an HF model_type, or null
     * @return the registered architecture, or null
     */
    public static Architecture find(String modelType) {
        return modelType == null ? null : BY_TYPE.get(modelType);
    }

    /**
     * The architecture of {@code modelType}; an IllegalArgumentException naming the supported types otherwise.
     * @param modelType an HF model_type
     * @return the registered architecture
     */
    public static Architecture of(String modelType) {
        Architecture a = find(modelType);
        if (a == null) {
            throw new IllegalArgumentException("invalid model config: unsupported model_type '" + modelType + "' (supported: "
                    + modelTypes() + ")");
        }
        return a;
    }
}
