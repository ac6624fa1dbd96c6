package org.tinysql.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Our tokenizer against HuggingFace's Rust {@code tokenizers} (0.22.2): {@code tokenizers/reference/cases.jsonl} holds the
 * ids and decodes it produced for the real Qwen3 tokenizer and for variants of the GPT-2 tokenizer (added tokens with
 * lstrip/rstrip/single_word/normalized, non-special and overlapping added tokens, the normalizers, the Digits
 * pre-tokenizer, ByteLevel's prefix space, the Llama-3 and Qwen2 split regexes, the post-processors), made by
 * {@code make_reference_cases.js} from {@code variants.json}: without special tokens ({@link HfTokenizer#encode}) and
 * with them ({@link HfTokenizer#encodeWithSpecialTokens}, of which {@link HfTokenizer#encodePrompt} is the start).
 */
class HfReferenceTest {

    /** The variants of variants.json, built the way make_reference_cases.js builds them. */
    static Map<String, HfTokenizer> tokenizers() throws IOException {
        JsonNode spec;
        try (InputStream in = HfReferenceTest.class.getResourceAsStream("/tokenizers/reference/variants.json")) {
            spec = TestTokenizers.M.readTree(in);
        }
        Map<String, HfTokenizer> out = new LinkedHashMap<>();
        for (JsonNode v : spec.get("variants")) {
            out.put(v.get("name").asText(), HfTokenizer.fromJson(patched(TestTokenizers.gpt2Json(), v.get("patch")), v.get("name").asText()));
        }
        out.put("qwen3", TestTokenizers.qwen3());
        return out;
    }

    /** normalizer, pre_tokenizer, post_processor and decoder replaced when given; "model" fields merged; "added_tokens" appended. */
    static ObjectNode patched(JsonNode base, JsonNode patch) {
        ObjectNode j = base.deepCopy();
        for (String k : List.of("normalizer", "pre_tokenizer", "post_processor", "decoder")) {
            if (patch.has(k)) {
                j.set(k, patch.get(k).deepCopy());
            }
        }
        if (patch.has("model")) {
            ((ObjectNode) j.get("model")).setAll((ObjectNode) patch.get("model").deepCopy());
        }
        if (patch.has("added_tokens")) {
            ((ArrayNode) j.get("added_tokens")).addAll((ArrayNode) patch.get("added_tokens").deepCopy());
        }
        return j;
    }

    @Test
    void everyCaseMatchesHuggingFace() throws IOException {
        Map<String, HfTokenizer> toks = tokenizers();
        String all;
        try (InputStream in = getClass().getResourceAsStream("/tokenizers/reference/cases.jsonl")) {
            all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> failures = new ArrayList<>();
        Map<String, Integer> perTokenizer = new LinkedHashMap<>();
        for (String line : all.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode c = TestTokenizers.M.readTree(line);
            String name = c.get("tokenizer").asText();
            HfTokenizer t = toks.get(name);
            assertTrue(t != null, "unknown tokenizer " + name);
            String text = c.get("text").asText();
            int[] want = TestTokenizers.M.convertValue(c.get("ids"), int[].class);
            int[] got = t.encode(text);
            if (!Arrays.equals(want, got)) {
                failures.add(name + " encode " + escape(text) + ": HF " + Arrays.toString(want) + ", ours " + Arrays.toString(got));
            }
            int[] wantSpecial = TestTokenizers.M.convertValue(c.get("ids_special"), int[].class);
            int[] gotSpecial = t.encodeWithSpecialTokens(text);
            int[] prompt = t.encodePrompt(text);
            if (!Arrays.equals(wantSpecial, gotSpecial) || prompt.length > wantSpecial.length
                    || !Arrays.equals(prompt, Arrays.copyOf(wantSpecial, prompt.length))) {
                failures.add(name + " encode with special tokens " + escape(text) + ": HF " + Arrays.toString(wantSpecial) + ", ours "
                        + Arrays.toString(gotSpecial) + ", prompt " + Arrays.toString(prompt));
            }
            String decoded = t.decode(want);
            if (!c.get("decoded").asText().equals(decoded)) {
                failures.add(name + " decode " + Arrays.toString(want) + ": HF " + escape(c.get("decoded").asText()) + ", ours " + escape(decoded));
            }
            perTokenizer.merge(name, 1, Integer::sum);
        }
        assertEquals(toks.keySet(), perTokenizer.keySet(), "every tokenizer has cases");
        assertTrue(failures.isEmpty(), failures.size() + " differences:\n" + String.join("\n", failures));
        System.out.println("HF reference cases: " + perTokenizer);
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || (cp >= 0x7f && cp < 0xa1) || Character.isSpaceChar(cp) && cp != ' ') {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append('"').toString();
    }
}
