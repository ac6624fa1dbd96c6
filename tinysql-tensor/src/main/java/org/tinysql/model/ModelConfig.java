package org.tinysql.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Architecture of a transformer, read from and written to HuggingFace {@code config.json}.
 *
 * <p>Two families: {@link Family#GPT} (GPT-Neo, GPT-2: LayerNorm, learned positions, GELU-tanh, biases) and
 * {@link Family#LLAMA} (Llama, Qwen2: RMSNorm, RoPE, SwiGLU, grouped-query attention).
 *
 * @param modelType        HF model_type: gpt_neo, gpt2, llama or qwen2
 * @param vocabSize        V
 * @param dModel           C
 * @param nLayers          L
 * @param nHeads           H
 * @param nKvHeads         key/value heads (H unless grouped-query attention)
 * @param dMlp             MLP hidden width
 * @param maxPositions     learned position rows (GPT) or maximum context (LLaMA)
 * @param normEps          LayerNorm / RMSNorm epsilon
 * @param scaleScores      whether attention scores are divided by sqrt(D) (GPT-Neo does not)
 * @param localWindows     per layer: 0 for global attention, else the local window (keys i-w < j <= i)
 * @param ropeTheta        RoPE base (LLaMA family)
 * @param qkvBias          whether q/k/v projections have biases (GPT-2, Qwen2)
 * @param outBias          whether the attention output and MLP projections have biases (GPT family)
 * @param tiedEmbeddings   whether the unembedding is the embedding matrix
 * @param bosTokenId       HF bos_token_id (or -1)
 * @param eosTokenId       HF eos_token_id (or -1)
 * @param ropeScaling      Llama-3 style RoPE frequency scaling, or null
 */
public record ModelConfig(String modelType, int vocabSize, int dModel, int nLayers, int nHeads, int nKvHeads, int dMlp,
                          int maxPositions, double normEps, boolean scaleScores, int[] localWindows, double ropeTheta,
                          boolean qkvBias, boolean outBias, boolean tiedEmbeddings, int bosTokenId, int eosTokenId,
                          RopeScaling ropeScaling) {

    /** HF rope_scaling of type "llama3": long wavelengths divided by factor, a smooth band in between. */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
    }

    /** Without RoPE scaling. */
    public ModelConfig(String modelType, int vocabSize, int dModel, int nLayers, int nHeads, int nKvHeads, int dMlp,
                       int maxPositions, double normEps, boolean scaleScores, int[] localWindows, double ropeTheta,
                       boolean qkvBias, boolean outBias, boolean tiedEmbeddings, int bosTokenId, int eosTokenId) {
        this(modelType, vocabSize, dModel, nLayers, nHeads, nKvHeads, dMlp, maxPositions, normEps, scaleScores, localWindows,
                ropeTheta, qkvBias, outBias, tiedEmbeddings, bosTokenId, eosTokenId, null);
    }

    /** RoPE inverse frequencies [D/2] (theta^(-2i/D)), with the Llama-3 scaling applied when configured. */
    public double[] ropeInverseFrequencies() {
        int d = headDim();
        double[] inv = new double[d / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(ropeTheta, (2.0 * i) / d);
        }
        if (ropeScaling != null) {
            RopeScaling s = ropeScaling;
            double lowWavelen = s.originalMaxPositions() / s.lowFreqFactor();
            double highWavelen = s.originalMaxPositions() / s.highFreqFactor();
            for (int i = 0; i < inv.length; i++) {
                double wavelen = 2 * Math.PI / inv[i];
                if (wavelen > lowWavelen) {
                    inv[i] = inv[i] / s.factor();
                } else if (wavelen >= highWavelen) {
                    double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                    inv[i] = (1 - smooth) * inv[i] / s.factor() + smooth * inv[i];
                }
            }
        }
        return inv;
    }

    /** Model families. */
    public enum Family { GPT, LLAMA }

    /** The normalisation of every block and of the final stream. */
    public enum Norm { LAYER_NORM, RMS_NORM }

    /** How positions enter: learned absolute embeddings added to the tokens, or rotary q/k rotation. */
    public enum Positions { LEARNED, ROTARY }

    /** The MLP: W_out gelu(W_in x + b_in) + b_out, or W_out (silu(W_gate x) * W_in x). */
    public enum Mlp { GELU, SWIGLU }

    /** The normalisation this architecture uses (LayerNorm with a bias, or RMSNorm). */
    public Norm norm() {
        return family() == Family.GPT ? Norm.LAYER_NORM : Norm.RMS_NORM;
    }

    /** Learned absolute positions or rotary embeddings. */
    public Positions positions() {
        return family() == Family.GPT ? Positions.LEARNED : Positions.ROTARY;
    }

    /** The longest sequence the model can read: max_position_embeddings with learned positions, else unbounded. */
    public int maxSequenceLength() {
        return positions() == Positions.LEARNED ? maxPositions : Integer.MAX_VALUE;
    }

    /** GELU or SwiGLU MLP. */
    public Mlp mlp() {
        return family() == Family.GPT ? Mlp.GELU : Mlp.SWIGLU;
    }

    public static final List<String> SUPPORTED = List.of("gpt_neo", "gpt2", "llama", "qwen2");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public ModelConfig {
        if (!SUPPORTED.contains(modelType)) {
            throw new IllegalArgumentException("unsupported model_type '" + modelType + "' (supported: " + SUPPORTED + ")");
        }
        check(vocabSize > 0, "vocab_size must be positive");
        check(dModel > 0 && nHeads > 0 && dModel % nHeads == 0, "hidden size " + dModel + " must be a positive multiple of the "
                + nHeads + " heads");
        check(nKvHeads > 0 && nHeads % nKvHeads == 0, "num_key_value_heads " + nKvHeads + " must divide num_attention_heads " + nHeads);
        check(nLayers > 0, "the number of layers must be positive");
        check(localWindows.length == nLayers, "attention layer types list " + localWindows.length + " entries for " + nLayers + " layers");
        check(dMlp > 0, "intermediate size must be positive");
        localWindows = localWindows.clone();
        if (!modelType.startsWith("gpt")) {
            check((dModel / nHeads) % 2 == 0, "head dim must be even for RoPE");
        }
    }

    private static void check(boolean ok, String msg) {
        if (!ok) {
            throw new IllegalArgumentException("invalid model config: " + msg);
        }
    }

    public Family family() {
        return modelType.equals("gpt_neo") || modelType.equals("gpt2") ? Family.GPT : Family.LLAMA;
    }

    /** Head dimension D = C / H. */
    public int headDim() {
        return dModel / nHeads;
    }

    /** A small GPT-Neo style model for training from scratch (e.g. on TinySQL with the SqlVocabTokenizer). */
    public static ModelConfig gptNeo(int vocab, int d, int layers, int heads, int maxPos) {
        int[] windows = new int[layers];
        return new ModelConfig("gpt_neo", vocab, d, layers, heads, heads, 4 * d, maxPos, 1e-5, false, windows, 0, false,
                true, true, -1, -1);
    }

    /** A GPT-2 style model (scaled attention, q/k/v biases). */
    public static ModelConfig gpt2(int vocab, int d, int layers, int heads, int maxPos) {
        return new ModelConfig("gpt2", vocab, d, layers, heads, heads, 4 * d, maxPos, 1e-5, true, new int[layers], 0, true,
                true, true, -1, -1);
    }

    /**
     * A small Llama style model for training from scratch: RMSNorm, RoPE (theta 10000), SwiGLU with a hidden width of
     * 8C/3 rounded up to a multiple of 16 (about the parameters of a 4C GELU MLP), no biases, tied embeddings.
     */
    public static ModelConfig llama(int vocab, int d, int layers, int heads, int maxPos) {
        int mlp = (8 * d / 3 + 15) / 16 * 16;
        return new ModelConfig("llama", vocab, d, layers, heads, heads, mlp, maxPos, 1e-5, true, new int[layers], 10000.0,
                false, false, true, -1, -1);
    }

    public ModelConfig withTokens(int bos, int eos) {
        return new ModelConfig(modelType, vocabSize, dModel, nLayers, nHeads, nKvHeads, dMlp, maxPositions, normEps,
                scaleScores, localWindows, ropeTheta, qkvBias, outBias, tiedEmbeddings, bos, eos, ropeScaling);
    }

    public static ModelConfig load(Path configJson) throws IOException {
        Path f = Files.isDirectory(configJson) ? configJson.resolve("config.json") : configJson;
        if (!Files.exists(f)) {
            throw new IOException("no config.json at " + f);
        }
        try {
            return fromJson(MAPPER.readTree(f.toFile()));
        } catch (IllegalArgumentException e) {
            throw new IOException(f + ": " + e.getMessage(), e);
        }
    }

    /** Parses a HuggingFace config.json tree. */
    public static ModelConfig fromJson(JsonNode j) {
        String type = j.path("model_type").asText("");
        if (!SUPPORTED.contains(type)) {
            String arch = j.path("architectures").toString();
            throw new IllegalArgumentException("unsupported architecture: model_type '" + type + "' " + arch
                    + " (supported: GPTNeoForCausalLM, GPT2LMHeadModel, LlamaForCausalLM, Qwen2ForCausalLM)");
        }
        int bos = j.path("bos_token_id").asInt(-1);
        int eos = j.path("eos_token_id").isArray() ? j.path("eos_token_id").path(0).asInt(-1) : j.path("eos_token_id").asInt(-1);
        switch (type) {
            case "gpt_neo": {
                int c = req(j, "hidden_size");
                int layers = req(j, "num_layers");
                int[] windows = new int[layers];
                JsonNode al = j.get("attention_layers");
                int window = j.path("window_size").asInt(256);
                if (al != null && al.isArray()) {
                    if (al.size() != layers) {
                        throw new IllegalArgumentException("attention_layers has " + al.size() + " entries for " + layers + " layers");
                    }
                    for (int i = 0; i < layers; i++) {
                        windows[i] = al.get(i).asText().equals("local") ? window : 0;
                    }
                }
                String act = j.path("activation_function").asText("gelu_new");
                checkActivation(act);
                int inter = j.hasNonNull("intermediate_size") ? j.get("intermediate_size").asInt() : 4 * c;
                return new ModelConfig(type, req(j, "vocab_size"), c, layers, req(j, "num_heads"), req(j, "num_heads"), inter,
                        j.path("max_position_embeddings").asInt(2048), j.path("layer_norm_epsilon").asDouble(1e-5), false,
                        windows, 0, false, true, true, bos, eos);
            }
            case "gpt2": {
                int c = req(j, "n_embd");
                int layers = req(j, "n_layer");
                checkActivation(j.path("activation_function").asText("gelu_new"));
                int inter = j.hasNonNull("n_inner") ? j.get("n_inner").asInt() : 4 * c;
                return new ModelConfig(type, req(j, "vocab_size"), c, layers, req(j, "n_head"), req(j, "n_head"), inter,
                        j.path("n_positions").asInt(1024), j.path("layer_norm_epsilon").asDouble(1e-5), true,
                        new int[layers], 0, true, true, true, bos, eos);
            }
            default: {
                String act = j.path("hidden_act").asText("silu");
                if (!act.equals("silu")) {
                    throw new IllegalArgumentException("hidden_act '" + act + "' is not supported (only silu)");
                }
                int layers = req(j, "num_hidden_layers");
                int heads = req(j, "num_attention_heads");
                boolean qkvBias = type.equals("qwen2") || j.path("attention_bias").asBoolean(false);
                if (j.hasNonNull("head_dim") && j.get("head_dim").asInt() != req(j, "hidden_size") / heads) {
                    throw new IllegalArgumentException("head_dim " + j.get("head_dim").asInt() + " != hidden_size / heads is not supported");
                }
                JsonNode scaling = j.get("rope_scaling");
                RopeScaling rs = null;
                if (scaling != null && !scaling.isNull()) {
                    String kind = scaling.path("rope_type").asText(scaling.path("type").asText(""));
                    if (!kind.equals("llama3")) {
                        throw new IllegalArgumentException("rope_scaling type '" + kind + "' is not supported (supported: llama3)");
                    }
                    rs = new RopeScaling(scaling.path("factor").asDouble(8.0), scaling.path("low_freq_factor").asDouble(1.0),
                            scaling.path("high_freq_factor").asDouble(4.0), scaling.path("original_max_position_embeddings").asInt(8192));
                }
                return new ModelConfig(type, req(j, "vocab_size"), req(j, "hidden_size"), layers, heads,
                        j.path("num_key_value_heads").asInt(heads), req(j, "intermediate_size"),
                        j.path("max_position_embeddings").asInt(2048), j.path("rms_norm_eps").asDouble(1e-6), true,
                        new int[layers], j.path("rope_theta").asDouble(10000.0), qkvBias, false,
                        j.path("tie_word_embeddings").asBoolean(type.equals("qwen2")), bos, eos, rs);
            }
        }
    }

    private static void checkActivation(String act) {
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw new IllegalArgumentException("activation_function '" + act + "' is not supported (gelu_new, gelu_pytorch_tanh)");
        }
    }

    private static int req(JsonNode j, String key) {
        JsonNode n = j.get(key);
        if (n == null || !n.canConvertToInt()) {
            throw new IllegalArgumentException("config.json: missing integer field '" + key + "'");
        }
        return n.asInt();
    }

    /** The HuggingFace config.json of this model. */
    public ObjectNode toJson() {
        ObjectNode j = MAPPER.createObjectNode();
        j.put("model_type", modelType);
        ArrayNode arch = j.putArray("architectures");
        switch (modelType) {
            case "gpt_neo" -> {
                arch.add("GPTNeoForCausalLM");
                j.put("vocab_size", vocabSize);
                j.put("hidden_size", dModel);
                j.put("num_layers", nLayers);
                j.put("num_heads", nHeads);
                j.put("intermediate_size", dMlp);
                j.put("max_position_embeddings", maxPositions);
                ArrayNode layers = j.putArray("attention_layers");
                int window = 256;
                for (int w : localWindows) {
                    layers.add(w > 0 ? "local" : "global");
                    window = w > 0 ? w : window;
                }
                ArrayNode types = j.putArray("attention_types");
                for (int w : localWindows) {
                    ArrayNode t = types.addArray();
                    t.addArray().add(w > 0 ? "local" : "global");
                    t.add(1);
                }
                j.put("window_size", window);
                j.put("activation_function", "gelu_new");
                j.put("layer_norm_epsilon", normEps);
                j.put("tie_word_embeddings", true);
            }
            case "gpt2" -> {
                arch.add("GPT2LMHeadModel");
                j.put("vocab_size", vocabSize);
                j.put("n_embd", dModel);
                j.put("n_layer", nLayers);
                j.put("n_head", nHeads);
                j.put("n_inner", dMlp);
                j.put("n_positions", maxPositions);
                j.put("activation_function", "gelu_new");
                j.put("layer_norm_epsilon", normEps);
                j.put("tie_word_embeddings", true);
            }
            default -> {
                arch.add(modelType.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
                j.put("vocab_size", vocabSize);
                j.put("hidden_size", dModel);
                j.put("intermediate_size", dMlp);
                j.put("num_hidden_layers", nLayers);
                j.put("num_attention_heads", nHeads);
                j.put("num_key_value_heads", nKvHeads);
                j.put("rms_norm_eps", normEps);
                j.put("rope_theta", ropeTheta);
                j.put("hidden_act", "silu");
                j.put("max_position_embeddings", maxPositions);
                j.put("tie_word_embeddings", tiedEmbeddings);
                if (modelType.equals("llama")) {
                    j.put("attention_bias", qkvBias);
                }
                if (ropeScaling != null) {
                    ObjectNode rs = j.putObject("rope_scaling");
                    rs.put("rope_type", "llama3");
                    rs.put("factor", ropeScaling.factor());
                    rs.put("low_freq_factor", ropeScaling.lowFreqFactor());
                    rs.put("high_freq_factor", ropeScaling.highFreqFactor());
                    rs.put("original_max_position_embeddings", ropeScaling.originalMaxPositions());
                }
            }
        }
        if (bosTokenId >= 0) {
            j.put("bos_token_id", bosTokenId);
        }
        if (eosTokenId >= 0) {
            j.put("eos_token_id", eosTokenId);
        }
        j.put("torch_dtype", "float32");
        return j;
    }

    public void save(Path file) throws IOException {
        org.tinysql.util.AtomicFiles.writeString(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelConfig m && toJson().equals(m.toJson()) && Arrays.equals(localWindows, m.localWindows);
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s(V=%d, C=%d, L=%d, H=%d, KV=%d, MLP=%d)", modelType, vocabSize, dModel, nLayers,
                nHeads, nKvHeads, dMlp);
    }
}
