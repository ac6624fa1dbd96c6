package org.tinysql.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A HuggingFace {@code tokenizer.json} tokenizer: byte-level BPE (GPT-2 / GPT-Neo, Qwen2, Llama-3) and word-level
 * models, with added and special tokens. {@link #encode} adds no special tokens (special tokens written in the text
 * are matched); {@link #encodePrompt} puts in front the special tokens that the file's {@code post_processor} template
 * puts before a single sequence (Llama-3's {@code <|begin_of_text|>}; none for GPT-2 and Qwen2, whose post-processor
 * is ByteLevel); {@link #decode} keeps special tokens. Thread-safe. The EOS and pad tokens are the ones a model folder's
 * tokenizer_config.json declares (see {@link #load(Path)}), else found by their usual names.
 *
 * <p>tokenizer.json is untrusted: {@link HfTokenizerReader} checks it, pre-tokenizer regexes from the file run under a
 * step budget ({@link GuardedPattern}), and BPE merges in O(n log n), so encoding time stays near-linear in the text.
 * Text that is not valid UTF-16 (a lone surrogate) is rejected, since it has no UTF-8 bytes to encode.
 */
public final class HfTokenizer implements Tokenizer {
    private static final List<String> EOS_NAMES = List.of("<|endoftext|>", "<|end_of_text|>", "</s>", "<|eot_id|>", "<|im_end|>");
    /** Pad tokens by name; Llama-3 reserves {@code <|finetune_right_pad_id|>} for right padding in fine-tuning. */
    private static final List<String> PAD_NAMES = List.of("<|pad|>", "<pad>", "[PAD]", "<|padding|>", "<|finetune_right_pad_id|>");

    /**
     * An added token (special or not), matched before the pre-tokenizer and the model see the text: in the raw text, or
     * with {@code normalized} in the normalized text (see {@link AddedTokenSplitter}).
     *
     * @param id         the token's id
     * @param content    the token's text, matched verbatim
     * @param special    whether it is a special token (e.g. EOS), which HuggingFace may skip when decoding
     * @param singleWord whether it matches only as a whole word
     * @param lstrip     whether a match takes the whitespace before it
     * @param rstrip     whether a match takes the whitespace after it
     * @param normalized whether it is matched in the normalized rather than the raw text
     */
    public record AddedToken(int id, String content, boolean special, boolean singleWord, boolean lstrip, boolean rstrip,
                             boolean normalized) {
    }

    /** Padding side of batched encoding. */
    public enum PaddingSide {
        /** Padding before the tokens: every sequence ends at the last position (for generation). */
        LEFT,
        /** Padding after the tokens: every sequence starts at position 0. */
        RIGHT
    }

    /**
     * A padded batch: ids [B][T] and attention mask [B][T] (1 = real token, 0 = padding).
     *
     * @param inputIds      [B][T] token ids, padded with {@link #padId()}
     * @param attentionMask [B][T] 1 for real tokens, 0 for padding
     */
    public record Batch(int[][] inputIds, int[][] attentionMask) {

        /**
         * Pads token id sequences to the longest one: padding ids {@code padId} with mask 0, real tokens mask 1.
         * @param ids the sequences [B][*], at least one
         * @param padId the id padded positions get
         * @param side whether the padding goes before (LEFT: every sequence ends at the last position) or after
         * @return ids and mask of shape [B][T], T the longest sequence
         */
        public static Batch pad(int[][] ids, int padId, PaddingSide side) {
            int max = 0;
            for (int[] row : ids) {
                max = Math.max(max, row.length);
            }
            int[][] padded = new int[ids.length][max];
            int[][] mask = new int[ids.length][max];
            for (int b = 0; b < ids.length; b++) {
                int off = side == PaddingSide.LEFT ? max - ids[b].length : 0;
                Arrays.fill(padded[b], padId);
                System.arraycopy(ids[b], 0, padded[b], off, ids[b].length);
                Arrays.fill(mask[b], off, off + ids[b].length, 1);
            }
            return new Batch(padded, mask);
        }
    }

    /**
     * The special token ids tokenizer.json's {@code post_processor} puts before and after a single sequence when
     * HuggingFace encodes with {@code add_special_tokens=True} (see {@link HfTokenizerReader}).
     */
    record Template(int[] prefix, int[] suffix) {
        static final Template NONE = new Template(new int[0], new int[0]);
    }

    private final String source;
    private final PreTokenizer preTokenizer;
    private final TokenModel model;
    private final boolean byteLevelDecode;
    private final String wordJoiner;
    private final List<AddedToken> added;
    private final AddedTokenSplitter splitter;
    private final Map<Integer, AddedToken> addedById = new HashMap<>();
    private final String[] idToToken;
    private final int eosId;
    private final int padId;
    private final Template template;

    HfTokenizer(String source, UnaryOperator<String> normalizer, PreTokenizer preTokenizer, TokenModel model,
                boolean byteLevelDecode, String wordJoiner, List<AddedToken> added, Template template) {
        this.source = source;
        this.template = template;
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
        }
        splitter = new AddedTokenSplitter(this.added, normalizer);
        eosId = find(EOS_NAMES);
        padId = find(PAD_NAMES);
    }

    /** A copy of {@code t} with other EOS and pad ids. */
    private HfTokenizer(HfTokenizer t, int eosId, int padId) {
        this.source = t.source;
        this.template = t.template;
        this.preTokenizer = t.preTokenizer;
        this.model = t.model;
        this.byteLevelDecode = t.byteLevelDecode;
        this.wordJoiner = t.wordJoiner;
        this.added = t.added;
        this.splitter = t.splitter;
        this.idToToken = t.idToToken;
        this.addedById.putAll(t.addedById);
        this.eosId = eosId;
        this.padId = padId;
    }

    /**
     * This tokenizer with the EOS and pad tokens of {@code config} where it names them (the others stay as found by
     * name). A named token must be in the vocabulary or an added token.
     *
     * @param config       the special tokens of a {@code tokenizer_config.json}
     * @param configSource names the config in errors
     * @return a new tokenizer, the same otherwise
     * @throws TokenizerFormatException if a named EOS or pad token is not a token of this tokenizer
     */
    public HfTokenizer withSpecialTokens(TokenizerConfig config, String configSource) {
        return new HfTokenizer(this, special(config.eosToken(), eosId, configSource, "eos_token"),
                special(config.padToken(), padId, configSource, "pad_token"));
    }

    private int special(String token, int dflt, String configSource, String key) {
        if (token == null) {
            return dflt;
        }
        int id = tokenId(token);
        if (id < 0) {
            throw new TokenizerFormatException(configSource, key, TokenizerFormatException.quote(token) + " is not a token of "
                    + source);
        }
        return id;
    }

    /**
     * Loads a {@code tokenizer.json} file, or a model folder's tokenizer: its tokenizer.json with the EOS and pad tokens
     * that its {@code tokenizer_config.json} (when there is one) declares, as HuggingFace's AutoTokenizer reads them.
     *
     * @param path a {@code tokenizer.json} file or a folder holding one
     * @return the tokenizer
     * @throws IOException if there is no tokenizer.json or a file cannot be read
     * @throws TokenizerFormatException if a file is malformed or uses an unsupported feature
     */
    public static HfTokenizer load(Path path) throws IOException {
        boolean folder = Files.isDirectory(path);
        Path file = folder ? path.resolve("tokenizer.json") : path;
        if (!Files.exists(file)) {
            throw new java.nio.file.NoSuchFileException(null, null, "no tokenizer.json at " + file);
        }
        Path config = path.resolve(TokenizerConfig.FILE);
        TokenizerConfig special = folder && Files.exists(config) ? TokenizerConfig.read(config) : null; // small: read it first
        HfTokenizer tok;
        try (InputStream in = Files.newInputStream(file)) {
            tok = load(in, file.toString());
        }
        return special != null ? tok.withSpecialTokens(special, config.toString()) : tok;
    }

    /**
     * Loads a tokenizer.json from a stream; {@code source} names it in errors.
     *
     * @param in     the tokenizer.json bytes, read to the end, not closed
     * @param source names the tokenizer in errors, e.g. its path
     * @return the tokenizer, with EOS and pad found by their usual names
     * @throws IOException if the stream cannot be read
     * @throws TokenizerFormatException if the JSON is malformed or uses an unsupported feature
     */
    public static HfTokenizer load(InputStream in, String source) throws IOException {
        return fromJson(HfTokenizerReader.parse(in, source), source);
    }

    /**
     * Builds a tokenizer from a parsed tokenizer.json tree; {@code source} names it in errors.
     *
     * @param root   the parsed tokenizer.json
     * @param source names the tokenizer in errors
     * @return the tokenizer, with EOS and pad found by their usual names
     * @throws TokenizerFormatException if the tree is malformed or uses an unsupported feature
     */
    public static HfTokenizer fromJson(JsonNode root, String source) {
        return HfTokenizerReader.read(root, source);
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

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when the text has a lone surrogate, or a character the vocabulary cannot
     *     encode; a {@link TokenizerFormatException} when a pre-tokenizer regex of the file exceeds its budget
     */
    @Override
    public int[] encode(String text) {
        int bad = loneSurrogateAt(text);
        if (bad >= 0) {
            throw new IllegalArgumentException(source + ": text has a lone surrogate U+"
                    + Integer.toHexString(text.charAt(bad)).toUpperCase() + " at index " + bad
                    + ": not valid Unicode, so it has no UTF-8 bytes to encode");
        }
        IntList out = new IntList(text.length() / 3 + 4);
        GuardedPattern.Budget budget = new GuardedPattern.Budget();
        splitter.split(text, segment -> encodeSegment(segment, budget, out), out::add);
        return out.toArray();
    }

    /** The special tokens of the post-processor template that come before the text (Llama-3: {@code <|begin_of_text|>}). */
    @Override
    public int[] promptPrefix() {
        return template.prefix().clone();
    }

    /**
     * HuggingFace's {@code encode(text, add_special_tokens=True)} for a single sequence: the post-processor template's
     * special tokens before the text, {@link #encode}, and those after it. For comparisons with HuggingFace; a
     * generation prompt is {@link #encodePrompt}, which leaves out the tokens after the text.
     *
     * @param text the text
     * @return template prefix, the ids of {@code text}, template suffix; a fresh array
     */
    public int[] encodeWithSpecialTokens(String text) {
        int[] ids = encodePrompt(text);
        int[] out = Arrays.copyOf(ids, ids.length + template.suffix().length);
        System.arraycopy(template.suffix(), 0, out, ids.length, template.suffix().length);
        return out;
    }

    /** Pre-tokenizes and encodes a normalized text that holds no added token. */
    private void encodeSegment(String segment, GuardedPattern.Budget budget, IntList out) {
        for (String p : preTokenizer.split(List.of(segment), budget)) {
            if (!p.isEmpty()) {
                out.addAll(model.tokenize(p));
            }
        }
    }

    /** Index of the first unpaired surrogate in {@code s}, or -1 when {@code s} is well-formed UTF-16. */
    static int loneSurrogateAt(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Encodes many texts with {@link #encode} (no special tokens added) into a padded batch.
     *
     * @param texts the B texts
     * @param side  where the padding goes
     * @return ids and mask of shape [B][T], T the longest encoding
     * @throws IllegalStateException if the tokenizer has no padding token
     */
    public Batch encodeBatch(List<String> texts, PaddingSide side) {
        if (padId < 0) {
            throw new IllegalStateException(source + ": the tokenizer has no padding token (looked for " + PAD_NAMES + ")");
        }
        int[][] ids = new int[texts.size()][];
        for (int b = 0; b < texts.size(); b++) {
            ids[b] = encode(texts.get(b));
        }
        return Batch.pad(ids, padId, side);
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
                    bytes.writeBytes(t.getBytes(StandardCharsets.UTF_8));
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

    /**
     * The id of a token string (vocabulary or added token), or -1.
     *
     * @param token the token's string; for byte-level BPE in byte-level characters
     * @return the id, added tokens first, or -1 when there is none
     */
    public int tokenId(String token) {
        for (AddedToken t : added) {
            if (t.content().equals(token)) {
                return t.id();
            }
        }
        Integer id = model.vocab.get(token);
        return id == null ? -1 : id;
    }

    /**
     * The added tokens of the tokenizer.json, special or not.
     *
     * @return them in file order
     */
    public List<AddedToken> addedTokens() {
        return added;
    }

    /**
     * What the tokenizer was loaded from, as named in errors.
     *
     * @return the source, e.g. the file path
     */
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
