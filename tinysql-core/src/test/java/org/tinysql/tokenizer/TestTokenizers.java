package org.tinysql.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** Tokenizers for the tokenizer tests: GPT-2 and Qwen3 (test resources, see tokenizers/README.md) and small variants. */
final class TestTokenizers {
    static final ObjectMapper M = new ObjectMapper();
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** GPT-4o (o200k) split: a user pattern with more backtracking than the three we know. */
    static final String O200K_SPLIT = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
            + "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+"
            + "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*"
            + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static JsonNode gpt2Json;
    private static HfTokenizer gpt2;
    private static JsonNode qwen3Json;
    private static HfTokenizer qwen3;

    private TestTokenizers() {
    }

    static synchronized JsonNode gpt2Json() {
        if (gpt2Json == null) {
            try (InputStream in = TestTokenizers.class.getResourceAsStream("/tokenizers/gpt2/tokenizer.json")) {
                gpt2Json = M.readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return gpt2Json;
    }

    static synchronized HfTokenizer gpt2() {
        if (gpt2 == null) {
            gpt2 = HfTokenizer.fromJson(gpt2Json(), "gpt2/tokenizer.json");
        }
        return gpt2;
    }

    /** The Qwen3 tokenizer.json (stored gzipped: 11 MB of JSON, 2 MB compressed). */
    static synchronized JsonNode qwen3Json() {
        if (qwen3Json == null) {
            try (InputStream in = new GZIPInputStream(TestTokenizers.class.getResourceAsStream("/tokenizers/qwen3/tokenizer.json.gz"))) {
                qwen3Json = M.readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return qwen3Json;
    }

    static synchronized HfTokenizer qwen3() {
        if (qwen3 == null) {
            qwen3 = HfTokenizer.fromJson(qwen3Json(), "qwen3/tokenizer.json");
        }
        return qwen3;
    }

    /**
     * A small valid byte-level BPE tokenizer.json: GPT-2's 256 byte tokens, its first {@code merges} merges (merge i
     * makes token 256 + i) and {@code <|endoftext|>} as an added token with the next id.
     */
    static ObjectNode small(int merges) {
        ObjectNode root = M.createObjectNode();
        root.put("version", "1.0");
        ObjectNode model = M.createObjectNode();
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        for (Iterator<Map.Entry<String, JsonNode>> it = gpt2Json().get("model").get("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().asInt() < 256 + merges) {
                vocab.put(e.getKey(), e.getValue().asInt());
            }
        }
        ArrayNode m = model.putArray("merges");
        for (int i = 0; i < merges; i++) {
            m.add(gpt2Json().get("model").get("merges").get(i).asText());
        }
        ObjectNode eot = root.putArray("added_tokens").addObject();
        eot.put("id", 256 + merges);
        eot.put("content", "<|endoftext|>");
        eot.put("special", true);
        eot.put("lstrip", false);
        eot.put("rstrip", false);
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel");
        pre.put("add_prefix_space", false);
        pre.put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel");
        root.set("model", model);
        return root;
    }

    /** A copy of {@code base} whose pre-tokenizer is a Split on {@code regex} followed by ByteLevel without regex. */
    static ObjectNode withSplit(JsonNode base, String regex, boolean nfc) {
        ObjectNode j = base.deepCopy();
        ObjectNode seq = M.createObjectNode();
        seq.put("type", "Sequence");
        ObjectNode split = seq.putArray("pretokenizers").addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode bl = ((ArrayNode) seq.get("pretokenizers")).addObject();
        bl.put("type", "ByteLevel");
        bl.put("add_prefix_space", false);
        bl.put("use_regex", false);
        j.set("pre_tokenizer", seq);
        if (nfc) {
            j.putObject("normalizer").put("type", "NFC");
        }
        return j;
    }

    /** The vocabulary of a tokenizer.json tree. */
    static Map<String, Integer> vocab(JsonNode json) {
        Map<String, Integer> vocab = new HashMap<>();
        json.get("model").get("vocab").fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        return vocab;
    }
}
