package org.tinysql.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Ids and fields of tokenizer.json are checked before anything is built from them (issue item 6). */
class TokenizerIdsTest {

    private static ObjectNode small() {
        return TestTokenizers.small(40);
    }

    private static ObjectNode vocab(ObjectNode json) {
        return (ObjectNode) json.get("model").get("vocab");
    }

    private static ObjectNode added(ObjectNode json, int i) {
        return (ObjectNode) json.get("added_tokens").get(i);
    }

    private static void assertRejected(String expected, Consumer<ObjectNode> mutation) {
        ObjectNode json = small();
        mutation.accept(json);
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> HfTokenizer.fromJson(json, "t.json"));
        assertTrue(e.getMessage().startsWith("t.json: ") && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void theSmallTokenizerIsValid() {
        HfTokenizer t = HfTokenizer.fromJson(small(), "t.json");
        assertEquals(297, t.vocabSize());
        assertEquals(296, t.eosId());
        String s = "the cat<|endoftext|> naïve 東京";
        assertEquals(s, t.decode(t.encode(s)));
    }

    /** Was: 12.5 became 12, two tokens shared id 12 and decoding returned the wrong text. */
    @Test
    void fractionalIdsAreRejected() {
        assertRejected("model.vocab['he']: id must be an integer, found '12.5'", j -> vocab(j).put("he", 12.5));
        assertRejected("model.vocab['he']: id must be an integer, found '300.0'", j -> vocab(j).put("he", 300.0));
        assertRejected("added_tokens[0].id: id must be an integer", j -> added(j, 0).put("id", 296.5));
    }

    /** Was: a negative added-token id threw ArrayIndexOutOfBoundsException. */
    @Test
    void negativeIdsAreRejected() {
        assertRejected("added_tokens[0].id: id must not be negative, found -3", j -> added(j, 0).put("id", -3));
        assertRejected("model.vocab['he']: id must not be negative, found -1", j -> vocab(j).put("he", -1));
    }

    /** Was: an id of 1e8 allocated a 100M-entry array; ids must now stay below the number of entries. */
    @Test
    void absurdIdsAreRejectedBeforeAllocating() {
        assertRejected("model.vocab['he']: id '100000000' is out of range: ids must be below 297",
                j -> vocab(j).put("he", 100_000_000));
        assertRejected("added_tokens[0].id: id '2147483647' is out of range", j -> added(j, 0).put("id", Integer.MAX_VALUE));
        assertRejected("id '1000000000000000000000000000000' is out of range",
                j -> vocab(j).put("he", new BigInteger("1000000000000000000000000000000")));
        assertRejected("added_tokens[0].id: id '297' is out of range", j -> added(j, 0).put("id", 297));
    }

    /** Was: two tokens with one id were both accepted; decoding the id returned only one of them. */
    @Test
    void duplicateAndCollidingIdsAreRejected() {
        assertRejected("model.vocab['he']: id 7 is also the id of '(", j -> vocab(j).put("he", 7));
        assertRejected("added_tokens[0].id: id 5 is '&' in model.vocab, not '<|endoftext|>'", j -> added(j, 0).put("id", 5));
        assertRejected("added_tokens[0].id: 'he' has id 258 in model.vocab, not 296", j -> added(j, 0).put("content", "he"));
        assertRejected("added_tokens[1].id: id 296 is also the id of added_tokens[0]", j -> {
            ObjectNode copy = added(j, 0).deepCopy();
            copy.put("content", "<|pad|>");
            ((ArrayNode) j.get("added_tokens")).add(copy);
        });
        assertRejected("added_tokens[1].content: '<|endoftext|>' is also added_tokens[0]", j -> {
            ObjectNode copy = added(j, 0).deepCopy();
            copy.put("id", 297);
            ((ArrayNode) j.get("added_tokens")).add(copy);
        });
        // An added token that repeats its vocabulary entry (GPT-2's <|endoftext|>) is fine.
        ObjectNode same = small();
        vocab(same).put("<|endoftext|>", 296);
        assertEquals(296, HfTokenizer.fromJson(same, "t.json").tokenId("<|endoftext|>"));
    }

    /** Was: a duplicate key silently replaced the first one. */
    @Test
    void duplicateJsonKeysAndTrailingGarbageAreRejected() {
        String json = small().toString();
        String dup = json.replace("\"he\":258", "\"he\":258,\"he\":259");
        assertTrue(dup.length() > json.length());
        assertLoadFails("Duplicate field 'he'", dup);
        assertLoadFails("not a valid JSON document", json + " {}");
    }

    /** Was: wrong types were read as defaults ("yes" -> false, a number content -> its digits). */
    @Test
    void fieldsMustHaveTheirTypes() {
        assertRejected("model.byte_fallback: expected true or false, found '\"yes\"'", j -> ((ObjectNode) j.get("model")).put("byte_fallback", "yes"));
        assertRejected("model.dropout: expected a number or null", j -> ((ObjectNode) j.get("model")).put("dropout", "0.1"));
        assertRejected("model.unk_token: expected a string, found '5'", j -> ((ObjectNode) j.get("model")).put("unk_token", 5));
        assertRejected("added_tokens[0].content: expected a string, found '42'", j -> added(j, 0).put("content", 42));
        assertRejected("added_tokens[0].special: expected true or false", j -> added(j, 0).put("special", 1));
        assertRejected("model.vocab['he']: id must be an integer, found '\"262\"'", j -> vocab(j).put("he", "262"));
        assertRejected("pre_tokenizer.type: expected a string", j -> ((ObjectNode) j.get("pre_tokenizer")).put("type", 3));
        assertRejected("decoder: expected an object", j -> j.put("decoder", "ByteLevel"));
        assertRejected("added_tokens[0].content: lone surrogate U+D800 at index 2", j -> added(j, 0).put("content", "<|\uD800|>"));
        assertRejected("added_tokens[0].content: expected a string of 1 to 256 characters", j -> added(j, 0).put("content", "x".repeat(257)));
    }

    /** Was: an endless document was read until memory ran out. */
    @Test
    void anEndlessDocumentStopsAtTheSizeLimit() {
        InputStream endless = new InputStream() {
            private long n;

            @Override
            public int read() {
                return n++ == 0 ? '[' : ' ';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                for (int i = 0; i < len; i++) {
                    b[off + i] = (byte) read();
                }
                return len;
            }
        };
        TokenizerFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(TokenizerFormatException.class, () -> HfTokenizer.load(endless, "endless.json")));
        assertTrue(e.getMessage().startsWith("endless.json: (file): not a valid JSON document") && e.getMessage().contains("length"),
                e.getMessage());
    }

    private static void assertLoadFails(String expected, String json) {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class,
                () -> HfTokenizer.load(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "t.json"));
        assertTrue(e.getMessage().startsWith("t.json: (file): ") && e.getMessage().contains(expected), e.getMessage());
    }

    /** Decoding cannot be fooled any more: every id maps back to the one token that has it. */
    @Test
    void everyIdDecodesToItsOwnToken() {
        JsonNode json = small();
        HfTokenizer t = HfTokenizer.fromJson(json, "t.json");
        json.get("model").get("vocab").fields().forEachRemaining(e -> assertEquals(e.getKey(), t.tokenString(e.getValue().asInt())));
    }
}
