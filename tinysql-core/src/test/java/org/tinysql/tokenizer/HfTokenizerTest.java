package org.tinysql.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HfTokenizerTest {
    static final ObjectMapper M = new ObjectMapper();
    static JsonNode gpt2Json;
    static HfTokenizer gpt2;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = HfTokenizerTest.class.getResourceAsStream("/tokenizers/gpt2/tokenizer.json")) {
            gpt2Json = M.readTree(in);
        }
        gpt2 = HfTokenizer.fromJson(gpt2Json, "gpt2/tokenizer.json");
    }

    @Test
    void matchesTheReferenceTokenizations() throws IOException {
        int cases = 0;
        try (InputStream in = getClass().getResourceAsStream("/tokenizers/gpt2/cases.jsonl")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode c = M.readTree(line);
                String text = c.get("text").asText();
                int[] want = M.convertValue(c.get("ids"), int[].class);
                assertArrayEquals(want, gpt2.encode(text), "encode " + text);
                assertEquals(c.get("decoded").asText(), gpt2.decode(want), "decode " + text);
                cases++;
            }
        }
        assertEquals(15, cases);
    }

    /**
     * Llama-3's post-processor, Sequence[ByteLevel, TemplateProcessing "<|begin_of_text|> $A"]: HuggingFace's encoding
     * with special tokens is the BOS id, then the encoding without (HfReferenceTest checks this against HuggingFace on
     * the llama3-bos variant); prompts get that prefix, {@code encode} stays without it.
     */
    @Test
    void llama3PostProcessorPutsBosBeforePrompts() {
        HfTokenizer t = HfTokenizer.fromJson(PostProcessorFixtures.withBos(gpt2Json), "llama3-bos.json");
        int bos = t.tokenId(PostProcessorFixtures.BOS);
        assertEquals(50258, bos);
        String prompt = "### Instruction: Show me the price ### Context: CREATE TABLE t ( price INT ) ### Response:";
        int[] ids = gpt2.encode(prompt);
        int[] want = new int[ids.length + 1];
        want[0] = bos;
        System.arraycopy(ids, 0, want, 1, ids.length);
        assertArrayEquals(ids, t.encode(prompt));
        assertArrayEquals(want, t.encodePrompt(prompt));
        assertArrayEquals(want, t.encodeWithSpecialTokens(prompt)); // nothing after $A
        assertArrayEquals(new int[] {bos}, t.promptPrefix());
        assertArrayEquals(new int[] {bos}, t.encodePrompt(""));
        assertArrayEquals(new int[] {bos, bos}, t.encodePrompt(PostProcessorFixtures.BOS));
        t.promptPrefix()[0] = 7;
        assertArrayEquals(new int[] {bos}, t.promptPrefix(), "a copy");
        HfTokenizer declared = t.withSpecialTokens(new TokenizerConfig(PostProcessorFixtures.BOS, "<|endoftext|>", null), "config");
        assertArrayEquals(want, declared.encodePrompt(prompt));
    }

    /** GPT-2 and Qwen's post-processor is ByteLevel, SqlVocabTokenizer has none: prompts are encoded as they are. */
    @Test
    void gpt2QwenAndSqlVocabPromptsHaveNoPrefix() {
        String prompt = "### Instruction: a ### Context: CREATE TABLE t ( a INT ) ### Response:";
        List<Tokenizer> toks = List.of(gpt2, TestTokenizers.qwen3(), SqlVocabTokenizer.build(List.of(prompt), 1, 1_000));
        for (Tokenizer t : toks) {
            assertEquals(0, t.promptPrefix().length);
            assertArrayEquals(t.encode(prompt), t.encodePrompt(prompt));
        }
        assertArrayEquals(gpt2.encode(prompt), gpt2.encodeWithSpecialTokens(prompt));
    }

    @Test
    void postProcessorIdsMustBeTokens() {
        ObjectNode j = PostProcessorFixtures.withBos(gpt2Json);
        // 50259 is below the id bound (vocabulary entries plus added tokens) but no token's id: <|endoftext|> is both.
        ((ArrayNode) j.at("/post_processor/processors/1/special_tokens").get(PostProcessorFixtures.BOS).get("ids")).set(0, 50259);
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> HfTokenizer.fromJson(j, "hole.json"));
        assertEquals("hole.json: post_processor.processors[1].special_tokens['<|begin_of_text|>'].ids[0]: id 50259 is not a token"
                + " of model.vocab or added_tokens", e.getMessage());
    }

    @Test
    void specialTokensAndIds() {
        assertEquals(50258, gpt2.vocabSize());
        assertEquals(50256, gpt2.eosId());
        assertEquals(50257, gpt2.padId());
        assertArrayEquals(new int[] {50256}, gpt2.encode("<|endoftext|>"));
        assertArrayEquals(new int[] {50257, 50256}, gpt2.encode("<|pad|><|endoftext|>"));
        assertEquals("<|endoftext|>", gpt2.tokenString(50256));
        assertEquals(-1, gpt2.tokenId("no such token"));
    }

    @Test
    void emptyInput() {
        assertEquals(0, gpt2.encode("").length);
        assertEquals("", gpt2.decode(new int[0]));
    }

    @Test
    void randomUnicodeRoundTrips() {
        SplittableRandom r = new SplittableRandom(99);
        for (int t = 0; t < 2_000; t++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(40);
            for (int i = 0; i < len; i++) {
                int cp;
                switch (r.nextInt(5)) {
                    case 0 -> cp = 32 + r.nextInt(95);
                    case 1 -> cp = r.nextInt(0x80);
                    case 2 -> cp = 0x80 + r.nextInt(0x780);
                    case 3 -> cp = 0x3000 + r.nextInt(0x6000);
                    default -> cp = 0x1F300 + r.nextInt(0x300);
                }
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    cp = 'x';
                }
                sb.appendCodePoint(cp);
            }
            String s = sb.toString();
            assertEquals(s, gpt2.decode(gpt2.encode(s)), "round trip of " + s.codePoints().boxed().toList());
        }
    }

    @Test
    void batchPadsOnEitherSideWithAMask() {
        HfTokenizer.Batch right = gpt2.encodeBatch(List.of("SELECT a FROM t", "SELECT"), HfTokenizer.PaddingSide.RIGHT);
        int[] a = gpt2.encode("SELECT a FROM t");
        assertArrayEquals(a, right.inputIds()[0]);
        assertEquals(a.length, right.inputIds()[1].length);
        assertEquals(gpt2.encode("SELECT")[0], right.inputIds()[1][0]);
        assertEquals(50257, right.inputIds()[1][a.length - 1]);
        assertEquals(1, right.attentionMask()[1][0]);
        assertEquals(0, right.attentionMask()[1][1]);
        HfTokenizer.Batch left = gpt2.encodeBatch(List.of("SELECT a FROM t", "SELECT"), HfTokenizer.PaddingSide.LEFT);
        assertEquals(gpt2.encode("SELECT")[0], left.inputIds()[1][a.length - 1]);
        assertEquals(0, left.attentionMask()[1][0]);
        assertEquals(1, left.attentionMask()[1][a.length - 1]);
    }

    /** A copy of the GPT-2 tokenizer.json with one field replaced. */
    private static ObjectNode variant() {
        return gpt2Json.deepCopy();
    }

    @Test
    void malformedFilesNameTheField() {
        ObjectNode noModel = variant();
        noModel.remove("model");
        assertMessage("model: missing", noModel);

        ObjectNode unknownType = variant();
        ((ObjectNode) unknownType.get("model")).put("type", "Unigram");
        assertMessage("model.type: unsupported 'Unigram'", unknownType);

        ObjectNode badMerge = variant();
        ((ArrayNode) badMerge.get("model").get("merges")).set(5, M.getNodeFactory().textNode("nonexistent_token zz"));
        assertMessage("model.merges[5]", badMerge);

        ObjectNode badMergeShape = variant();
        ((ArrayNode) badMergeShape.get("model").get("merges")).set(2, M.getNodeFactory().numberNode(3));
        assertMessage("model.merges[2]", badMergeShape);

        ObjectNode noVocab = variant();
        ((ObjectNode) noVocab.get("model")).remove("vocab");
        assertMessage("model.vocab", noVocab);

        ObjectNode badPre = variant();
        ((ObjectNode) badPre.get("pre_tokenizer")).put("type", "Metaspace");
        assertMessage("pre_tokenizer.type: unsupported pre-tokenizer 'Metaspace'", badPre);

        ObjectNode badAdded = variant();
        ((ObjectNode) badAdded.get("added_tokens").get(0)).remove("id");
        assertMessage("added_tokens[0]", badAdded);

        assertThrows(TokenizerFormatException.class,
                () -> HfTokenizer.load(new java.io.ByteArrayInputStream("{ not json".getBytes(StandardCharsets.UTF_8)), "x.json"));
    }

    private static void assertMessage(String expected, JsonNode json) {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> HfTokenizer.fromJson(json, "t.json"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith("t.json: "), e.getMessage());
    }

    /**
     * The Qwen2 and Llama-3 pre-tokenizers over the GPT-2 vocabulary: their splits differ from GPT-2's. (The ids these
     * tokenizers give are checked against HuggingFace's in HfReferenceTest; this test shows the pieces.)
     */
    @Test
    void qwen2AndLlama3SplitRegexes() {
        String qwen = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        String llama = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        HfTokenizer q = withSplit(qwen, true);
        HfTokenizer l = withSplit(llama, false);
        // Qwen2 splits numbers into single digits, Llama-3 into groups of up to three.
        assertEquals(List.of(" ", "1", "2", "3", "4", "5"), pieces(q, " 12345"));
        assertEquals(List.of(" ", "123", "45"), pieces(l, " 12345"));
        // Case-insensitive contractions, and punctuation glued to the next word.
        assertEquals(List.of("don", "'t"), pieces(l, "don't"));
        // Punctuation glues to the following word, and contractions match case-insensitively (pre-tokenizer level).
        PreTokenizer split = new PreTokenizer.SplitPre(GuardedPattern.compile(llama, "t.json", "pattern"));
        assertEquals(List.of("(price", ",", " AS", " COUNT", "_user", "_id"), split.split(List.of("(price, AS COUNT_user_id"), new GuardedPattern.Budget()));
        assertEquals(List.of("DON", "'T"), split.split(List.of("DON'T"), new GuardedPattern.Budget()));
        PreTokenizer gpt = new PreTokenizer.SplitPre(GuardedPattern.compile(PreTokenizer.GPT2_PATTERN, "t.json", "pattern"));
        assertEquals(List.of("DON", "'", "T"), gpt.split(List.of("DON'T"), new GuardedPattern.Budget()));
        for (String s : List.of("SELECT price FROM t WHERE a >= 34", "naïve café — 東京 🚀", "  x\n\n y ")) {
            assertEquals(s, q.decode(q.encode(s)));
            assertEquals(s, l.decode(l.encode(s)));
        }
    }

    private static HfTokenizer withSplit(String regex, boolean nfc) {
        ObjectNode j = variant();
        ObjectNode split = M.createObjectNode();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode bl = M.createObjectNode();
        bl.put("type", "ByteLevel");
        bl.put("add_prefix_space", false);
        bl.put("use_regex", false);
        ObjectNode seq = M.createObjectNode();
        seq.put("type", "Sequence");
        seq.putArray("pretokenizers").add(split).add(bl);
        j.set("pre_tokenizer", seq);
        if (nfc) {
            j.putObject("normalizer").put("type", "NFC");
        }
        ((ObjectNode) j.get("model")).put("ignore_merges", !nfc);
        return HfTokenizer.fromJson(j, "variant.json");
    }

    /** Was: a lone surrogate became '?' in the UTF-8 bytes, so decode(encode(s)) silently differed from s. */
    @Test
    void loneSurrogatesAreRejectedWithTheirIndex() {
        for (String[] c : new String[][] {{"SELECT \uD800 x", "U+D800 at index 7"}, {"\uDC00", "U+DC00 at index 0"},
                {"ok \uD83D", "U+D83D at index 3"}, {"\uDE80\uD83D", "U+DE80 at index 0"}, {"🚀\uD83D🚀", "U+D83D at index 2"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpt2.encode(c[0]));
            assertTrue(e.getMessage().contains("lone surrogate " + c[1]), e.getMessage());
        }
        SqlVocabTokenizer sql = SqlVocabTokenizer.build(List.of("SELECT a FROM t"), 1, 1_000);
        assertThrows(IllegalArgumentException.class, () -> sql.encode("SELECT \uDFFF"));
        assertEquals("🚀 👩‍💻", gpt2.decode(gpt2.encode("🚀 👩‍💻")));
    }

    /** Was: every position compared the text with each added token of the same first character. */
    @Test
    void addedTokensMatchLongestFirstInBoundedTime() {
        ObjectNode j = TestTokenizers.small(40);
        ArrayNode added = (ArrayNode) j.get("added_tokens");
        List<String> contents = new ArrayList<>(List.of("<a>", "<a><b>"));
        for (int i = 0; i < 1_000; i++) {
            contents.add("x".repeat(200) + i);
        }
        for (String c : contents) {
            int id = 296 + added.size();
            added.addObject().put("id", id).put("content", c).put("special", true);
        }
        HfTokenizer t = HfTokenizer.fromJson(j, "many-added.json");
        assertArrayEquals(new int[] {298, 297, 298}, t.encode("<a><b><a><a><b>"));
        assertArrayEquals(new int[] {299 + 7}, t.encode("x".repeat(200) + "7"));
        String xs = "x".repeat(300_000);
        int[] ids = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> t.encode(xs));
        assertEquals(xs, t.decode(ids));
    }

    /** The decoded text of each token: with single-token pieces this shows the pre-tokenizer's split. */
    private static List<String> pieces(HfTokenizer t, String s) {
        List<String> out = new ArrayList<>();
        for (int id : t.encode(s)) {
            out.add(t.decode(new int[] {id}));
        }
        return out;
    }
}
