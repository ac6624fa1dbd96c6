package org.tinysql.model;

import static org.tinysql.tensor.CheckpointFormatException.excerpt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.tinysql.model.arch.Architecture;
import org.tinysql.model.arch.Architectures;
import org.tinysql.model.arch.ConfigReader;
import org.tinysql.tensor.CheckpointFormatException;

/**
 * A transformer's shape and components, read from and written to HuggingFace {@code config.json} by the
 * {@link Architecture} of its {@code model_type} (one file per type in {@code org.tinysql.model.arch}). The engine
 * reads only the components (norm, positions, MLP, attention options), never the type name.
 *
 * @param modelType        HF model_type (gpt_neo, gpt2, llama, qwen2): which {@link Architecture} reads and writes it
 * @param norm             LayerNorm (with bias) or RMSNorm, in every block and at the end
 * @param positions        learned absolute position embeddings or rotary q/k rotation
 * @param mlp              GELU (W_in, b_in, W_out, b_out) or SwiGLU (W_gate, W_in, W_out)
 * @param vocabSize        V
 * @param dModel           C
 * @param nLayers          L
 * @param nHeads           H
 * @param nKvHeads         key/value heads (H unless grouped-query attention)
 * @param dMlp             MLP hidden width
 * @param maxPositions     learned position rows, or the maximum context of a rotary model
 * @param normEps          LayerNorm / RMSNorm epsilon
 * @param scaleScores      whether attention scores are divided by sqrt(D) (GPT-Neo does not)
 * @param localWindows     per layer: 0 for global attention, else the local window (keys i-w &lt; j &lt;= i)
 * @param ropeTheta        RoPE base (rotary models)
 * @param qkvBias          whether q/k/v projections have biases (GPT-2, Qwen2)
 * @param outBias          whether the attention output and MLP projections have biases (GPT-Neo, GPT-2)
 * @param tiedEmbeddings   whether the unembedding is the embedding matrix
 * @param bosTokenId       HF bos_token_id (or -1)
 * @param eosTokenId       HF eos_token_id (or -1)
 * @param padTokenId       HF pad_token_id (or -1), e.g. the pad token a fine-tune added (see {@code EmbeddingResize})
 * @param ropeScaling      Llama-3 style RoPE frequency scaling, or null
 */
