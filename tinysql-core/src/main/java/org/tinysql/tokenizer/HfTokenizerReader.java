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
    private final JsonFields f;

    private HfTokenizerReader(String source) {
        this.source = source;
        this.f = new JsonFields(source);
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
            throw f.fail("(root)", "expected a JSON object");
        }
        JsonNode m = root.get("model");
        if (m == null || m.isNull()) {
            throw f.fail("model", "missing");
        }
        f.object(m, "model");
        String type = f.text(m, "type", "model.type");
        if (type == null && m.has("merges")) {
            type = "BPE";
        } else if (type == null) {
            throw f.fail("model.type", "missing");
        }
        JsonNode vocabNode = m.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) {
            throw f.fail("model.vocab", "missing or not an object of token -> id");
        }
        JsonNode addedNode = root.get("added_tokens");
        if (addedNode != null && !addedNode.isNull() && !addedNode.isArray()) {
            throw f.fail("added_tokens", "expected an array");
        }
        long entries = (long) vocabNode.size() + (addedNode == null ? 0 : addedNode.size());
        if (entries > MAX_IDS) {
            throw f.fail("model.vocab", entries + " vocabulary entries and added tokens (at most " + MAX_IDS + ")");
        }
        String[] byId = new String[(int) entries];
        Map<String, Integer> vocab = vocab(vocabNode, byId);
        List<HfTokenizer.AddedToken> added = addedTokens(addedNode, vocab, byId);
        int size = 0;
        for (int id = 0; id < byId.length; id++) {
            size = byId[id] != null ? id + 1 : size;
        }
        Integer unkId = null;
        String unk = f.text(m, "unk_token", "model.unk_token");
        if (unk != null) {
            unkId = vocab.get(unk);
            if (unkId == null) {
                throw f.fail("model.unk_token", quote(unk) + " is not in model.vocab");
            }
        }
        TokenModel model = switch (type) {
            case "BPE" -> bpe(m, vocab, size, unkId);
            case "WordLevel" -> new WordLevelModel(vocab, size, unkId,
                    f.bool(m, "char_fallback", false, "model.char_fallback"), source);
            default -> throw f.fail("model.type", "unsupported " + quote(type) + " (supported: BPE, WordLevel)");
        };
        UnaryOperator<String> normalizer = normalizer(root.get("normalizer"), "normalizer");
        PreTokenizer pre = preTokenizer(root.get("pre_tokenizer"), "pre_tokenizer");
        JsonNode dec = root.get("decoder");
        boolean byteLevel = usesByteLevel(dec) || usesByteLevel(root.get("pre_tokenizer"));
        String joiner = dec == null || dec.isNull() ? (model instanceof WordLevelModel ? " " : "") : "";
        if (dec != null && !dec.isNull()) {
            checkDecoder(dec, "decoder");
        }
        HfTokenizer.Template template = new PostProcessorReader(f, byId).read(root.get("post_processor"), "post_processor");
        return new HfTokenizer(source, normalizer, pre, model, byteLevel, joiner, added, template);
    }

    private Map<String, Integer> vocab(JsonNode vocabNode, String[] byId) {
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = "model.vocab[" + quote(e.getKey()) + "]";
            int id = f.id(e.getValue(), byId.length, field);
            if (byId[id] != null) {
                throw f.fail(field, "id " + id + " is also the id of " + quote(byId[id]));
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
            JsonNode t = f.object(node.get(i), field);
            int id = f.id(t.get("id"), byId.length, field + ".id");
            String content = f.text(t, "content", field + ".content");
            if (content == null || content.isEmpty() || content.length() > MAX_ADDED_TOKEN_CHARS) {
                throw f.fail(field + ".content", "expected a string of 1 to " + MAX_ADDED_TOKEN_CHARS + " characters");
            }
            int bad = HfTokenizer.loneSurrogateAt(content);
            if (bad >= 0) {
                throw f.fail(field + ".content", "lone surrogate U+" + Integer.toHexString(content.charAt(bad)).toUpperCase()
                        + " at index " + bad + " (not valid Unicode)");
            }
            Integer sameId = indexById.putIfAbsent(id, i);
            if (sameId != null) {
                throw f.fail(field + ".id", "id " + id + " is also the id of added_tokens[" + sameId + "]");
            }
            Integer sameContent = indexByContent.putIfAbsent(content, i);
            if (sameContent != null) {
                throw f.fail(field + ".content", quote(content) + " is also added_tokens[" + sameContent + "]");
            }
            if (byId[id] != null && !byId[id].equals(content)) {
                throw f.fail(field + ".id", "id " + id + " is " + quote(byId[id]) + " in model.vocab, not "
                        + quote(content));
            }
            Integer vocabId = vocab.get(content);
            if (vocabId != null && vocabId != id) {
                throw f.fail(field + ".id", quote(content) + " has id " + vocabId + " in model.vocab, not " + id);
            }
            byId[id] = content;
            boolean special = f.bool(t, "special", false, field + ".special");
            // HuggingFace's default: special tokens are matched in the raw text, the others in the normalized text.
            out.add(new HfTokenizer.AddedToken(id, content, special, f.bool(t, "single_word", false, field + ".single_word"),
                    f.bool(t, "lstrip", false, field + ".lstrip"), f.bool(t, "rstrip", false, field + ".rstrip"),
                    f.bool(t, "normalized", !special, field + ".normalized")));
        }
        return out;
    }

    private BpeModel bpe(JsonNode m, Map<String, Integer> vocab, int size, Integer unkId) {
        for (String name : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            String v = f.text(m, name, "model." + name);
            if (v != null && !v.isEmpty()) {
                throw f.fail("model." + name, "unsupported (only '' or null)");
            }
        }
        JsonNode dropout = m.get("dropout");
        if (dropout != null && !dropout.isNull() && (!dropout.isNumber() || dropout.asDouble() > 0)) {
            throw f.fail("model.dropout",
                    dropout.isNumber() ? "BPE dropout is not supported for inference" : "expected a number or null");
        }
        boolean byteFallback = f.bool(m, "byte_fallback", false, "model.byte_fallback");
        boolean ignoreMerges = f.bool(m, "ignore_merges", false, "model.ignore_merges");
        return new BpeModel(vocab, size, merges(m.get("merges")), unkId, byteFallback, ignoreMerges, source);
    }

    private List<String[]> merges(JsonNode node) {
        List<String[]> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw f.fail("model.merges", "expected an array");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode e = node.get(i);
            String[] pair;
            if (e.isTextual()) {
                String s = e.asText();
                int sp = s.indexOf(' ', 1);
                if (sp < 0 || s.indexOf(' ', sp + 1) >= 0) {
                    throw f.fail("model.merges[" + i + "]", "expected 'a b', found " + quote(s));
                }
                pair = new String[] {s.substring(0, sp), s.substring(sp + 1)};
            } else if (e.isArray() && e.size() == 2 && e.get(0).isTextual() && e.get(1).isTextual()) {
                pair = new String[] {e.get(0).asText(), e.get(1).asText()};
            } else {
                throw f.fail("model.merges[" + i + "]", "expected \"a b\" or [\"a\", \"b\"]");
            }
            out.add(pair);
        }
        return out;
    }

    private UnaryOperator<String> normalizer(JsonNode n, String field) {
        if (n == null || n.isNull()) {
            return UnaryOperator.identity();
        }
        String type = f.requiredText(f.object(n, field), "type", field + ".type");
        return switch (type) {
            case "NFC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFC);
            case "NFD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFD);
            case "NFKC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKC);
            case "NFKD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKD);
            case "Lowercase" -> HfTokenizerReader::lowercase;
            case "Sequence" -> {
                JsonNode list = f.array(n, "normalizers", field + ".normalizers");
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
            default -> throw f.fail(field + ".type",
                    "unsupported normalizer " + quote(type) + " (supported: NFC, NFD, NFKC, NFKD, Lowercase, Sequence)");
        };
    }

    /**
     * HuggingFace's Lowercase: each character's full Unicode lowercase mapping on its own, so a final capital sigma
     * becomes σ (String.toLowerCase would apply the final-sigma rule and give ς).
     */
    static String lowercase(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = Character.charCount(cp);
            if (cp < 0x80) {
                sb.append((char) Character.toLowerCase(cp));
            } else if (cp == 0x03A3) {
                sb.append('\u03C3');
            } else {
                sb.append(s.substring(i, i + n).toLowerCase(Locale.ROOT));
            }
            i += n;
        }
        return sb.toString();
    }

    private PreTokenizer preTokenizer(JsonNode n, String field) {
        if (n == null || n.isNull()) {
            return (pieces, budget) -> pieces;
        }
        String type = f.requiredText(f.object(n, field), "type", field + ".type");
        switch (type) {
            case "ByteLevel":
                boolean useRegex = f.bool(n, "use_regex", true, field + ".use_regex");
                return new PreTokenizer.ByteLevelPre(f.bool(n, "add_prefix_space", false, field + ".add_prefix_space"),
                        useRegex ? PreTokenizer.compile(PreTokenizer.GPT2_PATTERN) : null);
            case "Split": {
                JsonNode p = n.get("pattern");
                String regex = p == null || !p.isObject() ? null : f.text(p, "Regex", field + ".pattern.Regex");
                String literal = p == null || !p.isObject() ? null : f.text(p, "String", field + ".pattern.String");
                if (regex == null && literal == null) {
                    throw f.fail(field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
                }
                String behavior = f.text(n, "behavior", field + ".behavior");
                boolean invert = f.bool(n, "invert", false, field + ".invert");
                if (behavior != null && !behavior.equals("Isolated") || invert) {
                    throw f.fail(field + ".behavior", "unsupported " + quote(String.valueOf(behavior))
                            + (invert ? " with invert" : "") + " (supported: Isolated, invert false)");
                }
                return new PreTokenizer.SplitPre(regex != null
                        ? GuardedPattern.compile(regex, source, field + ".pattern.Regex")
                        : GuardedPattern.compile(Pattern.quote(literal), source, field + ".pattern.String"));
            }
            case "Digits":
                return new PreTokenizer.DigitsPre(f.bool(n, "individual_digits", false, field + ".individual_digits"));
            case "Sequence": {
                JsonNode list = f.array(n, "pretokenizers", field + ".pretokenizers");
                List<PreTokenizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    steps.add(preTokenizer(list.get(i), field + ".pretokenizers[" + i + "]"));
                }
                return new PreTokenizer.SequencePre(steps);
            }
            default:
                throw f.fail(field + ".type",
                        "unsupported pre-tokenizer " + quote(type) + " (supported: ByteLevel, Split, Digits, Sequence)");
        }
    }

    private void checkDecoder(JsonNode n, String field) {
        String type = f.requiredText(f.object(n, field), "type", field + ".type");
        switch (type) {
            case "ByteLevel", "Fuse", "ByteFallback" -> {
            }
            case "Sequence" -> {
                JsonNode list = f.array(n, "decoders", field + ".decoders");
                for (int i = 0; i < list.size(); i++) {
                    checkDecoder(list.get(i), field + ".decoders[" + i + "]");
                }
            }
            default -> throw f.fail(field + ".type",
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
}
