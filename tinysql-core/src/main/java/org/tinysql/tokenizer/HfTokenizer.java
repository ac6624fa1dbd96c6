package org.tinysql.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A HuggingFace {@code tokenizer.json} tokenizer: byte-level BPE (GPT-2 / GPT-Neo, Qwen2, Llama-3) and word-level
 * models, with added and special tokens. {@link #encode} adds no special tokens (special tokens written in the text
 * are matched); {@link #decode} keeps special tokens. Thread-safe.
 */
public final class HfTokenizer implements Tokenizer {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final List<String> EOS_NAMES = List.of("<|endoftext|>", "<|end_of_text|>", "</s>", "<|eot_id|>", "<|im_end|>");
    private static final List<String> PAD_NAMES = List.of("<|pad|>", "<pad>", "[PAD]", "<|padding|>");

    /** An added token (special or not) matched in raw text before any other processing. */
    public record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip) {
    }

    /** Padding side of batched encoding. */
    public enum PaddingSide { LEFT, RIGHT }

    /** A padded batch: ids [B][T] and attention mask [B][T] (1 = real token, 0 = padding). */
    public record Batch(int[][] inputIds, int[][] attentionMask) {
    }

    private final String source;
    private final UnaryOperator<String> normalizer;
    private final PreTokenizer preTokenizer;
    private final TokenModel model;
    private final boolean byteLevelDecode;
    private final String wordJoiner;
    private final List<AddedToken> added;
    private final Map<Character, List<AddedToken>> addedByFirstChar = new HashMap<>();
    private final Map<Integer, AddedToken> addedById = new HashMap<>();
    private final String[] idToToken;
    private final int eosId;
    private final int padId;

    private HfTokenizer(String source, UnaryOperator<String> normalizer, PreTokenizer preTokenizer, TokenModel model,
                        boolean byteLevelDecode, String wordJoiner, List<AddedToken> added) {
        this.source = source;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.byteLevelDecode = byteLevelDecode;
        this.wordJoiner = wordJoiner;
        this.added = List.copyOf(added);
        int size = model.idToToken.length;
        for (AddedToken t : added) {
            size = Math.max(size, t.id() + 1);
        }
        idToToken = Arrays.copyOf(model.idToToken, size);
        for (AddedToken t : added) {
            idToToken[t.id()] = t.content();
            addedById.put(t.id(), t);
            addedByFirstChar.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
        }
        addedByFirstChar.values().forEach(l -> l.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed()));
        eosId = find(EOS_NAMES);
        padId = find(PAD_NAMES);
    }

    /** Loads {@code tokenizer.json} from a file (or from a model folder that contains one). */
    public static HfTokenizer load(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.exists(file)) {
            throw new IOException("no tokenizer.json at " + file);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return load(in, file.toString());
        }
    }

    public static HfTokenizer load(InputStream in, String source) throws IOException {
        JsonNode root;
        try {
            root = MAPPER.readTree(in);
        } catch (IOException e) {
            throw new TokenizerFormatException(source, "(file)", "not valid JSON: " + e.getMessage());
        }
        return fromJson(root, source);
    }

    /** Builds a tokenizer from a parsed tokenizer.json tree; {@code source} names it in errors. */
    public static HfTokenizer fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) {
            throw new TokenizerFormatException(source, "(root)", "expected a JSON object");
        }
        JsonNode m = root.get("model");
        if (m == null || m.isNull()) {
            throw new TokenizerFormatException(source, "model", "missing");
        }
        String type = m.hasNonNull("type") ? m.get("type").asText() : (m.has("merges") ? "BPE" : null);
        if (type == null) {
            throw new TokenizerFormatException(source, "model.type", "missing");
        }
        JsonNode vocabNode = m.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) {
            throw new TokenizerFormatException(source, "model.vocab", "missing or not an object of token -> id");
        }
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        int size = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw new TokenizerFormatException(source, "model.vocab[\"" + e.getKey() + "\"]", "id must be a non-negative integer");
            }
            int id = e.getValue().asInt();
            vocab.put(e.getKey(), id);
            size = Math.max(size, id + 1);
        }
        List<AddedToken> added = addedTokens(root.get("added_tokens"), source);
        for (AddedToken t : added) {
            size = Math.max(size, t.id() + 1);
        }
        Integer unkId = null;
        if (m.hasNonNull("unk_token")) {
            String unk = m.get("unk_token").asText();
            unkId = vocab.get(unk);
            if (unkId == null) {
                throw new TokenizerFormatException(source, "model.unk_token", "'" + unk + "' is not in model.vocab");
            }
        }
        TokenModel model;
        switch (type) {
            case "BPE" -> {
                for (String f : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
                    if (m.hasNonNull(f) && !m.get(f).asText().isEmpty()) {
                        throw new TokenizerFormatException(source, "model." + f, "unsupported (only '' or null)");
                    }
                }
                if (m.hasNonNull("dropout") && m.get("dropout").asDouble() > 0) {
                    throw new TokenizerFormatException(source, "model.dropout", "BPE dropout is not supported for inference");
                }
                model = new BpeModel(vocab, size, merges(m.get("merges"), source), unkId,
                        m.path("byte_fallback").asBoolean(false), m.path("ignore_merges").asBoolean(false), source);
            }
            case "WordLevel" -> model = new WordLevelModel(vocab, size, unkId, m.path("char_fallback").asBoolean(false));
            default -> throw new TokenizerFormatException(source, "model.type",
                    "unsupported '" + type + "' (supported: BPE, WordLevel)");
        }
        UnaryOperator<String> normalizer = normalizer(root.get("normalizer"), source, "normalizer");
        PreTokenizer pre = preTokenizer(root.get("pre_tokenizer"), source, "pre_tokenizer");
        JsonNode dec = root.get("decoder");
        boolean byteLevel = usesByteLevel(dec) || usesByteLevel(root.get("pre_tokenizer"));
        String joiner = dec == null || dec.isNull() ? (model instanceof WordLevelModel ? " " : "") : "";
        if (dec != null && !dec.isNull()) {
            checkDecoder(dec, source, "decoder");
        }
        return new HfTokenizer(source, normalizer, pre, model, byteLevel, joiner, added);
    }

    private static List<AddedToken> addedTokens(JsonNode node, String source) {
        List<AddedToken> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw new TokenizerFormatException(source, "added_tokens", "expected an array");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode t = node.get(i);
            if (!t.hasNonNull("id") || !t.get("id").canConvertToInt() || !t.hasNonNull("content")
                    || t.get("content").asText().isEmpty()) {
                throw new TokenizerFormatException(source, "added_tokens[" + i + "]", "needs an integer id and a non-empty content");
            }
            out.add(new AddedToken(t.get("id").asInt(), t.get("content").asText(), t.path("special").asBoolean(false),
                    t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false)));
        }
        return out;
    }

    private static List<String[]> merges(JsonNode node, String source) {
        List<String[]> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw new TokenizerFormatException(source, "model.merges", "expected an array");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode e = node.get(i);
            String[] pair;
            if (e.isTextual()) {
                String s = e.asText();
                int sp = s.indexOf(' ', 1);
                if (sp < 0 || s.indexOf(' ', sp + 1) >= 0) {
                    throw new TokenizerFormatException(source, "model.merges[" + i + "]", "expected 'a b', found '" + s + "'");
                }
                pair = new String[] {s.substring(0, sp), s.substring(sp + 1)};
            } else if (e.isArray() && e.size() == 2 && e.get(0).isTextual() && e.get(1).isTextual()) {
                pair = new String[] {e.get(0).asText(), e.get(1).asText()};
            } else {
                throw new TokenizerFormatException(source, "model.merges[" + i + "]", "expected \"a b\" or [\"a\", \"b\"]");
            }
            out.add(pair);
        }
        return out;
    }

    private static UnaryOperator<String> normalizer(JsonNode n, String source, String field) {
        if (n == null || n.isNull()) {
            return UnaryOperator.identity();
        }
        String type = n.path("type").asText("");
        return switch (type) {
            case "NFC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFC);
            case "NFD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFD);
            case "NFKC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKC);
            case "NFKD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKD);
            case "Lowercase" -> s -> s.toLowerCase(Locale.ROOT);
            case "Sequence" -> {
                JsonNode list = n.get("normalizers");
                if (list == null || !list.isArray()) {
                    throw new TokenizerFormatException(source, field + ".normalizers", "expected an array");
                }
                List<UnaryOperator<String>> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    steps.add(normalizer(list.get(i), source, field + ".normalizers[" + i + "]"));
                }
                yield s -> {
                    String r = s;
                    for (UnaryOperator<String> st : steps) {
                        r = st.apply(r);
                    }
                    return r;
                };
            }
            default -> throw new TokenizerFormatException(source, field + ".type",
                    "unsupported normalizer '" + type + "' (supported: NFC, NFD, NFKC, NFKD, Lowercase, Sequence)");
        };
    }

    private static PreTokenizer preTokenizer(JsonNode n, String source, String field) {
        if (n == null || n.isNull()) {
            return pieces -> pieces;
        }
        String type = n.path("type").asText("");
        switch (type) {
            case "ByteLevel":
                return new PreTokenizer.ByteLevelPre(n.path("add_prefix_space").asBoolean(false),
                        n.path("use_regex").asBoolean(true) ? PreTokenizer.compile(PreTokenizer.GPT2_PATTERN) : null);
            case "Split": {
                JsonNode p = n.get("pattern");
                String regex;
                if (p != null && p.hasNonNull("Regex")) {
                    regex = p.get("Regex").asText();
                } else if (p != null && p.hasNonNull("String")) {
                    regex = Pattern.quote(p.get("String").asText());
                } else {
                    throw new TokenizerFormatException(source, field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
                }
                String behavior = n.path("behavior").asText("Isolated");
                if (!behavior.equals("Isolated") || n.path("invert").asBoolean(false)) {
                    throw new TokenizerFormatException(source, field + ".behavior",
                            "unsupported '" + behavior + "'" + (n.path("invert").asBoolean(false) ? " with invert" : "")
                                    + " (supported: Isolated, invert false)");
                }
                try {
                    return new PreTokenizer.SplitPre(PreTokenizer.compile(regex));
                } catch (PatternSyntaxException e) {
                    throw new TokenizerFormatException(source, field + ".pattern.Regex", "invalid regex: " + e.getDescription());
                }
            }
            case "Digits":
                return new PreTokenizer.DigitsPre(n.path("individual_digits").asBoolean(false));
            case "Sequence": {
                JsonNode list = n.get("pretokenizers");
                if (list == null || !list.isArray()) {
                    throw new TokenizerFormatException(source, field + ".pretokenizers", "expected an array");
                }
                List<PreTokenizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    steps.add(preTokenizer(list.get(i), source, field + ".pretokenizers[" + i + "]"));
                }
                return new PreTokenizer.SequencePre(steps);
            }
            default:
                throw new TokenizerFormatException(source, field + ".type",
                        "unsupported pre-tokenizer '" + type + "' (supported: ByteLevel, Split, Digits, Sequence)");
        }
    }

    private static void checkDecoder(JsonNode n, String source, String field) {
        String type = n.path("type").asText("");
        switch (type) {
            case "ByteLevel", "Fuse", "ByteFallback" -> {
            }
            case "Sequence" -> {
                JsonNode list = n.get("decoders");
                if (list == null || !list.isArray()) {
                    throw new TokenizerFormatException(source, field + ".decoders", "expected an array");
                }
                for (int i = 0; i < list.size(); i++) {
                    checkDecoder(list.get(i), source, field + ".decoders[" + i + "]");
                }
            }
            default -> throw new TokenizerFormatException(source, field + ".type",
                    "unsupported decoder '" + type + "' (supported: ByteLevel, Fuse, ByteFallback, Sequence)");
        }
    }

    private static boolean usesByteLevel(JsonNode n) {
        if (n == null || n.isNull()) {
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

    private int find(List<String> names) {
        for (String name : names) {
            for (AddedToken t : added) {
                if (t.content().equals(name)) {
                    return t.id();
                }
            }
            Integer id = model.vocab.get(name);
            if (id != null) {
                return id;
            }
        }
        return -1;
    }

    @Override
    public int[] encode(String text) {
        IntList out = new IntList(text.length() / 3 + 4);
        int segStart = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            List<AddedToken> candidates = addedByFirstChar.get(text.charAt(i));
            AddedToken hit = null;
            if (candidates != null) {
                for (AddedToken t : candidates) {
                    if (text.startsWith(t.content(), i)) {
                        hit = t;
                        break;
                    }
                }
            }
            if (hit == null) {
                i++;
                continue;
            }
            int segEnd = i;
            if (hit.lstrip()) {
                while (segEnd > segStart && Character.isWhitespace(text.charAt(segEnd - 1))) {
                    segEnd--;
                }
            }
            encodeSegment(text.substring(segStart, segEnd), out);
            out.add(hit.id());
            i += hit.content().length();
            if (hit.rstrip()) {
                while (i < n && Character.isWhitespace(text.charAt(i))) {
                    i++;
                }
            }
            segStart = i;
        }
        encodeSegment(text.substring(segStart), out);
        return out.toArray();
    }

    private void encodeSegment(String segment, IntList out) {
        if (segment.isEmpty()) {
            return;
        }
        List<String> pieces = preTokenizer.split(List.of(normalizer.apply(segment)));
        for (String p : pieces) {
            if (!p.isEmpty()) {
                out.addAll(model.tokenize(p));
            }
        }
    }

    /** Encodes many texts into a padded batch. */
    public Batch encodeBatch(List<String> texts, PaddingSide side) {
        if (padId < 0) {
            throw new IllegalStateException(source + ": the tokenizer has no padding token (looked for " + PAD_NAMES + ")");
        }
        int[][] ids = new int[texts.size()][];
        int max = 0;
        for (int b = 0; b < texts.size(); b++) {
            ids[b] = encode(texts.get(b));
            max = Math.max(max, ids[b].length);
        }
        int[][] padded = new int[texts.size()][max];
        int[][] mask = new int[texts.size()][max];
        for (int b = 0; b < ids.length; b++) {
            int off = side == PaddingSide.LEFT ? max - ids[b].length : 0;
            Arrays.fill(padded[b], padId);
            System.arraycopy(ids[b], 0, padded[b], off, ids[b].length);
            Arrays.fill(mask[b], off, off + ids[b].length, 1);
        }
        return new Batch(padded, mask);
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        List<String> run = new ArrayList<>();
        for (int id : ids) {
            if (id < 0 || id >= idToToken.length || idToToken[id] == null) {
                throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + source);
            }
            AddedToken a = addedById.get(id);
            if (a != null) {
                flush(run, sb);
                sb.append(a.content());
            } else {
                run.add(idToToken[id]);
            }
        }
        flush(run, sb);
        return sb.toString();
    }

    private void flush(List<String> run, StringBuilder sb) {
        if (run.isEmpty()) {
            return;
        }
        if (byteLevelDecode) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String t : run) {
                if (!ByteLevel.decodeInto(t, bytes)) {
                    bytes.writeBytes(t.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            sb.append(ByteLevel.utf8(bytes.toByteArray()));
        } else if (!wordJoiner.isEmpty()) {
            sb.append(String.join(wordJoiner, run));
        } else {
            sb.append(TokenModel.joinWithByteFallback(run));
        }
        run.clear();
    }

    @Override
    public int vocabSize() {
        return idToToken.length;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public int padId() {
        return padId;
    }

    @Override
    public String tokenString(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    /** The id of a token string (vocabulary or added token), or -1. */
    public int tokenId(String token) {
        for (AddedToken t : added) {
            if (t.content().equals(token)) {
                return t.id();
            }
        }
        Integer id = model.vocab.get(token);
        return id == null ? -1 : id;
    }

    public List<AddedToken> addedTokens() {
        return added;
    }

    public String source() {
        return source;
    }

    /** A growable int array. */
    static final class IntList {
        private int[] a;
        private int n;

        IntList(int cap) {
            a = new int[Math.max(4, cap)];
        }

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void addAll(int[] vs) {
            if (n + vs.length > a.length) {
                a = Arrays.copyOf(a, Math.max(n * 2, n + vs.length));
            }
            System.arraycopy(vs, 0, a, n, vs.length);
            n += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
