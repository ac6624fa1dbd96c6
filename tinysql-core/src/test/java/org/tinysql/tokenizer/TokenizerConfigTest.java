package org.tinysql.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model folder's tokenizer_config.json names its EOS and pad tokens, as HF's AutoTokenizer reads them. */
class TokenizerConfigTest {

    private static Path folder(Path dir, String config) throws Exception {
        Files.write(dir.resolve("tokenizer.json"), TestTokenizers.M.writeValueAsBytes(TestTokenizers.gpt2Json()));
        if (config != null) {
            Files.writeString(dir.resolve("tokenizer_config.json"), config);
        }
        return dir;
    }

    @Test
    void theDeclaredTokensWinOverTheUsualNames(@TempDir Path dir) throws Exception {
        HfTokenizer plain = HfTokenizer.load(folder(dir, null));
        assertEquals(50256, plain.eosId());
        assertEquals(50257, plain.padId());
        HfTokenizer declared = HfTokenizer.load(folder(dir, "{\"eos_token\": {\"content\": \"<|pad|>\", \"lstrip\": false},"
                + " \"pad_token\": \"<|endoftext|>\", \"bos_token\": null, \"chat_template\": \"{% for m in messages %}{% endfor %}\"}"));
        assertEquals(50257, declared.eosId());
        assertEquals(50256, declared.padId());
        assertEquals(java.util.Arrays.toString(plain.encode("a <|pad|> b")), java.util.Arrays.toString(declared.encode("a <|pad|> b")));
        // The file alone (not the folder) is read as it is.
        assertEquals(50256, HfTokenizer.load(dir.resolve("tokenizer.json")).eosId());
    }

    @Test
    void badConfigsAreErrorsNamingTheKey(@TempDir Path dir) throws Exception {
        for (String[] c : new String[][] {{"{\"eos_token\": 3}", "eos_token: expected a token string"},
            {"{\"pad_token\": {\"special\": true}}", "pad_token.content: expected a token string"},
            {"{\"pad_token\": \"<|nope|>\"}", "pad_token: '<|nope|>' is not a token"},
            {"{\"eos_token\": \"\"}", "eos_token: expected 1 to"},
            {"{\"eos_token\": \"a\", \"eos_token\": \"b\"}", "(file): not a valid JSON document"},
            {"[]", "(root): expected a JSON object"}}) {
            folder(dir, c[0]);
            TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> HfTokenizer.load(dir), c[0]);
            assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void llama3sReservedPadIsAPadToken() {
        ObjectNode j = TestTokenizers.small(20);
        ObjectNode pad = j.withArray("added_tokens").addObject();
        pad.put("id", 277);
        pad.put("content", "<|finetune_right_pad_id|>");
        pad.put("special", true);
        assertEquals(277, HfTokenizer.fromJson(j, "llama-style").padId());
    }

    @Test
    void theGenerationConfigNamesTheTokens() {
        String json = new TokenizerConfig("<|begin_of_text|>", "<|end_of_text|>", "<|finetune_right_pad_id|>").toJsonText(131072);
        assertTrue(json.contains("\"eos_token\" : \"<|end_of_text|>\"") && json.contains("\"padding_side\" : \"left\"")
                && json.contains("\"model_max_length\" : 131072") && json.contains("PreTrainedTokenizerFast"), json);
        assertTrue(!new TokenizerConfig(null, "e", "p").toJsonText(8).contains("bos_token"));
    }
}
