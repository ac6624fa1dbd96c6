package org.tinysql.train;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.tokenizer.TokenizerConfig;
import org.tinysql.tokenizer.TokenizerFormatException;
import org.tinysql.util.AtomicFiles;

/**
 * The tokenizer of a fine-tune: the checkpoint's own tokenizer.json (GPT-2/GPT-Neo, Qwen2, Llama-3 byte-level BPE) with
 * a pad token for right padding, as the TinySQL fine-tunes had one:
 * <ul>
 *   <li>the pad token the checkpoint declares (tokenizer_config.json) or has by name, unless it is the EOS token
 *       (labels on padding are masked by position here, but a pad that is EOS makes HF collators mask EOS too);</li>
 *   <li>else an existing {@code <|pad|>}, or Llama-3's reserved {@code <|finetune_right_pad_id|>} (what the original
 *       used for Llama-3.2);</li>
 *   <li>else {@code <|pad|>} added as a special token with the next free id (GPT-Neo/TinyStories: id 50257; the
 *       model's embedding then grows, see {@link org.tinysql.model.EmbeddingResize}).</li>
 * </ul>
 * The run folder gets the resulting tokenizer.json and a tokenizer_config.json naming the EOS and pad tokens, and the
 * run reads its tokenizer from there, so the model folder, the checkpoints and every later command agree on them.
 */
public final class FinetuneTokenizer {
    private static final Logger LOG = LoggerFactory.getLogger(FinetuneTokenizer.class);
    static final String PAD = "<|pad|>";
    static final String LLAMA3_PAD = "<|finetune_right_pad_id|>";
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxDocumentLength(TokenizerFiles.MAX_BYTES).build())
            .build()).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * The outcome.
     *
     * @param tokenizer the run's tokenizer (read back from the run folder)
     * @param eosId     the EOS id appended to every response
     * @param padId     the pad id
     * @param padToken  the pad token's text
     * @param padAdded  whether the pad token was added to the vocabulary
     * @param files     tokenizer.json and tokenizer_config.json as written (name to content)
     */
    public record Prepared(HfTokenizer tokenizer, int eosId, int padId, String padToken, boolean padAdded,
                           Map<String, byte[]> files) {
    }

    private FinetuneTokenizer() {
    }

    /**
     * Writes the run's tokenizer files into {@code runDir} from the checkpoint folder {@code modelDir} and loads them.
     * A run folder that already holds other tokenizer files (another checkpoint's) is refused unless {@code force}.
     * @param modelDir the checkpoint folder holding tokenizer.json (and optionally tokenizer_config.json)
     * @param runDir the run folder to write the tokenizer files into
     * @param modelMaxLength the model's longest sequence, written as tokenizer_config.json's model_max_length
     * @param force whether to overwrite different tokenizer files already in the run folder
     * @return the loaded tokenizer with its EOS and pad ids and the files written
     * @throws IOException when a file cannot be read or written, is invalid, or differs without {@code force}
     */
    public static Prepared prepare(Path modelDir, Path runDir, int modelMaxLength, boolean force) throws IOException {
        Path source = modelDir.resolve(CheckpointStore.TOKENIZER_JSON);
        byte[] bytes = TokenizerFiles.read(source);
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(source.toString(), "(file)", "not a valid JSON document: " + e.getOriginalMessage());
        }
        HfTokenizer tok = HfTokenizer.fromJson(root, source.toString());
        Path configFile = modelDir.resolve(TokenizerConfig.FILE);
        TokenizerConfig declared = Files.exists(configFile) ? TokenizerConfig.read(configFile) : new TokenizerConfig(null, null, null);
        tok = tok.withSpecialTokens(declared, configFile.toString());
        int eos = tok.eosId();
        if (eos < 0) {
            throw new IllegalArgumentException(source + " has no EOS token (looked for " + TokenizerConfig.FILE
                    + " eos_token and the usual names): a fine-tune appends one to every response");
        }
        String padToken;
        boolean added = false;
        if (tok.padId() >= 0 && tok.padId() != eos) {
            padToken = tok.tokenString(tok.padId());
        } else if (tok.tokenId(PAD) >= 0 && tok.tokenId(PAD) != eos) {
            padToken = PAD;
        } else if (tok.tokenId(LLAMA3_PAD) >= 0) {
            padToken = LLAMA3_PAD;
        } else {
            padToken = PAD;
            added = true;
            ObjectNode grown = withAddedToken(root, source, PAD, tok.vocabSize());
            bytes = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(grown);
            tok = HfTokenizer.fromJson(grown, source + " with " + PAD);
        }
        String eosToken = tok.tokenString(eos);
        TokenizerConfig special = new TokenizerConfig(declared.bosToken(), eosToken, padToken);
        byte[] config = special.toJsonText(modelMaxLength).getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(CheckpointStore.TOKENIZER_JSON, bytes);
        files.put(TokenizerConfig.FILE, config);
        write(runDir, files, force);
        HfTokenizer run = tok.withSpecialTokens(special, TokenizerConfig.FILE); // what HfTokenizer.load(runDir) reads
        LOG.info("tokenizer of {}: {} ids, EOS {} ({}), pad {} ({}{})", modelDir, run.vocabSize(), eosToken, run.eosId(), padToken,
                run.padId(), added ? ", added" : "");
        return new Prepared(run, run.eosId(), run.padId(), padToken, added, files);
    }

    /** tokenizer.json with {@code token} appended to added_tokens as a special token with id {@code id}. */
    private static ObjectNode withAddedToken(JsonNode root, Path source, String token, int id) throws IOException {
        if (!root.isObject()) {
            throw new TokenizerFormatException(source.toString(), "(root)", "expected a JSON object");
        }
        ObjectNode copy = ((ObjectNode) root).deepCopy();
        JsonNode list = copy.get("added_tokens");
        ArrayNode tokens = list == null || list.isNull() ? copy.putArray("added_tokens") : (ArrayNode) list;
        ObjectNode t = tokens.addObject();
        t.put("id", id);
        t.put("content", token);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", true);
        return copy;
    }

    /** Writes the files into the run folder, refusing to replace other ones unless {@code force}. */
    private static void write(Path runDir, Map<String, byte[]> files, boolean force) throws IOException {
        Files.createDirectories(runDir);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path p = runDir.resolve(f.getKey());
            if (Files.exists(p) && !Arrays.equals(f.getValue(), Files.readAllBytes(p))) {
                if (!force) {
                    throw new IllegalArgumentException("the run in " + runDir + " was started with another " + f.getKey()
                            + " (from another checkpoint?); use another run folder, or force to go on with this one");
                }
                LOG.warn("replacing {} (forced)", p);
            }
            AtomicFiles.write(p, (AtomicFiles.StreamWriter) out -> out.write(f.getValue()));
        }
    }
}