public record ModelConfig(String modelType, Norm norm, Positions positions, Mlp mlp, int vocabSize, int dModel, int nLayers,
                          int nHeads, int nKvHeads, int dMlp, int maxPositions, double normEps, boolean scaleScores,
                          int[] localWindows, double ropeTheta, boolean qkvBias, boolean outBias, boolean tiedEmbeddings,
                          int bosTokenId, int eosTokenId, int padTokenId, RopeScaling ropeScaling) {

    /**
     * HF rope_scaling of type "llama3": long wavelengths divided by factor, a smooth band in between.
     * @param factor how much long wavelengths are stretched (inverse frequencies divided by it)
     * @param lowFreqFactor original context / this is the wavelength above which frequencies are fully scaled
     * @param highFreqFactor original context / this is the wavelength below which frequencies are kept
     * @param originalMaxPositions the context length the model was pre-trained with
     */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
    }

    /**
     * Without RoPE scaling.
     * @param modelType HF model_type (gpt_neo, gpt2, llama, qwen2)
     * @param vocabSize V, the number of token ids
     * @param dModel C, the residual stream width
     * @param nLayers L, the number of blocks
     * @param nHeads H, the number of query heads (divides C)
     * @param nKvHeads KV, the number of key/value heads (H, or a divisor of H for grouped-query attention)
     * @param dMlp the MLP hidden width
     * @param maxPositions learned position rows, or the maximum context of a rotary model
     * @param normEps the LayerNorm / RMSNorm epsilon
     * @param scaleScores whether attention scores are divided by sqrt(D)
     * @param localWindows per layer, 0 for global attention or the local window in positions; copied
     * @param ropeTheta the RoPE base (rotary models; ignored with learned positions)
     * @param qkvBias whether the q/k/v projections have biases
     * @param outBias whether the attention output and MLP projections have biases
     * @param tiedEmbeddings whether the unembedding is the embedding matrix
     * @param bosTokenId HF bos_token_id, or -1 for none
     * @param eosTokenId HF eos_token_id, or -1 for none
     */
    public ModelConfig(String modelType, int vocabSize, int dModel, int nLayers, int nHeads, int nKvHeads, int dMlp,
                       int maxPositions, double normEps, boolean scaleScores, int[] localWindows, double ropeTheta,
                       boolean qkvBias, boolean outBias, boolean tiedEmbeddings, int bosTokenId, int eosTokenId) {
        this(modelType, vocabSize, dModel, nLayers, nHeads, nKvHeads, dMlp, maxPositions, normEps, scaleScores, localWindows,
                ropeTheta, qkvBias, outBias, tiedEmbeddings, bosTokenId, eosTokenId, null);
    }

    /**
     * RoPE inverse frequencies [D/2] (theta^(-2i/D)), with the Llama-3 scaling applied when configured.
     * @return a new array of D/2 inverse frequencies, the input of {@link org.tinysql.tensor.Kernels#rope}
     */
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

    /** The normalisation of every block and of the final stream. */
    public enum Norm {
        /** LayerNorm: centred, scaled to unit variance, then scale and shift (w, b). */
        LAYER_NORM,
        /** RMSNorm: divided by the root mean square, then scaled (w only). */
        RMS_NORM
    }

    /** How positions enter: learned absolute embeddings added to the tokens, or rotary q/k rotation. */
    public enum Positions {
        /** A learned position embedding [maxPositions, C] added to the token embedding. */
        LEARNED,
        /** Rotary embedding (RoPE) of queries and keys in every attention layer; no position embedding. */
        ROTARY
    }

    /** The MLP: W_out gelu(W_in x + b_in) + b_out, or W_out (silu(W_gate x) * W_in x). */
    public enum Mlp {
        /** W_out gelu(W_in x + b_in) + b_out, GELU in its tanh form. */
        GELU,
        /** W_out (silu(W_gate x) * W_in x): a gated MLP with three matrices. */
        SWIGLU
    }

    /**
     * The longest sequence the model can read: max_position_embeddings with learned positions, else unbounded.
     * @return maxPositions for learned positions, else {@link Integer#MAX_VALUE}
     */
    public int maxSequenceLength() {
        return positions == Positions.LEARNED ? maxPositions : Integer.MAX_VALUE;
    }

    /** The supported HF model types. */
    public static final List<String> SUPPORTED = Architectures.modelTypes();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * Checks every limit and consistency rule of {@link ConfigValidator} and that the type's config.json can describe
     * the components; errors name the config.json key.
     * @param modelType HF model_type (gpt_neo, gpt2, llama, qwen2)
     * @param norm the normalisation of every block and of the final stream
     * @param positions learned absolute positions or rotary q/k rotation
     * @param mlp the MLP form, GELU or SwiGLU
     * @param vocabSize V, the number of token ids
     * @param dModel C, the residual stream width
     * @param nLayers L, the number of blocks
     * @param nHeads H, the number of query heads (divides C)
     * @param nKvHeads KV, the number of key/value heads (H, or a divisor of H for grouped-query attention)
     * @param dMlp the MLP hidden width
     * @param maxPositions learned position rows, or the maximum context of a rotary model
     * @param normEps the LayerNorm / RMSNorm epsilon
     * @param scaleScores whether attention scores are divided by sqrt(D)
     * @param localWindows per layer, 0 for global attention or the local window in positions; copied
     * @param ropeTheta the RoPE base (rotary models; ignored with learned positions)
     * @param qkvBias whether the q/k/v projections have biases
     * @param outBias whether the attention output and MLP projections have biases
     * @param tiedEmbeddings whether the unembedding is the embedding matrix
     * @param bosTokenId HF bos_token_id, or -1 for none
     * @param eosTokenId HF eos_token_id, or -1 for none
     * @param padTokenId HF pad_token_id, or -1 for none
     * @param ropeScaling Llama-3 style RoPE frequency scaling, or null for none
     */
    public ModelConfig(String modelType, Norm norm, Positions positions, Mlp mlp, int vocabSize, int dModel, int nLayers,
                       int nHeads, int nKvHeads, int dMlp, int maxPositions, double normEps, boolean scaleScores,
                       int[] localWindows, double ropeTheta, boolean qkvBias, boolean outBias, boolean tiedEmbeddings,
                       int bosTokenId, int eosTokenId, int padTokenId, RopeScaling ropeScaling) {
        this.modelType = modelType;
        this.norm = norm;
        this.positions = positions;
        this.mlp = mlp;
        this.vocabSize = vocabSize;
        this.dModel = dModel;
        this.nLayers = nLayers;
        this.nHeads = nHeads;
        this.nKvHeads = nKvHeads;
        this.dMlp = dMlp;
        this.maxPositions = maxPositions;
        this.normEps = normEps;
        this.scaleScores = scaleScores;
        this.localWindows = localWindows == null ? null : localWindows.clone();
        this.ropeTheta = ropeTheta;
        this.qkvBias = qkvBias;
        this.outBias = outBias;
        this.tiedEmbeddings = tiedEmbeddings;
        this.bosTokenId = bosTokenId;
        this.eosTokenId = eosTokenId;
        this.padTokenId = padTokenId;
        this.ropeScaling = ropeScaling;
        ConfigValidator.validate(this);
    }

    /**
     * As the canonical constructor, without a pad token (the form before pad_token_id was recorded).
     * @param modelType HF model_type (gpt_neo, gpt2, llama, qwen2)
     * @param norm the normalisation of every block and of the final stream
     * @param positions learned absolute positions or rotary q/k rotation
     * @param mlp the MLP form, GELU or SwiGLU
     * @param vocabSize V, the number of token ids
     * @param dModel C, the residual stream width
     * @param nLayers L, the number of blocks
     * @param nHeads H, the number of query heads (divides C)
     * @param nKvHeads KV, the number of key/value heads (H, or a divisor of H for grouped-query attention)
     * @param dMlp the MLP hidden width
     * @param maxPositions learned position rows, or the maximum context of a rotary model
     * @param normEps the LayerNorm / RMSNorm epsilon
     * @param scaleScores whether attention scores are divided by sqrt(D)
     * @param localWindows per layer, 0 for global attention or the local window in positions; copied
     * @param ropeTheta the RoPE base (rotary models; ignored with learned positions)
     * @param qkvBias whether the q/k/v projections have biases
     * @param outBias whether the attention output and MLP projections have biases
     * @param tiedEmbeddings whether the unembedding is the embedding matrix
     * @param bosTokenId HF bos_token_id, or -1 for none
     * @param eosTokenId HF eos_token_id, or -1 for none
     * @param ropeScaling Llama-3 style RoPE frequency scaling, or null for none
     */
    public ModelConfig(String modelType, Norm norm, Positions positions, Mlp mlp, int vocabSize, int dModel, int nLayers,
                       int nHeads, int nKvHeads, int dMlp, int maxPositions, double normEps, boolean scaleScores,
                       int[] localWindows, double ropeTheta, boolean qkvBias, boolean outBias, boolean tiedEmbeddings,
                       int bosTokenId, int eosTokenId, RopeScaling ropeScaling) {
        this(modelType, norm, positions, mlp, vocabSize, dModel, nLayers, nHeads, nKvHeads, dMlp, maxPositions, normEps,
                scaleScores, localWindows, ropeTheta, qkvBias, outBias, tiedEmbeddings, bosTokenId, eosTokenId, -1, ropeScaling);
    }

    /**
     * A config whose components are those of its model type (LayerNorm, learned positions and GELU for gpt_neo/gpt2;
     * RMSNorm, rotary positions and SwiGLU for llama/qwen2).
     * @param modelType HF model_type (gpt_neo, gpt2, llama, qwen2)
     * @param vocabSize V, the number of token ids
     * @param dModel C, the residual stream width
     * @param nLayers L, the number of blocks
     * @param nHeads H, the number of query heads (divides C)
     * @param nKvHeads KV, the number of key/value heads (H, or a divisor of H for grouped-query attention)
     * @param dMlp the MLP hidden width
     * @param maxPositions learned position rows, or the maximum context of a rotary model
     * @param normEps the LayerNorm / RMSNorm epsilon
     * @param scaleScores whether attention scores are divided by sqrt(D)
     * @param localWindows per layer, 0 for global attention or the local window in positions; copied
     * @param ropeTheta the RoPE base (rotary models; ignored with learned positions)
     * @param qkvBias whether the q/k/v projections have biases
     * @param outBias whether the attention output and MLP projections have biases
     * @param tiedEmbeddings whether the unembedding is the embedding matrix
     * @param bosTokenId HF bos_token_id, or -1 for none
     * @param eosTokenId HF eos_token_id, or -1 for none
     * @param ropeScaling Llama-3 style RoPE frequency scaling, or null for none
     */
    public ModelConfig(String modelType, int vocabSize, int dModel, int nLayers, int nHeads, int nKvHeads, int dMlp,
                       int maxPositions, double normEps, boolean scaleScores, int[] localWindows, double ropeTheta,
                       boolean qkvBias, boolean outBias, boolean tiedEmbeddings, int bosTokenId, int eosTokenId,
                       RopeScaling ropeScaling) {
        this(modelType, Architectures.of(modelType).norm(), Architectures.of(modelType).positions(),
                Architectures.of(modelType).mlp(), vocabSize, dModel, nLayers, nHeads, nKvHeads, dMlp, maxPositions, normEps,
                scaleScores, localWindows, ropeTheta, qkvBias, outBias, tiedEmbeddings, bosTokenId, eosTokenId, -1, ropeScaling);
    }

    /**
     * The architecture that reads and writes this config.
     * @return the registered architecture of {@link #modelType}
     */
    public Architecture architecture() {
        return Architectures.of(modelType);
    }

    /**
     * Head dimension D = C / H.
     * @return D, the width of one head
     */
    public int headDim() {
        return dModel / nHeads;
    }

    /**
     * A small GPT-Neo style model for training from scratch (e.g. on TinySQL with the SqlVocabTokenizer).
     * @param vocab V, the vocabulary size
     * @param d C, the model width
     * @param layers L, the number of blocks (all global attention)
     * @param heads H, the number of heads (divides d)
     * @param maxPos the number of learned positions, the longest sequence
     * @return a validated config: MLP width 4C, unscaled scores, no q/k/v biases, tied embeddings, no bos/eos
     */
    public static ModelConfig gptNeo(int vocab, int d, int layers, int heads, int maxPos) {
        int[] windows = new int[layers];
        return new ModelConfig("gpt_neo", vocab, d, layers, heads, heads, 4 * d, maxPos, 1e-5, false, windows, 0, false,
                true, true, -1, -1);
    }

    /**
     * A GPT-2 style model (scaled attention, q/k/v biases).
     * @param vocab V, the vocabulary size
     * @param d C, the model width
     * @param layers L, the number of blocks
     * @param heads H, the number of heads (divides d)
     * @param maxPos the number of learned positions, the longest sequence
     * @return a validated config: MLP width 4C, tied embeddings, no bos/eos
     */
    public static ModelConfig gpt2(int vocab, int d, int layers, int heads, int maxPos) {
        return new ModelConfig("gpt2", vocab, d, layers, heads, heads, 4 * d, maxPos, 1e-5, true, new int[layers], 0, true,
                true, true, -1, -1);
    }

    /**
     * A small Llama style model for training from scratch: RMSNorm, RoPE (theta 10000), SwiGLU with a hidden width of
     * 8C/3 rounded up to a multiple of 16 (about the parameters of a 4C GELU MLP), no biases, tied embeddings.
     * @param vocab V, the vocabulary size
     * @param d C, the model width
     * @param layers L, the number of blocks
     * @param heads H, the number of heads (divides d), also the key/value heads
     * @param maxPos the maximum context
     * @return a validated config without bos/eos
     */
    public static ModelConfig llama(int vocab, int d, int layers, int heads, int maxPos) {
        int mlp = (8 * d / 3 + 15) / 16 * 16;
        return new ModelConfig("llama", vocab, d, layers, heads, heads, mlp, maxPos, 1e-5, true, new int[layers], 10000.0,
                false, false, true, -1, -1);
    }

    /**
     * The same model with these bos_token_id and eos_token_id (-1: none); the pad token is kept.
     * @param bos the bos_token_id, or -1 for none
     * @param eos the eos_token_id, or -1 for none
     * @return a new validated config; this one is unchanged
     */
    public ModelConfig withTokens(int bos, int eos) {
        return new ModelConfig(modelType, norm, positions, mlp, vocabSize, dModel, nLayers, nHeads, nKvHeads, dMlp, maxPositions,
                normEps, scaleScores, localWindows, ropeTheta, qkvBias, outBias, tiedEmbeddings, bos, eos, padTokenId, ropeScaling);
    }

    /**
     * The same model with another RoPE base: a larger theta turns the slowest rotary pairs more slowly, so more of each
     * head's dimensions can match content over long distances.
     * @param theta the rope_theta, positive and finite
     * @return a new validated config; this one is unchanged
     * @throws IllegalArgumentException when the model has learned positions (no rotary embedding to set)
     */
    public ModelConfig withRopeTheta(double theta) {
        if (positions != Positions.ROTARY) {
            throw new IllegalArgumentException("rope_theta applies to rotary positions; " + modelType + " has learned positions");
        }
        return new ModelConfig(modelType, norm, positions, mlp, vocabSize, dModel, nLayers, nHeads, nKvHeads, dMlp, maxPositions,
                normEps, scaleScores, localWindows, theta, qkvBias, outBias, tiedEmbeddings, bosTokenId, eosTokenId, padTokenId,
                ropeScaling);
    }

    /**
     * The same model with this pad_token_id (-1: none).
     * @param pad the pad_token_id, or -1 for none
     * @return a new validated config; this one is unchanged
     */
    public ModelConfig withPadToken(int pad) {
        return new ModelConfig(modelType, norm, positions, mlp, vocabSize, dModel, nLayers, nHeads, nKvHeads, dMlp, maxPositions,
                normEps, scaleScores, localWindows, ropeTheta, qkvBias, outBias, tiedEmbeddings, bosTokenId, eosTokenId, pad,
                ropeScaling);
    }

    /**
     * The same model with {@code vocab} embedding (and unembedding) rows; see {@code EmbeddingResize} for the weights.
     * @param vocab the new V
     * @return a new validated config; this one is unchanged
     */
    public ModelConfig withVocabSize(int vocab) {
        return new ModelConfig(modelType, norm, positions, mlp, vocab, dModel, nLayers, nHeads, nKvHeads, dMlp, maxPositions,
                normEps, scaleScores, localWindows, ropeTheta, qkvBias, outBias, tiedEmbeddings, bosTokenId, eosTokenId, padTokenId,
                ropeScaling);
    }

    /**
     * Reads config.json (or {@code dir/config.json}) from a stranger: a regular file of at most
     * {@link CheckpointJson#MAX_BYTES}, strict JSON, every field type- and range-checked before anything is allocated.
     * Errors are {@link CheckpointFormatException}s naming the file and the key.
     * @param configJson a config.json file, or a checkpoint directory holding one
     * @return the validated config
     * @throws IOException when the file cannot be read, or a {@link CheckpointFormatException} when it is invalid
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

    /**
     * Parses a HuggingFace config.json tree with the {@link Architecture} of its model_type; errors name the key.
     * @param j the parsed config.json
     * @return the validated config
     */
    public static ModelConfig fromJson(JsonNode j) {
        if (j == null || !j.isObject()) {
            throw ConfigValidator.invalid("config.json must be a JSON object");
        }
        JsonNode mt = j.path("model_type");
        Architecture arch = Architectures.find(mt.isTextual() ? mt.textValue() : "");
        if (arch == null) {
            throw new IllegalArgumentException("unsupported architecture: model_type '" + excerpt(mt.isTextual() ? mt.textValue() : "")
                    + "' " + excerpt(j.path("architectures")) + " (supported: " + String.join(", ", Architectures.classNames()) + ")");
        }
        ConfigReader r = new ConfigReader(j);
        ModelConfig c = arch.fromJson(r);
        int pad = r.integer("pad_token_id", -1);
        return pad == -1 ? c : c.withPadToken(pad);
    }

    /**
     * The HuggingFace config.json of this model.
     * @return a new JSON object with model_type, architectures, the type's keys, the token ids set and torch_dtype
     */
    public ObjectNode toJson() {
        ObjectNode j = MAPPER.createObjectNode();
        j.put("model_type", modelType);
        j.putArray("architectures").add(architecture().className());
        architecture().toJson(this, j);
        if (bosTokenId >= 0) {
            j.put("bos_token_id", bosTokenId);
        }
        if (eosTokenId >= 0) {
            j.put("eos_token_id", eosTokenId);
        }
        if (padTokenId >= 0) {
            j.put("pad_token_id", padTokenId);
        }
        j.put("torch_dtype", "float32");
        return j;
    }

    /**
     * Writes {@link #toJson()} to a file atomically (pretty-printed), replacing any file there.
     * @param file the config.json to write
     * @throws IOException when the file cannot be written
     */
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
