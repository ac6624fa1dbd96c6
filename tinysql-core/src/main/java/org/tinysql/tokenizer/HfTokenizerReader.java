package org.tinysql.tokenizer;

import static org.tinysql.tokenizer.TokenizerFormatException.quote;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Reads and checks a {@code tokenizer.json}, which is untrusted: every field we use must have the right type, ids
 * must be integers in [0, vocabulary entries + added tokens) with no id or token used twice, and the file may not be
 * larger than {@value #MAX_FILE_BYTES} bytes. Any problem is a {@link TokenizerFormatException} naming the field.
 */
final class HfTokenizerReader {
    static final long MAX_FILE_BYTES = 256L << 20;
    static final int MAX_IDS = 1 << 24;
    static final int MAX_ADDED_TOKEN_CHARS = 256;
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxDocumentLength(MAX_FILE_BYTES).build())
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final String source;

    private HfTokenizerReader(String source) {
        this.source = source;
    }

    /** Parses the JSON: syntax errors, duplicate keys and oversized files are format errors; I/O errors propagate. */
    static JsonNode parse(InputStream in, String source) throws IOException {
        try {
            return MAPPER.readTree(in);
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(source, "(file)", "not a valid JSON document: " + e.getOriginalMessage());
        }
    }

    static HfTokenizer read(JsonNode root, String source) {
        return new HfTokenizerReader(source).read(root);
    }

    private HfTokenizer read(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw fail("(root)", "expected a JSON object");
        }
        JsonNode m = root.get("model");
        if (m == null || m.isNull()) {
            throw fail("model", "missing");
        }
        object(m, "model");
        String type = text(m, "type", "model.type");
        if (type == null && m.has("merges")) {
            type = "BPE";
        } else if (type == null) {
            throw fail("model.type", "missing");
        }
        JsonNode vocabNode = m.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) {
            throw fail("model.vocab", "missing or not an object of token -> id");
        }
        JsonNode addedNode = root.get("added_tokens");
        if (addedNode != null && !addedNode.isNull() && !addedNode.isArray()) {
            throw fail("added_tokens", "expected an array");
        }
        long entries = (long) vocabNode.size() + (addedNode == null ? 0 : addedNode.size());
        if (entries > MAX_IDS) {
            throw fail("model.vocab", entries + " vocabulary entries and added tokens (at most " + MAX_IDS + ")");
        }
        String[] byId = new String[(int) entries];
        Map<String, Integer> vocab = vocab(vocabNode, byId);
        List<HfTokenizer.AddedToken> added = addedTokens(addedNode, vocab, byId);
        int size = 0;
        for (int id = 0; id < byId.length; id++) {
            size = byId[id] != null ? id + 1 : size;
        }
        Integer unkId = null;
        String unk = text(m, "unk_token", "model.unk_token");
        if (unk != null) {
            unkId = vocab.get(unk);
            if (unkId == null) {
                throw fail("model.unk_token", quote(unk) + " is not in model.vocab");
            }
        }
        TokenModel model = switch (type) {
            case "BPE" -> bpe(m, vocab, size, unkId);
            case "WordLevel" -> new WordLevelModel(vocab, size, unkId,
                    bool(m, "char_fallback", false, "model.char_fallback"), source);
            default -> throw fail("model.type", "unsupported " + quote(type) + " (supported: BPE, WordLevel)");
        };
        UnaryOperator<String> normalizer = normalizer(root.get("normalizer"), "normalizer");
        PreTokenizer pre = preTokenizer(root.get("pre_tokenizer"), "pre_tokenizer");
        JsonNode dec = root.get("decoder");
        boolean byteLevel = usesByteLevel(dec) || usesByteLevel(root.get("pre_tokenizer"));
        String joiner = dec == null || dec.isNull() ? (model instanceof WordLevelModel ? " " : "") : "";
        if (dec != null && !dec.isNull()) {
            checkDecoder(dec, "decoder");
        }
        return new HfTokenizer(source, normalizer, pre, model, byteLevel, joiner, added);
    }

    private Map<String, Integer> vocab(JsonNode vocabNode, String[] byId) {
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = "model.vocab[" + quote(e.getKey()) + "]";
            int id = id(e.getValue(), byId.length, field);
            if (byId[id] != null) {
                throw fail(field, "id " + id + " is also the id of " + quote(byId[id]));
            }
            byId[id] = e.getKey();
            vocab.put(e.getKey(), id);
        }
        return vocab;
    }

    private List<HfTokenizer.AddedToken> addedTokens(JsonNode node, Map<String, Integer> vocab, String[] byId) {
        List<HfTokenizer.AddedToken> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        Map<Integer, Integer> indexById = new HashMap<>();
        Map<String, Integer> indexByContent = new HashMap<>();
        for (int i = 0; i < node.size(); i++) {
            String field = "added_tokens[" + i + "]";
            JsonNode t = object(node.get(i), field);
            int id = id(t.get("id"), byId.length, field + ".id");
            String content = text(t, "content", field + ".content");
            if (content == null || content.isEmpty() || content.length() > MAX_ADDED_TOKEN_CHARS) {
                throw fail(field + ".content", "expected a string of 1 to " + MAX_ADDED_TOKEN_CHARS + " characters");
            }
            int bad = HfTokenizer.loneSurrogateAt(content);
            if (bad >= 0) {
                throw fail(field + ".content", "lone surrogate U+" + Integer.toHexString(content.charAt(bad)).toUpperCase()
                        + " at index " + bad + " (not valid Unicode)");
            }
            Integer sameId = indexById.putIfAbsent(id, i);
            if (sameId != null) {
                throw fail(field + ".id", "id " + id + " is also the id of added_tokens[" + sameId + "]");
            }
            Integer sameContent = indexByContent.putIfAbsent(content, i);
            if (sameContent != null) {
                throw fail(field + ".content", quote(content) + " is also added_tokens[" + sameContent + "]");
            }
            if (byId[id] != null && !byId[id].equals(content)) {
                throw fail(field + ".id", "id " + id + " is " + quote(byId[id]) + " in model.vocab, not " + quote(content));
            }
            Integer vocabId = vocab.get(content);
            if (vocabId != null && vocabId != id) {
                throw fail(field + ".id", quote(content) + " has id " + vocabId + " in model.vocab, not " + id);
            }
            byId[id] = content;
            out.add(new HfTokenizer.AddedToken(id, content, bool(t, "special", false, field + ".special"),
                    bool(t, "lstrip", false, field + ".lstrip"), bool(t, "rstrip", false, field + ".rstrip")));
        }
        return out;
    }

    private BpeModel bpe(JsonNode m, Map<String, Integer> vocab, int size, Integer unkId) {
        for (String f : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            String v = text(m, f, "model." + f);
            if (v != null && !v.isEmpty()) {
                throw fail("model." + f, "unsupported (only '' or null)");
            }
        }
        JsonNode dropout = m.get("dropout");
        if (dropout != null && !dropout.isNull() && (!dropout.isNumber() || dropout.asDouble() > 0)) {
            throw fail("model.dropout",
                    dropout.isNumber() ? "BPE dropout is not supported for inference" : "expected a number or null");
        }
        return new BpeModel(vocab, size, merges(m.get("merges")), unkId, bool(m, "byte_fallback", false, "model.byte_fallback"),
                bool(m, "ignore_merges", false, "model.ignore_merges"), source);
    }

    private List<String[]> merges(JsonNode node) {
        List<String[]> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw fail("model.merges", "expected an array");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode e = node.get(i);
            String[] pair;
            if (e.isTextual()) {
                String s = e.asText();
                int sp = s.indexOf(' ', 1);
                if (sp < 0 || s.indexOf(' ', sp + 1) >= 0) {
                    throw fail("model.merges[" + i + "]", "expected 'a b', found " + quote(s));
                }
                pair = new String[] {s.substring(0, sp), s.substring(sp + 1)};
            } else if (e.isArray() && e.size() == 2 && e.get(0).isTextual() && e.get(1).isTextual()) {
                pair = new String[] {e.get(0).asText(), e.get(1).asText()};
            } else {
                throw fail("model.merges[" + i + "]", "expected \"a b\" or [\"a\", \"b\"]");
            }
            out.add(pair);
        }
        return out;
    }

    private UnaryOperator<String> normalizer(JsonNode n, String field) {
        if (n == null || n.isNull()) {
            return UnaryOperator.identity();
        }
        String type = requiredText(object(n, field), "type", field + ".type");
        return switch (type) {
            case "NFC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFC);
            case "NFD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFD);
            case "NFKC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKC);
            case "NFKD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKD);
            case "Lowercase" -> s -> s.toLowerCase(Locale.ROOT);
            case "Sequence" -> {
                JsonNode list = array(n, "normalizers", field + ".normalizers");
                List<UnaryOperator<String>> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    steps.add(normalizer(list.get(i), field + ".normalizers[" + i + "]"));
                }
                yield s -> {
                    String r = s;
                    for (UnaryOperator<String> st : steps) {
                        r = st.apply(r);
                    }
                    return r;
                };
            }
            default -> throw fail(field + ".type",
                    "unsupported normalizer " + quote(type) + " (supported: NFC, NFD, NFKC, NFKD, Lowercase, Sequence)");
        };
    }

    private PreTokenizer preTokenizer(JsonNode n, String field) {
        if (n == null || n.isNull()) {
            return (pieces, budget) -> pieces;
        }
        String type = requiredText(object(n, field), "type", field + ".type");
        switch (type) {
            case "ByteLevel":
                boolean useRegex = bool(n, "use_regex", true, field + ".use_regex");
                return new PreTokenizer.ByteLevelPre(bool(n, "add_prefix_space", false, field + ".add_prefix_space"),
                        useRegex ? PreTokenizer.compile(PreTokenizer.GPT2_PATTERN) : null);
            case "Split": {
                JsonNode p = n.get("pattern");
                String regex = p == null || !p.isObject() ? null : text(p, "Regex", field + ".pattern.Regex");
                String literal = p == null || !p.isObject() ? null : text(p, "String", field + ".pattern.String");
                if (regex == null && literal == null) {
                    throw fail(field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
                }
                String behavior = text(n, "behavior", field + ".behavior");
                boolean invert = bool(n, "invert", false, field + ".invert");
                if (behavior != null && !behavior.equals("Isolated") || invert) {
                    throw fail(field + ".behavior", "unsupported " + quote(String.valueOf(behavior))
                            + (invert ? " with invert" : "") + " (supported: Isolated, invert false)");
                }
                return new PreTokenizer.SplitPre(regex != null
                        ? GuardedPattern.compile(regex, source, field + ".pattern.Regex")
                        : GuardedPattern.compile(Pattern.quote(literal), source, field + ".pattern.String"));
            }
            case "Digits":
                return new PreTokenizer.DigitsPre(bool(n, "individual_digits", false, field + ".individual_digits"));
            case "Sequence": {
                JsonNode list = array(n, "pretokenizers", field + ".pretokenizers");
                List<PreTokenizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    steps.add(preTokenizer(list.get(i), field + ".pretokenizers[" + i + "]"));
                }
                return new PreTokenizer.SequencePre(steps);
            }
            default:
                throw fail(field + ".type",
                        "unsupported pre-tokenizer " + quote(type) + " (supported: ByteLevel, Split, Digits, Sequence)");
        }
    }

    private void checkDecoder(JsonNode n, String field) {
        String type = requiredText(object(n, field), "type", field + ".type");
        switch (type) {
            case "ByteLevel", "Fuse", "ByteFallback" -> {
            }
            case "Sequence" -> {
                JsonNode list = array(n, "decoders", field + ".decoders");
                for (int i = 0; i < list.size(); i++) {
                    checkDecoder(list.get(i), field + ".decoders[" + i + "]");
                }
            }
            default -> throw fail(field + ".type",
                    "unsupported decoder " + quote(type) + " (supported: ByteLevel, Fuse, ByteFallback, Sequence)");
        }
    }

    private static boolean usesByteLevel(JsonNode n) {
        if (n == null || !n.isObject()) {
            return false;
        }
        if ("ByteLevel".equals(n.path("type").asText())) {
            return true;
        }
        for (String list : List.of("pretokenizers", "decoders")) {
            JsonNode l = n.get(list);
            if (l != null && l.isArray()) {
                for (JsonNode c : l) {
                    if (usesByteLevel(c)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** A token id: an integer in [0, cap). */
    private int id(JsonNode v, int cap, String field) {
        if (v == null || v.isNull()) {
            throw fail(field, "missing id");
        }
        if (!v.isIntegralNumber()) {
            throw fail(field, "id must be an integer, found " + quote(v.toString()));
        }
        if (v.canConvertToLong() && v.longValue() < 0) {
            throw fail(field, "id must not be negative, found " + v.longValue());
        }
        if (!v.canConvertToInt() || v.intValue() >= cap) {
            throw fail(field, "id " + quote(v.asText()) + " is out of range: ids must be below " + cap
                    + " (the number of vocabulary entries plus added tokens)");
        }
        return v.intValue();
    }

    private JsonNode object(JsonNode n, String field) {
        if (n == null || !n.isObject()) {
            throw fail(field, "expected an object");
        }
        return n;
    }

    private JsonNode array(JsonNode parent, String name, String field) {
        JsonNode n = parent.get(name);
        if (n == null || !n.isArray()) {
            throw fail(field, "expected an array");
        }
        return n;
    }

    /** A string field, or null when absent or null. */
    private String text(JsonNode parent, String name, String field) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw fail(field, "expected a string, found " + quote(n.toString()));
        }
        return n.asText();
    }

    private String requiredText(JsonNode parent, String name, String field) {
        String s = text(parent, name, field);
        if (s == null) {
            throw fail(field, "missing");
        }
        return s;
    }

    private boolean bool(JsonNode parent, String name, boolean dflt, String field) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw fail(field, "expected true or false, found " + quote(n.toString()));
        }
        return n.booleanValue();
    }

    private TokenizerFormatException fail(String field, String problem) {
        return new TokenizerFormatException(source, field, problem);
    }
}
