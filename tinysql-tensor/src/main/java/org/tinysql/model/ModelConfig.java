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
import org.tinysql.tensor.CheckpointFormatException;

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

    /** Checks every limit and consistency rule of {@link ConfigValidator}; errors name the config.json key. */
    public ModelConfig(String modelType, int vocabSize, int dModel, int nLayers, int nHeads, int nKvHeads, int dMlp,
                       int maxPositions, double normEps, boolean scaleScores, int[] localWindows, double ropeTheta,
                       boolean qkvBias, boolean outBias, boolean tiedEmbeddings, int bosTokenId, int eosTokenId,
                       RopeScaling ropeScaling) {
        this.modelType = modelType;
        this.vocabSize = vocabSize;
        this.dModel = dModel;
        this.nLayers = nLayers;
        this.nHeads = nHeads;
        this.nKvHeads = nKvHeads;
        this.dMlp = dMlp;
        this.maxPositions = maxPositions;
        this.normEps = normEps;
        this.scaleScores = scaleScores;
        this.localWindows = localWindows.clone();
        this.ropeTheta = ropeTheta;
        this.qkvBias = qkvBias;
        this.outBias = outBias;
        this.tiedEmbeddings = tiedEmbeddings;
        this.bosTokenId = bosTokenId;
        this.eosTokenId = eosTokenId;
        this.ropeScaling = ropeScaling;
        ConfigValidator.validate(this);
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

    /**
     * Reads config.json (or {@code dir/config.json}) from a stranger: a regular file of at most
     * {@link CheckpointJson#MAX_BYTES}, strict JSON, every field type- and range-checked before anything is allocated.
     * Errors are {@link CheckpointFormatException}s naming the file and the key.
     */
    public static ModelConfig load(Path configJson) throws IOException {
        Path f = Files.isDirectory(configJson) ? configJson.resolve("config.json") : configJson;
        JsonNode j = CheckpointJson.read(f);
        try {
            return fromJson(j);
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(f, e.getMessage(), e);
        }
    }

    /** Parses a HuggingFace config.json tree (see {@link ConfigParser}); errors name the key. */
    public static ModelConfig fromJson(JsonNode j) {
        return ConfigParser.parse(j);
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
