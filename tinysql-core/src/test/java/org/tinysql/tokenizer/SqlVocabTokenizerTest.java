package org.tinysql.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;

class SqlVocabTokenizerTest {
    static List<String> texts = new ArrayList<>();
    static SqlVocabTokenizer tok;

    @BeforeAll
    static void build() {
        for (CommandSet cs : CommandSet.values()) {
            for (TinySqlExample e : new DatasetGenerator(cs, Variant.SYNONYM, 1).generate(4_000)) {
                texts.add(e.fullText());
            }
        }
        tok = SqlVocabTokenizer.build(texts, 2, 8_000);
    }

    @Test
    void vocabularyIsSmallAndSqlWordsAreSingleTokens() {
        assertTrue(tok.vocabSize() < 8_000, "vocab " + tok.vocabSize());
        assertEquals(0, tok.padId());
        assertEquals(1, tok.eosId());
        for (String w : List.of(" SELECT", " FROM", " WHERE", " ORDER", " BY", " DESC", " COUNT", " user_id", " created_at")) {
            assertEquals(1, tok.encode(w).length, w);
        }
        // Numbers are spelled digit by digit; the prompt layout stays compact.
        assertEquals(4, tok.encode(" 2023").length);
        TinySqlExample e = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 9).example(0, 1).row();
        int[] ids = tok.encode(e.fullText());
        assertEquals(e.fullText(), tok.decode(ids));
        assertTrue(ids.length < e.fullText().length() / 3, ids.length + " tokens for " + e.fullText().length() + " chars");
    }

    @Test
    void anyTextRoundTripsIncludingUnknownWordsAndUnicode() {
        SplittableRandom r = new SplittableRandom(5);
        for (int t = 0; t < 2_000; t++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(30);
            for (int i = 0; i < len; i++) {
                int cp = switch (r.nextInt(4)) {
                    case 0 -> 32 + r.nextInt(95);
                    case 1 -> r.nextInt(0x80);
                    case 2 -> 0x80 + r.nextInt(0x2000);
                    default -> 0x1F300 + r.nextInt(0x300);
                };
                sb.appendCodePoint(cp >= 0xD800 && cp <= 0xDFFF ? 'q' : cp);
            }
            String s = sb.toString();
            assertEquals(s, tok.decode(tok.encode(s)));
        }
        assertEquals(0, tok.encode("").length);
        assertEquals("", tok.decode(new int[0]));
        assertEquals(" zyzzyva_unseen", tok.decode(tok.encode(" zyzzyva_unseen")));
    }

    @Test
    void specialTokensAreMatchedInText() {
        int[] ids = tok.encode("SELECT a<|endoftext|><|pad|>");
        assertEquals(1, ids[ids.length - 2]);
        assertEquals(0, ids[ids.length - 1]);
        assertEquals("SELECT a<|endoftext|><|pad|>", tok.decode(ids));
    }

    @Test
    void savedFileLoadsWithTheHuggingFaceLoader(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("tokenizer.json");
        tok.save(f);
        HfTokenizer back = HfTokenizer.load(f);
        assertEquals(tok.vocabSize(), back.vocabSize());
        assertEquals(tok.eosId(), back.eosId());
        for (String s : texts.subList(0, 200)) {
            assertArrayEquals(tok.encode(s), back.encode(s));
        }
        // Same data, same vocabulary: the build is deterministic.
        assertEquals(tok.toJson(), SqlVocabTokenizer.build(texts, 2, 8_000).toJson());
    }
}
