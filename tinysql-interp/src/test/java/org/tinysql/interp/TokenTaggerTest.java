package org.tinysql.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionGenerator;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.PromptPair;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.tokenizer.PostProcessorFixtures;
import org.tinysql.tokenizer.Tokenizer;

class TokenTaggerTest {

    /** GPT-2's tokenizer from tinysql-core's test resources (its test-jar). */
    static Tokenizer gpt2() throws Exception {
        return HfTokenizer.fromJson(gpt2Json(), "gpt2/tokenizer.json");
    }

    static JsonNode gpt2Json() throws Exception {
        try (InputStream in = TokenTaggerTest.class.getResourceAsStream("/tokenizers/gpt2/tokenizer.json")) {
            if (in == null) {
                throw new IllegalStateException("tokenizers/gpt2/tokenizer.json is not on the test classpath (tinysql-core's test-jar)");
            }
            return new ObjectMapper().readTree(in);
        }
    }

    /** Concatenated text of the tokens with a role, as a word set. */
    static Map<TokenRole, String> byRole(Tokenizer tok, TokenTagger.Tagged t) {
        Map<TokenRole, StringBuilder> m = new HashMap<>();
        for (int i = 0; i < t.tokens().length; i++) {
            m.computeIfAbsent(t.roles()[i], k -> new StringBuilder()).append(tok.decode(new int[] {t.tokens()[i]})).append('|');
        }
        Map<TokenRole, String> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, v.toString()));
        return out;
    }

    @Test
    void tagsEveryPartOfACs1Example() throws Exception {
        Tokenizer tok = gpt2();
        TokenTagger tagger = new TokenTagger(tok);
        DatasetGenerator gen = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 5);
        for (int i = 0; i < 20; i++) {
            TinySqlExample ex = gen.example(i, 0).row();
            TokenTagger.Tagged t = tagger.tag(ex);
            Map<TokenRole, String> r = byRole(tok, t);
            assertTrue(r.get(TokenRole.RESPONSE_KEYWORD).contains("SELECT"), r.toString());
            assertTrue(r.get(TokenRole.RESPONSE_KEYWORD).contains("FROM"), r.toString());
            String table = ex.tableName();
            assertTrue(r.get(TokenRole.RESPONSE_TABLE).replace("|", "").strip().equals(table), r.get(TokenRole.RESPONSE_TABLE) + " vs " + table);
            assertTrue(r.get(TokenRole.CONTEXT_TABLE).replace("|", "").strip().equals(table));
            for (String f : ex.tableFields()) {
                String name = f.split(" ")[0];
                assertTrue(r.get(TokenRole.CONTEXT_FIELD).replace("|", "").contains(name), name + " in " + r.get(TokenRole.CONTEXT_FIELD));
            }
            for (String f : ex.select()) {
                assertTrue(r.get(TokenRole.RESPONSE_FIELD).replace("|", "").contains(f), f);
            }
            assertTrue(r.containsKey(TokenRole.CONTEXT_TYPE));
            assertTrue(r.containsKey(TokenRole.INSTRUCTION_TABLE), ex.englishPrompt());
            assertTrue(r.containsKey(TokenRole.INSTRUCTION_FIELD), ex.englishPrompt());
            assertEquals(TokenRole.END, t.roles()[t.roles().length - 1]);
            // The response starts at the first SQL token.
            assertEquals(TokenRole.RESPONSE_KEYWORD, t.roles()[t.responseStart()]);
            for (int k = 0; k < t.responseStart(); k++) {
                assertTrue(!t.roles()[k].isResponse());
            }
        }
    }

    @Test
    void coversTheRolesOfCs5AndSynonyms() throws Exception {
        Tokenizer tok = gpt2();
        TokenTagger tagger = new TokenTagger(tok);
        DatasetGenerator gen = new DatasetGenerator(CommandSet.CS5, Variant.SYNONYM, 9);
        Set<TokenRole> seen = EnumSet.noneOf(TokenRole.class);
        for (int i = 0; i < 50; i++) {
            TokenTagger.Tagged t = tagger.tag(gen.example(i, 0).row());
            seen.addAll(java.util.Arrays.asList(t.roles()));
        }
        assertEquals(EnumSet.allOf(TokenRole.class), seen);
    }

    /**
     * A Llama-3-style tokenizer puts BOS before the text: the tagged tokens are BOS (a MARKER) and then exactly the
     * tokens and roles the same tokenizer without a post-processor gives, the response start one later.
     */
    @Test
    void bosComesFirstAsAMarkerAndTheOtherRolesStay() throws Exception {
        Tokenizer plain = gpt2();
        Tokenizer bos = HfTokenizer.fromJson(PostProcessorFixtures.withBos(gpt2Json()), "gpt2-bos");
        int bosId = bos.promptPrefix()[0];
        DatasetGenerator gen = new DatasetGenerator(CommandSet.CS3, Variant.SYNONYM, 2);
        for (int i = 0; i < 10; i++) {
            TinySqlExample ex = gen.example(i, 0).row();
            TokenTagger.Tagged a = new TokenTagger(plain).tag(ex);
            TokenTagger.Tagged b = new TokenTagger(bos).tag(ex);
            assertEquals(bosId, b.tokens()[0]);
            assertEquals(TokenRole.MARKER, b.roles()[0]);
            assertArrayEquals(a.tokens(), Arrays.copyOfRange(b.tokens(), 1, b.tokens().length));
            assertArrayEquals(a.roles(), Arrays.copyOfRange(b.roles(), 1, b.roles().length));
            assertEquals(a.responseStart() + 1, b.responseStart());
            assertEquals(TokenRole.RESPONSE_KEYWORD, b.roles()[b.responseStart()]);
        }
    }

    /** Patching pairs: prompts start with BOS, answers do not; the answer position is the last prompt token. */
    @Test
    void patchBatchPromptsStartWithBos() throws Exception {
        Tokenizer bos = HfTokenizer.fromJson(PostProcessorFixtures.withBos(gpt2Json()), "gpt2-bos");
        int bosId = bos.promptPrefix()[0];
        List<PromptPair> pairs = new CorruptionGenerator(CommandSet.CS1, Variant.LITERAL, 3, bos).pairs(CorruptionKind.INSTRUCTION_TABLE, 4);
        PatchBatch b = PatchBatch.of(pairs, bos);
        for (int i = 0; i < b.size(); i++) {
            PromptPair p = pairs.get(i);
            assertEquals(bosId, b.clean()[i][0]);
            assertEquals(bosId, b.corrupt()[i][0]);
            assertEquals(p.answerTokenIndex(), b.pos()[i]);
            assertEquals(bos.encode(p.cleanAnswer())[0], b.cleanAnswer()[i]);
        }
    }
}
