package org.tinysql.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small word-level vocabulary for models trained from scratch on TinySQL: SQL keywords, names and English words
 * seen in a dataset (each word with its leading space, as GPT-2 does), digits one at a time, every printable ASCII
 * character with and without a leading space, and UTF-8 byte tokens, so any text encodes and decodes exactly.
 *
 * <p>It is stored as a HuggingFace-layout {@code tokenizer.json} (a WordLevel model with a Split pre-tokenizer and
 * a Fuse decoder), which {@link HfTokenizer#load} reads back. The model section carries one extension,
 * {@code "char_fallback": true}: words outside the vocabulary become characters instead of the unk token.
 */
public final class SqlVocabTokenizer implements Tokenizer {
    /** The padding token, id 0. */
    public static final String PAD = "<|pad|>";
    /** The end-of-sequence token, id 1. */
    public static final String EOS = "<|endoftext|>";
    /** The unknown-word token, id 2 (unused in practice: unknown words fall back to characters). */
    public static final String UNK = "<|unk|>";
    /** Words with an optional leading space; single digits; single punctuation; single whitespace characters. */
    public static final String SPLIT_REGEX = " ?[\\p{L}_][\\p{L}\\p{N}_]*| ?\\p{N}| ?[^\\s\\p{L}\\p{N}_]|\\s";
    private static final Pattern SPLIT = Pattern.compile(SPLIT_REGEX, Pattern.UNICODE_CHARACTER_CLASS);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ObjectNode json;
    private final HfTokenizer delegate;

    private SqlVocabTokenizer(ObjectNode json) {
        this.json = json;
        this.delegate = HfTokenizer.fromJson(json, "SqlVocabTokenizer");
    }

    /**
     * Builds the vocabulary from texts (e.g. the training prompts and targets).
     *
     * @param texts     the texts whose words are counted
     * @param minCount  words seen fewer times fall back to characters
     * @param maxVocab  upper bound on the vocabulary size (the most frequent words are kept)
     * @return the tokenizer: special, character and byte tokens first, then words by falling frequency
     */
    public static SqlVocabTokenizer build(Iterable<String> texts, int minCount, int maxVocab) {
        Map<String, Integer> counts = new HashMap<>();
        for (String t : texts) {
            Matcher m = SPLIT.matcher(t);
            while (m.find()) {
                String w = m.group();
                // Only words (letters, digits, '_') longer than one character need entries of their own.
                if (w.length() - (w.charAt(0) == ' ' ? 1 : 0) > 1) {
                    counts.merge(w, 1, Integer::sum);
                }
            }
        }
        LinkedHashMap<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : List.of(PAD, EOS, UNK)) {
            vocab.put(s, vocab.size());
        }
        for (char c = 32; c < 127; c++) {
            vocab.putIfAbsent(String.valueOf(c), vocab.size());
        }
        for (char c = 33; c < 127; c++) {
            vocab.putIfAbsent(" " + c, vocab.size());
        }
        for (String ws : List.of("\t", "\n", "\r")) {
            vocab.putIfAbsent(ws, vocab.size());
        }
        for (int b = 0; b < 256; b++) {
            vocab.putIfAbsent(String.format("<0x%02X>", b), vocab.size());
        }
        List<Map.Entry<String, Integer>> words = new ArrayList<>(counts.entrySet());
        words.sort((a, b) -> a.getValue().equals(b.getValue()) ? a.getKey().compareTo(b.getKey()) : b.getValue() - a.getValue());
        for (Map.Entry<String, Integer> e : words) {
            if (vocab.size() >= maxVocab || e.getValue() < minCount) {
                break;
            }
            vocab.putIfAbsent(e.getKey(), vocab.size());
        }
        return new SqlVocabTokenizer(toJson(vocab));
    }

    private static ObjectNode toJson(LinkedHashMap<String, Integer> vocab) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s : List.of(PAD, EOS, UNK)) {
            ObjectNode t = added.addObject();
            t.put("id", vocab.get(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Split");
        pre.putObject("pattern").put("Regex", SPLIT_REGEX);
        pre.put("behavior", "Isolated");
        pre.put("invert", false);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        model.put("unk_token", UNK);
        model.put("char_fallback", true);
        return root;
    }

    /**
     * Writes tokenizer.json atomically.
     *
     * @param file the {@code tokenizer.json} to write, replaced if present
     * @throws IOException if it cannot be written
     */
    public void save(Path file) throws IOException {
        org.tinysql.util.AtomicFiles.writeString(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json));
    }

    /**
     * The tokenizer.json tree (a copy).
     *
     * @return a deep copy of the tree; changing it does not change this tokenizer
     */
    public ObjectNode toJson() {
        return json.deepCopy();
    }

    /**
     * The equivalent {@link HfTokenizer}.
     *
     * @return the HuggingFace-layout tokenizer this one delegates to (the same encoding)
     */
    public HfTokenizer asHfTokenizer() {
        return delegate;
    }

    @Override
    public int[] encode(String text) {
        return delegate.encode(text);
    }

    @Override
    public int[] promptPrefix() {
        return delegate.promptPrefix();
    }

    @Override
    public String decode(int[] ids) {
        return delegate.decode(ids);
    }

    @Override
    public int vocabSize() {
        return delegate.vocabSize();
    }

    @Override
    public int eosId() {
        return delegate.eosId();
    }

    @Override
    public int padId() {
        return delegate.padId();
    }

    @Override
    public String tokenString(int id) {
        return delegate.tokenString(id);
    }
}
