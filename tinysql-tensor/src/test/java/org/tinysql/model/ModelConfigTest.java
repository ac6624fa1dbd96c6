package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ModelConfigTest {
    private static final ObjectMapper M = new ObjectMapper();

    /** A Llama-3.2-1B style config.json (rope_scaling "llama3"); values checked against HF's formula. */
    private static final String LLAMA32 = "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\","
            + "\"vocab_size\": 128256, \"hidden_size\": 2048, \"intermediate_size\": 8192, \"num_hidden_layers\": 16,"
            + "\"num_attention_heads\": 32, \"num_key_value_heads\": 8, \"head_dim\": 64, \"rms_norm_eps\": 1e-05,"
            + "\"rope_theta\": 500000.0, \"max_position_embeddings\": 131072, \"tie_word_embeddings\": true,"
            + "\"hidden_act\": \"silu\", \"attention_bias\": false, \"bos_token_id\": 128000, \"eos_token_id\": 128001,"
            + "\"rope_scaling\": {\"factor\": 32.0, \"high_freq_factor\": 4.0, \"low_freq_factor\": 1.0,"
            + "\"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}}";

    @Test
    void llama3RopeScalingMatchesTheReferenceFormula() throws Exception {
        ModelConfig c = ModelConfig.fromJson(M.readTree(LLAMA32));
        double[] inv = c.ropeInverseFrequencies();
        assertEquals(32, inv.length);
        assertEquals(1.0, inv[0], 0);
        assertEquals(0.016560440080994446, inv[10], 1e-15, "high frequencies are kept");
        assertEquals(0.001290547928209264, inv[15], 1e-15, "the band between is smoothed");
        assertEquals(0.00042955679655936815, inv[16], 1e-15);
        assertEquals(9.70828780262767e-05, inv[17], 1e-16);
        assertEquals(8.570255489881478e-06, inv[20], 1e-18, "low frequencies are divided by the factor");
        assertEquals(9.418306725434909e-08, inv[31], 1e-20);
        // config.json round trip keeps the scaling.
        ModelConfig back = ModelConfig.fromJson(c.toJson());
        assertEquals(c.ropeScaling(), back.ropeScaling());
        assertEquals(128001, back.eosTokenId());
        assertTrue(back.tiedEmbeddings());
    }

    @Test
    void unscaledAndUnsupportedConfigs() throws Exception {
        ModelConfig q = ModelConfig.load(Fixtures.dir("qwen2-tiny"));
        assertNull(q.ropeScaling());
        assertEquals(1.0 / Math.pow(1e6, 2.0 / 8), q.ropeInverseFrequencies()[1], 1e-15);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.fromJson(M.readTree(LLAMA32.replace("\"llama3\"", "\"yarn\""))));
        assertTrue(e.getMessage().contains("'yarn' is not supported"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(M.readTree(LLAMA32.replace("\"num_key_value_heads\": 8", "\"num_key_value_heads\": 7"))));
        assertTrue(e.getMessage().contains("num_key_value_heads 7"), e.getMessage());
    }
}
