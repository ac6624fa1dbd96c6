package org.tinysql.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class CorruptionGeneratorTest {

    static String[] parts(String prompt) {
        int c = prompt.indexOf(PromptFormat.CONTEXT);
        int r = prompt.indexOf(PromptFormat.RESPONSE);
        return new String[] {prompt.substring(0, c), prompt.substring(c, r), prompt.substring(r)};
    }

    /** Words that differ between a and b after removing the common word prefix and suffix. */
    static int changedWords(String a, String b) {
        List<String> x = Arrays.asList(a.split(" "));
        List<String> y = Arrays.asList(b.split(" "));
        int p = 0;
        while (p < x.size() && p < y.size() && x.get(p).equals(y.get(p))) {
            p++;
        }
        int s = 0;
        while (s < x.size() - p && s < y.size() - p && x.get(x.size() - 1 - s).equals(y.get(y.size() - 1 - s))) {
            s++;
        }
        return Math.max(x.size() - p - s, y.size() - p - s);
    }

    @ParameterizedTest
    @EnumSource(CorruptionKind.class)
    void pairsDifferInExactlyOneElement(CorruptionKind kind) {
        for (Variant v : Variant.values()) {
            List<PromptPair> pairs = new CorruptionGenerator(CommandSet.CS5, v, 17, null).pairs(kind, 40);
            assertEquals(40, pairs.size());
            for (PromptPair p : pairs) {
                assertNotEquals(p.clean(), p.corrupt());
                String[] a = parts(p.clean());
                String[] b = parts(p.corrupt());
                assertEquals(a[2], b[2], "same response prefix");
                if (kind.part() == CorruptionKind.Part.INSTRUCTION) {
                    assertEquals(a[1], b[1], "Context untouched: " + kind);
                    assertNotEquals(a[0], b[0]);
                    assertTrue(changedWords(a[0], b[0]) <= 6, kind + ":\n" + a[0] + "\n" + b[0]);
                } else {
                    assertEquals(a[0], b[0], "instruction untouched: " + kind);
                    assertNotEquals(a[1], b[1]);
                    if (kind == CorruptionKind.CONTEXT_SEPARATOR) {
                        // The separator element changes everywhere it occurs, and nothing else does.
                        assertEquals(a[1].replaceAll("[,;| ]", ""), b[1].replaceAll("[,;| ]", ""));
                    } else {
                        assertTrue(changedWords(a[1], b[1]) <= 2, kind + ":\n" + a[1] + "\n" + b[1]);
                    }
                }
                String prefix = a[2].substring(PromptFormat.RESPONSE.length());
                assertTrue(p.cleanSql().startsWith(prefix + p.cleanAnswer()), p.cleanSql() + " | " + prefix + p.cleanAnswer());
                assertTrue(p.corruptSql().startsWith(prefix + p.corruptAnswer()), p.corruptSql() + " | " + prefix + p.corruptAnswer());
                assertEquals(p.example().row().sqlStatement(), p.cleanSql());
                assertTrue(p.clean().startsWith(p.example().row().prompt()));
                assertEquals(kind.changesAnswer(), p.answersDiffer(), kind + ": " + p.cleanAnswer() + " / " + p.corruptAnswer());
                assertEquals(-1, p.answerTokenIndex());
            }
        }
    }

    /** With GPT-2's tokenizer and with a Llama-3-style one that puts BOS before prompts (counted in the token lengths). */
    @Test
    void withATokenizerPairsHaveEqualTokenLengthAndDistinctAnswerTokens() throws java.io.IOException {
        com.fasterxml.jackson.databind.JsonNode json;
        try (java.io.InputStream in = getClass().getResourceAsStream("/tokenizers/gpt2/tokenizer.json")) {
            json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
        }
        org.tinysql.tokenizer.HfTokenizer gpt2 = org.tinysql.tokenizer.HfTokenizer.fromJson(json, "gpt2");
        org.tinysql.tokenizer.HfTokenizer bos = org.tinysql.tokenizer.HfTokenizer.fromJson(
                org.tinysql.tokenizer.PostProcessorFixtures.withBos(json), "gpt2-bos");
        for (org.tinysql.tokenizer.HfTokenizer tok : List.of(gpt2, bos)) {
            int prefix = tok.promptPrefix().length;
            for (CorruptionKind kind : CorruptionKind.values()) {
                List<PromptPair> pairs = new CorruptionGenerator(CommandSet.CS5, Variant.LITERAL, 4, tok).pairs(kind, 10);
                for (PromptPair p : pairs) {
                    int[] a = tok.encodePrompt(p.clean());
                    int[] b = tok.encodePrompt(p.corrupt());
                    assertEquals(a.length, b.length, kind + ": " + p.clean() + " / " + p.corrupt());
                    assertEquals(a.length, p.promptTokens());
                    assertEquals(tok.encode(p.clean()).length + prefix, p.promptTokens());
                    assertEquals(a.length - 1, p.answerTokenIndex());
                    if (p.answersDiffer()) {
                        assertNotEquals(tok.encode(p.cleanAnswer())[0], tok.encode(p.corruptAnswer())[0], kind.name());
                    }
                }
            }
        }
        assertEquals(1, bos.promptPrefix().length);
    }

    @Test
    void theSeventeenKindsOfTheStudy() {
        assertEquals(17, CorruptionKind.values().length);
        for (PromptPair p : new CorruptionGenerator(CommandSet.CS5, Variant.LITERAL, 3, null).pairs(CorruptionKind.CONTEXT_CREATE, 20)) {
            String[] a = parts(p.clean());
            String[] b = parts(p.corrupt());
            assertTrue(b[1].matches("(?s).*\\b(MAKE|BUILD|GENERATE|CONSTRUCT|SELECT|FROM) TABLE .*"), b[1]);
            assertEquals(a[1].replace("CREATE", ""), b[1].replaceAll("(MAKE|BUILD|GENERATE|CONSTRUCT|SELECT|FROM) TABLE", " TABLE")
                    .replace("CREATE", ""));
        }
        // With the SQL vocabulary of models trained from scratch, where only SQL keywords are single tokens
        org.tinysql.tokenizer.SqlVocabTokenizer sqlVocab = org.tinysql.tokenizer.SqlVocabTokenizer.build(
                new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 5).generate(400).stream().map(TinySqlExample::fullText).toList(), 2, 16_000);
        assertEquals(10, new CorruptionGenerator(CommandSet.CS1, Variant.LITERAL, 3, sqlVocab).pairs(CorruptionKind.CONTEXT_CREATE, 10).size());
        for (PromptPair p : new CorruptionGenerator(CommandSet.CS5, Variant.LITERAL, 3, null).pairs(CorruptionKind.JOIN_KEY, 20)) {
            String clean = p.cleanSql().substring(p.cleanSql().indexOf(" ON "));
            String corrupt = p.corruptSql().substring(p.corruptSql().indexOf(" ON "));
            assertNotEquals(clean, corrupt);
            assertEquals(clean.substring(0, clean.indexOf('=')), corrupt.substring(0, corrupt.indexOf('=')), "the FROM table's key is kept");
        }
        for (PromptPair p : new CorruptionGenerator(CommandSet.CS5, Variant.SYNONYM, 3, null).pairs(CorruptionKind.CONTEXT_JOIN_TABLE, 20)) {
            String joined = p.cleanSql().replaceAll(".* JOIN (\\w+) ON .*", "$1");
            assertTrue(parts(p.clean())[1].contains("CREATE TABLE " + joined + " "), p.clean());
            assertTrue(!parts(p.corrupt())[1].contains("CREATE TABLE " + joined + " "), p.corrupt());
            assertEquals(" " + joined, p.cleanAnswer().startsWith(" ") ? p.cleanAnswer() : " " + p.cleanAnswer());
        }
    }

    @Test
    void instructionTableCorruptionPointsAtFrom() {
        PromptPair p = new CorruptionGenerator(CommandSet.CS1, Variant.LITERAL, 3, null)
                .pairs(CorruptionKind.INSTRUCTION_TABLE, 1).get(0);
        assertTrue(p.clean().endsWith(" FROM"), p.clean());
        assertEquals(" " + p.example().row().tableName(), p.cleanAnswer());
        assertTrue(p.corrupt().contains(p.corruptAnswer().strip()));
    }

    @Test
    void kindsNeedTheirCommandSet() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CorruptionGenerator(CommandSet.CS1, Variant.LITERAL, 1, null).pairs(CorruptionKind.WHERE_FIELD, 5));
        assertTrue(e.getMessage().contains("CS4"), e.getMessage());
        assertEquals(CorruptionKind.JOIN_TABLE, CorruptionKind.parse("join-table"));
        assertThrows(IllegalArgumentException.class, () -> CorruptionKind.parse("bogus"));
    }

    @Test
    void answerSplitFindsTheFirstDifferingWord() {
        String[] s = CorruptionGenerator.answerSplit("SELECT a, COUNT(b) AS COUNT_b FROM t", "SELECT a, MAX(b) AS MAX_b FROM t");
        assertEquals("SELECT a,", s[0]);
        assertEquals(" COUNT", s[1]);
        assertEquals(" MAX", s[2]);
        s = CorruptionGenerator.answerSplit("SELECT a FROM t", "SELECT a FROM t");
        assertEquals("SELECT", s[0]);
        assertEquals(" a", s[1]);
        assertEquals(" a", s[2]);
        s = CorruptionGenerator.answerSplit("SELECT SUM(price) AS SUM_price FROM t", "SELECT SUM(cost) AS SUM_cost FROM t");
        assertEquals("SELECT SUM(", s[0]);
        assertEquals("price", s[1]);
        assertEquals("cost", s[2]);
    }
}
