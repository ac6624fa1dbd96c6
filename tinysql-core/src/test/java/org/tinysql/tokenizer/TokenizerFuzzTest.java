package org.tinysql.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of what the tokenizer parses (issue item 6): hostile tokenizer.json files (mutations of a small
 * valid one) and hostile texts to encode. Every input must give a clear error (the documented exception type, with a
 * message that starts with the file name) or a correct result; no other exception, no hang, no silent acceptance.
 */
class TokenizerFuzzTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final long PER_INPUT_NANOS = Duration.ofSeconds(3).toNanos();
    private static final List<String> PROBES = List.of("the cat sat on the mat", "naïve café — 東京 🚀 👩‍💻",
            "<|endoftext|> hi<|endoftext|>", "  x\n\n\ty \r\n", "don't DO IT 12345 3.14", "a".repeat(10_000) + "b",
            "x".repeat(1_000), "(.*a){12}$ \\p{L} [^\\s]");
    /** Split patterns a stranger might put in tokenizer.json: slow, recursive, invalid, odd. */
    private static final List<String> HOSTILE_REGEXES = List.of("(.*a){12}$", "(a+)+$", "(x+x+)+y", "(?:\\p{L}|')+",
            "(a|aa)+$", "((a|b|ab)*)*c", "(\\w+\\s?)+$", "(", ")", "[", "a{2,1}", "\\", "(?<=a+)b", "(a)\\1+", "",
            "x*", "(?=a)", "\\p{Nope}", "(".repeat(3_000) + ")".repeat(3_000), "a".repeat(5_000), "(?i)(?:.)*+z",
            "[\\s\\S]*?$", "\\b", "(?:(?:a*)*)*b", "\\G", "(.)(?!\\1)", "\\p{L}{1,100000}", TestTokenizers.O200K_SPLIT);

    enum Expect { REJECT, SAME, EITHER }

    /** A file to load; {@code prefix}, when not null, is the {@link HfTokenizer#promptPrefix} it must have. */
    record Case(String what, String json, Expect expect, int[] prefix) {
        Case(String what, String json, Expect expect) {
            this(what, json, expect, null);
        }
    }

    private static final class Tally {
        int clear;
        int clearOnEncode;
        int accepted;
        int crashes;
        int hangs;
        int silent;
        int wrong;
        final List<String> failures = new ArrayList<>();

        void fail(String kind, String detail) {
            if (failures.size() < 20) {
                failures.add(kind + ": " + detail);
            }
        }
    }

    @Test
    void hostileTokenizerFiles() {
        ObjectNode base = TestTokenizers.small(60);
        HfTokenizer reference = HfTokenizer.fromJson(base, "base.json");
        List<Case> cases = fileCases(base, new SplittableRandom(20_240_601L), 450);
        Tally t = new Tally();
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < cases.size(); i++) {
                runFileCase(cases.get(i), "fuzz-" + i + ".json", reference, t);
            }
        });
        System.out.printf("fuzz tokenizer.json: %d inputs, %d clear errors, %d accepted (%d probe texts x %d: %d clear encode errors,"
                + " the rest correct), %d crashes, %d hangs, %d silently accepted, %d wrong results%n", cases.size(), t.clear,
                t.accepted, PROBES.size(), t.accepted, t.clearOnEncode, t.crashes, t.hangs, t.silent, t.wrong);
        assertEquals(List.of(), t.failures);
        assertEquals(cases.size(), t.clear + t.accepted);
    }

    private static void runFileCase(Case c, String source, HfTokenizer reference, Tally t) {
        long t0 = System.nanoTime();
        try {
            HfTokenizer tok = HfTokenizer.load(new ByteArrayInputStream(c.json().getBytes(StandardCharsets.UTF_8)), source);
            if (c.expect() == Expect.REJECT) {
                t.silent++;
                t.fail("silently accepted", c.what());
            } else if (probesAreCorrect(tok, c, reference, source, t)) {
                t.accepted++;
            }
        } catch (TokenizerFormatException e) {
            if (!isClear(e, source)) {
                t.crashes++;
                t.fail("unclear message", c.what() + " -> " + e.getMessage());
            } else if (c.expect() == Expect.SAME) {
                t.wrong++;
                t.fail("rejected a valid file", c.what() + " -> " + e.getMessage());
            } else {
                t.clear++;
            }
        } catch (Throwable e) {
            t.crashes++;
            t.fail("crash", c.what() + " -> " + e);
        }
        if (System.nanoTime() - t0 > PER_INPUT_NANOS) {
            t.hangs++;
            t.fail("hang", c.what() + " took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
    }

    /** Each probe round-trips (the same ids as the base file for a benign change), or fails with a clear error. */
    private static boolean probesAreCorrect(HfTokenizer tok, Case c, HfTokenizer reference, String source, Tally t) {
        for (String p : PROBES) {
            try {
                int[] ids = tok.encode(p);
                boolean inRange = Arrays.stream(ids).allMatch(id -> id >= 0 && id < tok.vocabSize());
                boolean prefixOk = c.prefix() == null || Arrays.equals(c.prefix(), tok.promptPrefix())
                        && Arrays.equals(tok.encodePrompt(p), concat(c.prefix(), ids));
                if (!inRange || !prefixOk || !tok.decode(ids).equals(p)
                        || c.expect() == Expect.SAME && !Arrays.equals(ids, reference.encode(p))) {
                    t.wrong++;
                    t.fail("wrong result", c.what() + " on " + quote(p));
                    return false;
                }
            } catch (IllegalArgumentException e) {
                if (!isClear(e, source) || c.expect() == Expect.SAME) {
                    t.crashes++;
                    t.fail("unclear or unexpected encode error", c.what() + " -> " + e.getMessage());
                    return false;
                }
                t.clearOnEncode++;
            }
        }
        return true;
    }

    /** A clear error names the file first, then the field or the problem. */
    private static boolean isClear(RuntimeException e, String source) {
        String m = e.getMessage();
        return m != null && m.startsWith(source + ": ") && m.length() > source.length() + 10;
    }

    private static List<Case> fileCases(ObjectNode base, SplittableRandom r, int count) {
        List<String> tokens = new ArrayList<>();
        base.get("model").get("vocab").fieldNames().forEachRemaining(tokens::add);
        int cap = tokens.size() + 1;
        List<Case> out = new ArrayList<>();
        for (int i = 0; out.size() < count; i++) {
            ObjectNode j = base.deepCopy();
            ObjectNode model = (ObjectNode) j.get("model");
            ObjectNode vocab = (ObjectNode) model.get("vocab");
            ObjectNode added = (ObjectNode) j.get("added_tokens").get(0);
            ArrayNode merges = (ArrayNode) model.get("merges");
            String tok = tokens.get(r.nextInt(tokens.size()));
            int id = vocab.get(tok).asInt();
            String other = tokens.get(r.nextInt(tokens.size()));
            switch (i % 16) {
                case 0 -> {
                    vocab.put(tok, id + 0.5);
                    out.add(new Case("fractional id of " + tok, j.toString(), Expect.REJECT));
                }
                case 1 -> {
                    vocab.put(tok, -1 - r.nextInt(1_000_000));
                    out.add(new Case("negative id of " + tok, j.toString(), Expect.REJECT));
                }
                case 2 -> {
                    JsonNode huge = pick(r, F.numberNode(cap), F.numberNode(cap + r.nextInt(1_000)), F.numberNode(100_000_000),
                            F.numberNode(Integer.MAX_VALUE), F.numberNode(Long.MAX_VALUE), F.numberNode(new BigInteger("1" + "0".repeat(30))),
                            F.numberNode(1e8));
                    vocab.set(tok, huge);
                    out.add(new Case("huge id " + huge + " of " + tok, j.toString(), Expect.REJECT));
                }
                case 3 -> {
                    if (!other.equals(tok)) {
                        vocab.put(tok, vocab.get(other).asInt());
                        out.add(new Case("id of " + other + " given to " + tok, j.toString(), Expect.REJECT));
                    }
                }
                case 4 -> {
                    JsonNode wrong = pick(r, F.textNode(String.valueOf(id)), F.booleanNode(true), F.nullNode(), F.arrayNode(),
                            F.objectNode());
                    vocab.set(tok, wrong);
                    out.add(new Case("id " + wrong + " of " + tok, j.toString(), Expect.REJECT));
                }
                case 5 -> {
                    JsonNode bad = pick(r, F.numberNode(-1), F.numberNode(296.5), F.numberNode(cap + 5), F.numberNode(id),
                            F.textNode("316"), F.nullNode());
                    added.set("id", bad);
                    out.add(new Case("added token id " + bad, j.toString(), Expect.REJECT));
                }
                case 6 -> {
                    JsonNode bad = pick(r, F.numberNode(7), F.textNode(""), F.textNode("<|LONE|>"), F.textNode("y".repeat(300)),
                            F.textNode(tok.equals("<|endoftext|>") ? "he" : tok), F.arrayNode());
                    added.set("content", bad);
                    // A lone surrogate can only be written as an escape in the JSON text.
                    out.add(new Case("added token content " + quote(bad.toString()),
                            j.toString().replace("LONE", "\\uDC00"), Expect.REJECT));
                }
                case 7 -> {
                    int at = r.nextInt(merges.size());
                    JsonNode bad = pick(r, F.textNode("Ġt zzz_unknown"), F.textNode(tok + " " + "qq_unknown"), F.numberNode(3),
                            F.textNode("nospace"), F.textNode("a b c"), F.arrayNode().add("a"), F.arrayNode().add("a").add(1));
                    merges.set(at, bad);
                    out.add(new Case("merge " + at + " = " + bad, j.toString(), Expect.REJECT));
                }
                case 8 -> {
                    String[] field = pick(r, new String[][] {{"model", "type", "5"}, {"model", "type", "\"Unigram\""},
                            {"model", "byte_fallback", "\"yes\""}, {"model", "dropout", "\"x\""}, {"model", "dropout", "0.5"},
                            {"model", "unk_token", "5"}, {"model", "unk_token", "\"not-in-vocab\""}, {"model", "vocab", "[]"},
                            {"model", "merges", "{}"}, {"model", "continuing_subword_prefix", "\"##\""}, {"root", "model", "\"BPE\""},
                            {"root", "added_tokens", "{}"}, {"root", "pre_tokenizer", "5"}, {"root", "pre_tokenizer", "{}"},
                            {"root", "decoder", "{\"type\": 5}"}, {"root", "normalizer", "{\"type\": \"Sequence\"}"},
                            {"root", "normalizer", "{\"type\": \"Nope\"}"}, {"root", "pre_tokenizer", "{\"type\": \"ByteLevel\", \"use_regex\": 1}"},
                            {"root", "pre_tokenizer", "{\"type\": \"Split\", \"pattern\": {\"Regex\": 5}}"},
                            {"root", "pre_tokenizer", "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"a\"}, \"behavior\": \"Removed\"}"},
                            {"root", "decoder", "{\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Strip\"}]}"}});
                    (field[0].equals("model") ? model : j).set(field[1], parse(field[2]));
                    out.add(new Case(field[0] + "." + field[1] + " = " + field[2], j.toString(), Expect.REJECT));
                }
                case 9 -> {
                    String text = j.toString();
                    int cut = 1 + r.nextInt(text.length() - 1);
                    out.add(new Case("truncated at " + cut, text.substring(0, cut), Expect.REJECT));
                }
                case 10 -> {
                    String text = j.toString();
                    String trick = pick(r, text + "{}", text + "x", text.replaceFirst("\"model\":", "\"model\":{},\"model\":"),
                            text.replace("\"he\":", "\"he\":1,\"he\":"), "[" + text + "]", "");
                    out.add(new Case("document trick " + (i / 16), trick, Expect.REJECT));
                }
                case 11, 12 -> {
                    String regex = HOSTILE_REGEXES.get(r.nextInt(HOSTILE_REGEXES.size()));
                    out.add(new Case("split regex " + quote(regex),
                            TestTokenizers.withSplit(j, regex, r.nextBoolean()).toString().replace("\"NFC\"", "\"NFKC\""), Expect.EITHER));
                }
                case 13, 14 -> out.add(new Case("character edits " + i, edit(j.toString(), 0, r), Expect.EITHER));
                default -> {
                    switch (r.nextInt(5)) {
                        case 0 -> j.put("version", r.nextInt());
                        case 1 -> j.putObject("truncation").put("max_length", 512);
                        case 2 -> model.put("fuse_unk", r.nextBoolean()).put("dropout", 0.0);
                        case 3 -> added.put("normalized", true).put("single_word", false);
                        default -> model.putNull("unk_token").put("extra_field", "ignored");
                    }
                    out.add(new Case("benign change " + i, r.nextBoolean() ? j.toString() : j.toPrettyString(), Expect.SAME));
                }
            }
        }
        return out;
    }

    /** One to five random character edits of the JSON text from index {@code from} on: replace, insert, delete. */
    private static String edit(String text, int from, SplittableRandom r) {
        StringBuilder sb = new StringBuilder(text);
        String alphabet = "{}[]\":,0123456789-.eE truefalsnul\\abĠ\u0000\uD800é";
        for (int k = 1 + r.nextInt(5); k > 0; k--) {
            int at = from + r.nextInt(sb.length() - from);
            char c = alphabet.charAt(r.nextInt(alphabet.length()));
            switch (r.nextInt(3)) {
                case 0 -> sb.setCharAt(at, c);
                case 1 -> sb.insert(at, c);
                default -> sb.deleteCharAt(at);
            }
        }
        return sb.toString();
    }

    /** Index of the first unpaired surrogate, or -1. */
    private static int loneSurrogateAt(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /** A short printable form of a test input for failure messages. */
    private static String quote(String s) {
        String cut = s.length() > 60 ? s.substring(0, 60) + "... (" + s.length() + " chars)" : s;
        StringBuilder sb = new StringBuilder("'");
        cut.chars().forEach(c -> sb.append(c < 0x20 || Character.isSurrogate((char) c) ? String.format("\\u%04X", c) : String.valueOf((char) c)));
        return sb.append("'").toString();
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom r, T... options) {
        return options[r.nextInt(options.length)];
    }

    private static JsonNode parse(String json) {
        try {
            return TestTokenizers.M.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Post-processors (issue #18): Llama-3's Sequence[ByteLevel, TemplateProcessing] and its malformed variants, the
     * other processor types, and random edits of the post_processor text. Valid files encode as without one and put
     * their template's prefix in front of prompts.
     */
    @Test
    void hostilePostProcessors() {
        ObjectNode base = TestTokenizers.small(60);
        HfTokenizer reference = HfTokenizer.fromJson(base, "base.json");
        ObjectNode withBos = PostProcessorFixtures.withBos(base);
        int bos = reference.vocabSize();
        List<Case> cases = postProcessorCases(withBos, bos, new SplittableRandom(18L));
        Tally t = new Tally();
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < cases.size(); i++) {
                runFileCase(cases.get(i), "post-" + i + ".json", reference, t);
            }
        });
        System.out.printf("fuzz post_processor: %d inputs, %d clear errors, %d accepted, %d crashes, %d hangs, %d silently accepted,"
                + " %d wrong results%n", cases.size(), t.clear, t.accepted, t.crashes, t.hangs, t.silent, t.wrong);
        assertEquals(List.of(), t.failures);
        assertEquals(cases.size(), t.clear + t.accepted);
    }

    private static List<Case> postProcessorCases(ObjectNode withBos, int bos, SplittableRandom r) {
        List<Case> out = new ArrayList<>();
        String b = "\"" + PostProcessorFixtures.BOS + "\"";
        String entry = "{" + b + ": {\"id\": " + b + ", \"ids\": [" + bos + "], \"tokens\": [" + b + "]}}";
        String seqA = "{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}";
        String spB = "{\"SpecialToken\": {\"id\": " + b + ", \"type_id\": 0}}";
        String template = "{\"type\": \"TemplateProcessing\", \"single\": [" + spB + ", " + seqA + "], \"pair\": [], \"special_tokens\": "
                + entry + "}";
        String byteLevel = "{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, \"use_regex\": true}";
        int[] none = {};
        int[] bosOnly = {bos};
        Object[][] valid = {
            {"as Llama-3", withBos.get("post_processor").toString(), bosOnly},
            {"null", "null", none},
            {"ByteLevel", byteLevel, none},
            {"TemplateProcessing alone", template, bosOnly},
            {"Template then ByteLevel", "{\"type\": \"Sequence\", \"processors\": [" + template + ", " + byteLevel + "]}", bosOnly},
            {"empty Sequence", "{\"type\": \"Sequence\", \"processors\": []}", none},
            {"nested 3 deep", nest(template, 3), bosOnly},
            {"with EOS after", template.replace("\"single\": [" + spB + ", " + seqA + "]", "\"single\": [" + spB + ", " + seqA + ", "
                    + spB.replace(b, "\"eos\"") + "]").replace("\"special_tokens\": {", "\"special_tokens\": {\"eos\": {\"id\": \"eos\", "
                    + "\"ids\": [" + (bos - 1) + "], \"tokens\": [\"<|endoftext|>\"]}, "), bosOnly},
            {"two ids before", template.replace("\"ids\": [" + bos + "], \"tokens\": [" + b + "]", "\"ids\": [" + bos + ", 5], \"tokens\": ["
                    + b + ", \"x\"]"), new int[] {bos, 5}},
            {"only $A", template.replace(spB + ", ", ""), none},
            {"BertProcessing", "{\"type\": \"BertProcessing\", \"sep\": [\"<|endoftext|>\", " + (bos - 1) + "], \"cls\": [" + b + ", " + bos + "]}",
                bosOnly},
            {"RobertaProcessing", "{\"type\": \"RobertaProcessing\", \"sep\": [\"x\", 5], \"cls\": [" + b + ", " + bos + "], \"trim_offsets\": true}",
                bosOnly},
        };
        for (Object[] v : valid) {
            out.add(new Case("valid post_processor " + v[0], withPostProcessor(withBos, (String) v[1]), Expect.SAME, (int[]) v[2]));
        }
        String[] rejected = {"5", "\"TemplateProcessing\"", "[]", "{}", "{\"type\": 5}", "{\"type\": \"Nope\"}",
            "{\"type\": \"Sequence\"}", "{\"type\": \"Sequence\", \"processors\": {}}", "{\"type\": \"Sequence\", \"processors\": [5]}",
            "{\"type\": \"Sequence\", \"processors\": [" + template + ", " + template + "]}", nest(template, 9),
            template.replace("\"single\"", "\"singles\""),
            template.replace("[" + spB + ", " + seqA + "]", "\"<|begin_of_text|> $A\""),
            template.replace("[" + spB + ", " + seqA + "]", "[]"),
            template.replace("[" + spB + ", " + seqA + "]", "[" + spB + "]"),
            template.replace(seqA, "5"), template.replace(seqA, "{}"), template.replace(seqA, "{\"Sequence\": \"A\"}"),
            template.replace(seqA, "{\"Sequence\": {\"id\": \"B\", \"type_id\": 0}}"),
            template.replace(seqA, "{\"Sequence\": {\"id\": 5}}"), template.replace(seqA, seqA + ", " + seqA),
            template.replace(seqA, "{\"Sequence\": {\"id\": \"A\"}, \"SpecialToken\": {\"id\": " + b + "}}"),
            template.replace(spB, "{\"SpecialToken\": {\"id\": \"<missing>\", \"type_id\": 0}}"),
            template.replace(spB, "{\"SpecialToken\": {\"id\": 5}}"), template.replace(spB, "{\"SpecialToken\": {}}"),
            template.replace(", \"special_tokens\": " + entry, ""), template.replace(entry, "[]"),
            template.replace(entry, "{" + b + ": 5}"), template.replace("\"ids\": [" + bos + "], ", ""),
            template.replace("\"ids\": [" + bos + "]", "\"ids\": \"" + bos + "\""),
            template.replace("[" + bos + "]", "[-1]"), template.replace("[" + bos + "]", "[" + (bos + 1) + "]"),
            template.replace("[" + bos + "]", "[1" + "0".repeat(30) + "]"), template.replace("[" + bos + "]", "[" + bos + ".5]"),
            template.replace("[" + bos + "]", "[" + bos + ", " + bos + "]"), template.replace("\"tokens\": [" + b + "]", "\"tokens\": [5]"),
            template.replace("[" + bos + "]", "[" + (bos + ", ").repeat(64) + bos + "]").replace("\"tokens\": [" + b + "]",
                    "\"tokens\": [" + (b + ", ").repeat(64) + b + "]"),
            template.replace("[" + spB + ", " + seqA + "]", "[" + (spB + ", ").repeat(65) + seqA + "]"),
            "{\"type\": \"BertProcessing\", \"cls\": [" + b + ", " + bos + "]}",
            "{\"type\": \"BertProcessing\", \"sep\": [" + b + "], \"cls\": [" + b + ", " + bos + "]}",
            "{\"type\": \"RobertaProcessing\", \"sep\": [" + bos + ", " + b + "], \"cls\": [" + b + ", " + bos + "]}",
            "{\"type\": \"RobertaProcessing\", \"sep\": [" + b + ", 99999], \"cls\": [" + b + ", " + bos + "]}",
        };
        for (int i = 0; i < rejected.length; i++) {
            out.add(new Case("post_processor " + i + " " + quote(rejected[i]), withPostProcessor(withBos, rejected[i]), Expect.REJECT));
        }
        String text = withBos.toString();
        int from = text.indexOf("\"post_processor\"");
        for (int i = 0; i < 120; i++) {
            out.add(new Case("post_processor character edits " + i, edit(text, from, r), Expect.EITHER));
        }
        return out;
    }

    /** {@code json} inside {@code depth} Sequence post-processors. */
    private static String nest(String json, int depth) {
        String s = json;
        for (int i = 0; i < depth; i++) {
            s = "{\"type\": \"Sequence\", \"processors\": [" + s + "]}";
        }
        return s;
    }

    private static String withPostProcessor(ObjectNode j, String postProcessor) {
        ObjectNode c = j.deepCopy();
        c.set("post_processor", parse(postProcessor));
        return c.toString();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void hostileTextsToEncode() {
        ObjectNode gpt2 = (ObjectNode) TestTokenizers.gpt2Json();
        List<HfTokenizer> tokenizers = List.of(TestTokenizers.gpt2(),
                HfTokenizer.fromJson(TestTokenizers.withSplit(gpt2, TestTokenizers.LLAMA3_SPLIT, false), "llama3-split.json"),
                HfTokenizer.fromJson(TestTokenizers.withSplit(gpt2, TestTokenizers.QWEN2_SPLIT, true), "qwen2-split.json"),
                HfTokenizer.fromJson(TestTokenizers.withSplit(gpt2, TestTokenizers.O200K_SPLIT, false), "o200k-split.json"),
                SqlVocabTokenizer.build(List.of("SELECT name FROM users WHERE age >= 34", "show me the price"), 1, 1_000)
                        .asHfTokenizer());
        List<String> texts = texts(new SplittableRandom(7L), 320);
        Tally t = new Tally();
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (String s : texts) {
                for (HfTokenizer tok : tokenizers) {
                    encodeOne(tok, s, t);
                }
            }
        });
        System.out.printf("fuzz encode: %d inputs (%d texts x %d tokenizers), %d correct results, %d clear errors, %d wrong results,"
                + " %d crashes, %d hangs%n", texts.size() * tokenizers.size(), texts.size(), tokenizers.size(), t.accepted, t.clear,
                t.wrong, t.crashes, t.hangs);
        assertEquals(List.of(), t.failures);
    }

    private static void encodeOne(HfTokenizer tok, String s, Tally t) {
        int lone = loneSurrogateAt(s);
        Function<String, String> normalize = tok.source().startsWith("qwen2") ? x -> Normalizer.normalize(x, Normalizer.Form.NFC) : x -> x;
        String what = tok.source() + " on " + quote(s);
        long t0 = System.nanoTime();
        try {
            int[] ids = tok.encode(s);
            boolean inRange = Arrays.stream(ids).allMatch(id -> id >= 0 && id < tok.vocabSize());
            if (lone >= 0 || !inRange || !tok.decode(ids).equals(normalize.apply(s))) {
                t.wrong++;
                t.fail(lone >= 0 ? "lone surrogate accepted" : "wrong result", what);
            } else {
                t.accepted++;
            }
        } catch (IllegalArgumentException e) {
            String expected = tok.source() + ": text has a lone surrogate U+"
                    + (lone >= 0 ? Integer.toHexString(s.charAt(lone)).toUpperCase() + " at index " + lone : "");
            if (lone >= 0 && e.getMessage().startsWith(expected)) {
                t.clear++;
            } else {
                t.crashes++;
                t.fail("unexpected error", what + " -> " + e.getMessage());
            }
        } catch (Throwable e) {
            t.crashes++;
            t.fail("crash", what + " -> " + e);
        }
        if (System.nanoTime() - t0 > PER_INPUT_NANOS) {
            t.hangs++;
            t.fail("hang", what + " took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
    }

    /** Long words and runs, lone surrogates, combining marks, control and format characters, added-token fragments. */
    private static List<String> texts(SplittableRandom r, int count) {
        String[] units = {"a", "Z", "日", "1", " ", "\n", "\r\n", "\t", "!", "'", "'s", "_", "é", "🚀", "\u00a0", "aB", "x ", "ab1!"};
        int[] odd = {0x0000, 0x0001, 0x001F, 0x007F, 0x0085, 0x009F, 0x00AD, 0x200B, 0x200D, 0x200E, 0x2028, 0x2029, 0xFEFF,
            0xFFFD, 0xFFFE, 0xFFFF, 0xE000, 0xF8FF, 0x1F3FB, 0xFE0F, 0x1F1FA, 0x10FFFF, 0xE0001, 0x0301, 0x0E33, 0x1100, 0x212B};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            switch (i % 8) {
                case 0 -> {
                    String unit = units[r.nextInt(units.length)];
                    sb.append(unit.repeat((i % 80 == 0 ? 100_000 : 10_000 + r.nextInt(5_000)) / unit.length()));
                }
                case 1, 2 -> {
                    randomText(sb, r, 1 + r.nextInt(200));
                    sb.insert(r.nextInt(sb.length() + 1), pick(r, "\uD800", "\uDBFF", "\uDC00", "\uDFFF", "\uDE80\uD83D"));
                    if (r.nextBoolean()) {
                        sb.append('\uD83D');
                    }
                }
                case 3 -> {
                    sb.append(pick(r, "e", "a", "日", " ", "")).append("\u0301\u0308\u0327\u0300\u036F".repeat(1 + r.nextInt(400)));
                    randomText(sb, r, r.nextInt(50));
                }
                case 4 -> {
                    for (int k = r.nextInt(300); k >= 0; k--) {
                        sb.appendCodePoint(odd[r.nextInt(odd.length)]);
                        if (r.nextInt(3) == 0) {
                            randomText(sb, r, 3);
                        }
                    }
                }
                case 5 -> {
                    for (int k = r.nextInt(30); k >= 0; k--) {
                        sb.append(pick(r, "<|endoftext|>", "<|endoftext", "|>", "<|pad|>", "<|<|endoftext|>|>", " <|pad|> ", "<", "x"));
                    }
                }
                case 6 -> {
                    for (int k = r.nextInt(2_000); k >= 0; k--) {
                        sb.appendCodePoint(randomCodePoint(r));
                    }
                }
                default -> randomText(sb, r, i == 7 ? 100_000 : r.nextInt(1_000));
            }
            out.add(sb.toString());
        }
        return out;
    }

    private static void randomText(StringBuilder sb, SplittableRandom r, int words) {
        String[] pieces = {"SELECT", " name", " FROM", " users", " WHERE", " age", " >=", " 34", "'s", " don't", "\n", "  ",
            " 東京", " 🚀", " naïve", ",", ";", "\t", " 12345", " x_y"};
        for (int k = 0; k < words; k++) {
            sb.append(pieces[r.nextInt(pieces.length)]);
        }
    }

    private static int randomCodePoint(SplittableRandom r) {
        while (true) {
            int cp = switch (r.nextInt(4)) {
                case 0 -> r.nextInt(0x80);
                case 1 -> r.nextInt(0x800);
                case 2 -> r.nextInt(0x10000);
                default -> 0x10000 + r.nextInt(0x100000);
            };
            if (cp < 0xD800 || cp > 0xDFFF) {
                return cp;
            }
        }
    }
}
