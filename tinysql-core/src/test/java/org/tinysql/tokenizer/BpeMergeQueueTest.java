package org.tinysql.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * BPE with a priority queue (issue item 6): the same merges as the quadratic reference loop (lowest rank first,
 * leftmost among equal ranks), and long words in near-linear time.
 */
class BpeMergeQueueTest {

    /** The merge loop we had (and HuggingFace's semantics): merge the lowest-ranked, leftmost pair until none is left. */
    static int[] reference(Map<String, Integer> vocab, Map<String, Integer> ranks, String piece) {
        List<String> sym = new ArrayList<>();
        piece.codePoints().forEach(cp -> sym.add(new String(Character.toChars(cp))));
        while (sym.size() > 1) {
            int best = Integer.MAX_VALUE;
            int at = -1;
            for (int i = 0; i + 1 < sym.size(); i++) {
                Integer r = ranks.get(sym.get(i) + "\u0000" + sym.get(i + 1));
                if (r != null && r < best) {
                    best = r;
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            sym.set(at, sym.get(at) + sym.remove(at + 1));
        }
        return sym.stream().mapToInt(vocab::get).toArray();
    }

    static Map<String, Integer> ranks(JsonNode json) {
        Map<String, Integer> ranks = new HashMap<>();
        JsonNode merges = json.get("model").get("merges");
        for (int i = 0; i < merges.size(); i++) {
            JsonNode m = merges.get(i);
            String key = m.isArray() ? m.get(0).asText() + "\u0000" + m.get(1).asText() : m.asText().replaceFirst(" ", "\u0000");
            ranks.putIfAbsent(key, i);
        }
        return ranks;
    }

    static List<String[]> mergePairs(JsonNode json) {
        List<String[]> out = new ArrayList<>();
        for (JsonNode m : json.get("model").get("merges")) {
            out.add(m.isArray() ? new String[] {m.get(0).asText(), m.get(1).asText()} : m.asText().split(" ", 2));
        }
        return out;
    }

    /** Byte-level pieces that exercise many merges: runs of vocabulary tokens, repeats, random text, long words. */
    static List<String> pieces(Map<String, Integer> vocab, long seed, int count) {
        List<String> tokens = new ArrayList<>(vocab.keySet());
        tokens.sort(null);
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            StringBuilder sb = new StringBuilder();
            int len = k % 50 == 0 ? 2_000 : 1 + r.nextInt(80);
            switch (k % 4) {
                case 0 -> {
                    while (sb.length() < len) {
                        sb.append(tokens.get(r.nextInt(tokens.size())));
                    }
                }
                case 1 -> {
                    String unit = ByteLevel.encode(List.of("a", "ab", " the", "日", "🚀", "0", "  ", "ll", "é").get(r.nextInt(9)));
                    sb.append(unit.repeat(Math.max(1, len / unit.length())));
                }
                case 2 -> {
                    for (int i = 0; i < len; i++) {
                        sb.append(ByteLevel.charOf(r.nextInt(256)));
                    }
                }
                default -> {
                    String letters = "etaoinshrdlucmfwypvbgkjqxz ";
                    StringBuilder text = new StringBuilder();
                    for (int i = 0; i < len; i++) {
                        text.append(letters.charAt(r.nextInt(letters.length())));
                    }
                    sb.append(ByteLevel.encode(text.toString()));
                }
            }
            out.add(sb.toString());
        }
        return out;
    }

    static void assertSameAsReference(JsonNode json, String name, int count) {
        Map<String, Integer> vocab = TestTokenizers.vocab(json);
        Map<String, Integer> ranks = ranks(json);
        BpeModel model = new BpeModel(vocab, vocab.values().stream().mapToInt(i -> i + 1).max().orElse(0), mergePairs(json),
                null, false, false, name);
        int merged = 0;
        for (String p : pieces(vocab, 17, count)) {
            int[] want = reference(vocab, ranks, p);
            assertArrayEquals(want, model.tokenizeUncached(p), () -> name + ": " + p);
            merged += p.codePointCount(0, p.length()) - want.length;
        }
        assertEquals(true, merged > count * 5, name + ": the pieces should need many merges, " + merged);
    }

    @Test
    void gpt2MergesAreTheReferenceMerges() {
        assertSameAsReference(TestTokenizers.gpt2Json(), "gpt2", 1_500);
    }

    @Test
    void qwen3MergesAreTheReferenceMerges() throws IOException {
        assertSameAsReference(TestTokenizers.qwen3Json(), "qwen3", 800);
    }

    /** Equal ranks: the leftmost pair first ("aaa" with merge "a a" gives "aa a", not "a aa"). */
    @Test
    void leftmostPairFirstAmongEqualRanks() {
        Map<String, Integer> vocab = Map.of("a", 0, "aa", 1, "b", 2, "ab", 3, "aab", 4);
        List<String[]> merges = List.of(new String[] {"a", "a"}, new String[] {"a", "b"}, new String[] {"aa", "b"});
        BpeModel m = new BpeModel(vocab, 5, merges, null, false, false, "t");
        assertArrayEquals(new int[] {1, 0}, m.tokenizeUncached("aaa"));
        assertArrayEquals(new int[] {1, 1}, m.tokenizeUncached("aaaa"));
        assertArrayEquals(new int[] {4}, m.tokenizeUncached("aab"), "'a a' (rank 0) before 'a b' (rank 1), then 'aa b'");
        assertArrayEquals(new int[] {1, 4}, m.tokenizeUncached("aaaab"));
    }

    /** Was: "日" x 32,000 took 19 s with GPT-2 (quadratic merge loop). */
    @Test
    void longWordsEncodeInNearLinearTime() {
        HfTokenizer gpt2 = TestTokenizers.gpt2();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            String cjk = "日".repeat(32_000);
            assertEquals(cjk, gpt2.decode(gpt2.encode(cjk)));
        });
        for (String unit : List.of("a", "日", " ", "1", "ab", "!", "🚀", "the ")) {
            String s = unit.repeat(1_000_000 / unit.length());
            long t0 = System.nanoTime();
            int[] ids = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> gpt2.encode(s), "1M chars of " + unit);
            System.out.printf("gpt2: 1M chars of '%s' -> %d ids in %d ms%n", unit, ids.length, (System.nanoTime() - t0) / 1_000_000);
            assertEquals(s, gpt2.decode(ids));
        }
    }

    @Test
    void qwen3EncodesAMillionSpacesQuickly() throws IOException {
        HfTokenizer qwen = TestTokenizers.qwen3();
        for (String s : List.of(" ".repeat(1_000_000) + "x", "日".repeat(1_000_000), "a".repeat(1_000_000))) {
            long t0 = System.nanoTime();
            int[] ids = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> qwen.encode(s));
            System.out.printf("qwen3: 1M chars -> %d ids in %d ms%n", ids.length, (System.nanoTime() - t0) / 1_000_000);
            assertEquals(s, qwen.decode(ids));
        }
    }
}
