package org.tinysql.tokenizer;

import static org.tinysql.tokenizer.TokenizerFormatException.quote;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The special tokens a HuggingFace {@code tokenizer_config.json} declares (what {@code AutoTokenizer} takes its
 * {@code eos_token}, {@code pad_token} and {@code bos_token} from), read from a file that may come from anyone: a
 * regular file (symbolic links followed, as in a HuggingFace cache folder) of at most {@link #MAX_BYTES}, one JSON object without duplicate keys; each token is a string, an
 * object with a string {@code content} (HF's serialised AddedToken) or null. Every other key (chat templates, class
 * names) is ignored. Errors are {@link TokenizerFormatException}s naming the file and the key.
 *
 * @param bosToken the beginning-of-sequence token, or null
 * @param eosToken the end-of-sequence token, or null
 * @param padToken the padding token, or null
 */
public record TokenizerConfig(String bosToken, String eosToken, String padToken) {
    /** The file name HuggingFace gives this configuration in a model folder. */
    public static final String FILE = "tokenizer_config.json";
    /** Largest tokenizer_config.json read (real ones are a few kB; chat templates make some a few hundred kB). */
    static final long MAX_BYTES = 16L << 20;
    private static final ObjectMapper MAPPER = new ObjectMapper(
            JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * Reads {@code file}; see the class comment for what is checked.
     *
     * @param file the {@code tokenizer_config.json}
     * @return its BOS, EOS and padding tokens, each possibly null
     * @throws IOException if the file cannot be read
     * @throws TokenizerFormatException if it is not a regular file, too large, not one JSON object, or a token is
     *     malformed
     */
    public static TokenizerConfig read(Path file) throws IOException {
        String source = file.toString();
        if (!Files.isRegularFile(file)) {
            throw new TokenizerFormatException(source, "(file)", "not a regular file (a folder, FIFO or device, or missing)");
        }
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new TokenizerFormatException(source, "(file)", size + " bytes, more than the " + MAX_BYTES + " a "
                    + FILE + " may have");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(source, "(file)", "not a valid JSON document: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new TokenizerFormatException(source, "(root)", "expected a JSON object");
        }
        return new TokenizerConfig(token(root, "bos_token", source), token(root, "eos_token", source),
                token(root, "pad_token", source));
    }

    private static String token(JsonNode root, String key, String source) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        JsonNode content = n.isObject() ? n.get("content") : n;
        String field = n.isObject() ? key + ".content" : key;
        if (content == null || !content.isTextual()) {
            throw new TokenizerFormatException(source, field, "expected a token string, found "
                    + quote(String.valueOf(content)));
        }
        if (content.textValue().isEmpty() || content.textValue().length() > HfTokenizerReader.MAX_ADDED_TOKEN_CHARS) {
            throw new TokenizerFormatException(source, field, "expected 1 to " + HfTokenizerReader.MAX_ADDED_TOKEN_CHARS
                    + " characters, found " + quote(content.textValue()));
        }
        return content.textValue();
    }

    /**
     * The generation-relevant {@code tokenizer_config.json} of a model folder: these special tokens (null ones left
     * out), the fast tokenizer class (tokenizer.json holds the rest), left padding for batched generation, and the
     * longest sequence the model was trained on.
     *
     * @param modelMaxLength the {@code model_max_length}: longest sequence in tokens
     * @return a new JSON object
     */
    public ObjectNode toJson(int modelMaxLength) {
        ObjectNode j = MAPPER.createObjectNode();
        j.put("tokenizer_class", "PreTrainedTokenizerFast");
        if (bosToken != null) {
            j.put("bos_token", bosToken);
        }
        if (eosToken != null) {
            j.put("eos_token", eosToken);
        }
        if (padToken != null) {
            j.put("pad_token", padToken);
        }
        j.put("padding_side", "left");
        j.put("model_max_length", modelMaxLength);
        j.put("clean_up_tokenization_spaces", false);
        return j;
    }

    /**
     * The JSON text of {@link #toJson}.
     *
     * @param modelMaxLength the {@code model_max_length}: longest sequence in tokens
     * @return the pretty-printed JSON
     */
    public String toJsonText(int modelMaxLength) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(modelMaxLength));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
