package org.tinysql.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tinysql.model.HfCheckpoint;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.tensor.DType;
import org.tinysql.tokenizer.PostProcessorFixtures;

/**
 * Tiny pretrained-style HuggingFace checkpoint folders of the three TinySQL base-model families, each with a byte-level
 * BPE tokenizer of that family and no pad token, as downloaded base checkpoints come:
 * <ul>
 *   <li>GPT-Neo (BM1, TinyStories): the real GPT-2 tokenizer (50,257 ids, {@code <|endoftext|>} = EOS), vocab 50257,
 *       tied, one global and one local layer (window 16, so local masking shows on TinySQL prompts);</li>
 *   <li>Qwen2 (BM2): GPT-2's BPE under Qwen2's NFC normaliser and split regex (digits one by one), Qwen's special
 *       tokens after it, a tokenizer_config.json whose pad token is the EOS token (as Qwen2.5's base model), untied
 *       embeddings of exactly the tokenizer's size (so both matrices grow for the added pad);</li>
 *   <li>Llama-3 (BM3): GPT-2's BPE under Llama-3's split regex, then Llama-3's 256 special tokens in their order
 *       ({@code <|begin_of_text|>}, {@code <|end_of_text|>}, ... {@code <|finetune_right_pad_id|>} ...), Llama-3.x's
 *       post-processor (ByteLevel, then a template that puts {@code <|begin_of_text|>} before every sequence), tied,
 *       GQA, Llama-3 RoPE scaling. No real Llama-3 tokenizer.json is available offline; this one has its structure.</li>
 * </ul>
 */
final class TinyCheckpoints {
    static final ObjectMapper M = new ObjectMapper();
    /** The GPT-2 tokenizer.json of the tokenizer tests (with an added pad token, which is removed here). */
    static final Path GPT2 = Path.of("../tinysql-core/src/test/resources/tokenizers/gpt2/tokenizer.json");
    static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    enum Family { GPT_NEO, QWEN2, LLAMA }

    private TinyCheckpoints() {
    }

    /** Writes the family's checkpoint folder (config.json, model.safetensors, tokenizer files) into {@code dir}. */
    static Path write(Family f, Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectNode tok = (ObjectNode) M.readTree(GPT2.toFile());
        ModelConfig cfg;
        switch (f) {
            case GPT_NEO -> {
                ArrayNode added = (ArrayNode) tok.get("added_tokens");
                added.remove(1); // <|pad|>: a base GPT-2 / TinyStories tokenizer has none
                cfg = new ModelConfig("gpt_neo", 50257, 32, 2, 4, 4, 128, 512, 1e-5, false, new int[] {0, 16}, 0, false, true, true,
                        50256, 50256);
            }
            case QWEN2 -> {
                dress(tok, QWEN2_SPLIT, true, List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"));
                Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"Qwen2Tokenizer\", \"bos_token\": null,"
                        + " \"eos_token\": \"<|endoftext|>\", \"pad_token\": \"<|endoftext|>\", \"add_bos_token\": false}");
                cfg = new ModelConfig("qwen2", 50259, 32, 2, 4, 2, 64, 512, 1e-6, true, new int[2], 1e6, true, false, false, -1, 50256);
            }
            case LLAMA -> {
                List<String> specials = new ArrayList<>(List.of("<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                        "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
                        "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"));
                for (int i = 3; specials.size() < 256; i++) {
                    specials.add("<|reserved_special_token_" + i + "|>");
                }
                dress(tok, LLAMA3_SPLIT, false, specials);
                tok.set("post_processor", PostProcessorFixtures.llama3(specials.get(0), 50256));
                Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"PreTrainedTokenizerFast\","
                        + " \"bos_token\": \"<|begin_of_text|>\", \"eos_token\": \"<|end_of_text|>\", \"model_max_length\": 131072}");
                cfg = new ModelConfig("llama", 50512, 32, 2, 4, 2, 64, 512, 1e-5, true, new int[2], 500000.0, false, false, true, 50256,
                        50257, new ModelConfig.RopeScaling(32, 1, 4, 8192));
            }
            default -> throw new IllegalArgumentException(f.toString());
        }
        Files.write(dir.resolve("tokenizer.json"), M.writeValueAsBytes(tok));
        HfCheckpoint.save(Parameters.init(cfg, 11 + f.ordinal(), 0.05), dir, DType.F32);
        return dir;
    }

    /**
     * Turns the GPT-2 tokenizer.json into another family's: GPT-2's BPE without {@code <|endoftext|>}, under a Split
     * pre-tokenizer with {@code regex} (then byte-level without regex), NFC when asked, and {@code specials} as added
     * special tokens from id 50256 on.
     */
    private static void dress(ObjectNode tok, String regex, boolean nfc, List<String> specials) {
        ((ObjectNode) tok.get("model").get("vocab")).remove("<|endoftext|>");
        ArrayNode added = tok.putArray("added_tokens");
        for (int i = 0; i < specials.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", 50256 + i);
            t.put("content", specials.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        ObjectNode pre = tok.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ObjectNode split = pre.putArray("pretokenizers").addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode bl = ((ArrayNode) pre.get("pretokenizers")).addObject();
        bl.put("type", "ByteLevel");
        bl.put("add_prefix_space", false);
        bl.put("trim_offsets", false);
        bl.put("use_regex", false);
        if (nfc) {
            tok.putObject("normalizer").put("type", "NFC");
        } else {
            tok.putNull("normalizer");
        }
        tok.putObject("decoder").put("type", "ByteLevel");
    }

    /** The tokenizer.json of a folder as a tree. */
    static JsonNode tokenizerJson(Path dir) throws IOException {
        return M.readTree(dir.resolve("tokenizer.json").toFile());
    }
}
