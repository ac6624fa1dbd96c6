package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.DType;

/** Growing the vocabulary for an added pad token, and recording the pad token in config.json. */
class EmbeddingResizeTest {

    @Test
    void newRowsAreTheMeanOfTheOldOnesInTheEmbeddingAndTheUntiedUnembedding() throws Exception {
        Transformer old = Transformer.fromPretrained(Fixtures.dir("llama-tiny")); // untied, V = 97
        Fixtures.Inputs in = Fixtures.inputs("llama-tiny");
        float[] before = Buffers.toFloats(old.forward(in.ids(), in.mask()).dup('c'));
        Parameters p = EmbeddingResize.resize(old.parameters(), 99);
        assertEquals(99, p.config().vocabSize());
        for (String name : new String[] {"embed.W_E", "unembed.W_U"}) {
            INDArray w = p.get(name);
            INDArray was = old.parameters().get(name);
            assertArrayEquals(new long[] {99, 32}, w.shape());
            for (int j = 0; j < 32; j++) {
                double mean = 0;
                for (int r = 0; r < 97; r++) {
                    mean += was.getFloat(r, j);
                    assertEquals(was.getFloat(r, j), w.getFloat(r, j), 0, name + " keeps row " + r);
                }
                mean /= 97;
                assertEquals(mean, w.getFloat(97, j), 1e-6, name + " new row, column " + j);
                assertEquals(w.getFloat(97, j), w.getFloat(98, j), 0);
            }
        }
        assertSame(old.parameters().get("blocks.0.attn.W_Q"), p.get("blocks.0.attn.W_Q"), "other tensors are shared, not copied");
        // The old tokens' logits are unchanged; the new tokens get logits too.
        float[] after = Buffers.toFloats(new Transformer(p).forward(in.ids(), in.mask()).dup('c'));
        for (int row = 0; row < after.length / 99; row++) {
            for (int v = 0; v < 97; v++) {
                assertEquals(before[row * 97 + v], after[row * 99 + v], 0, "row " + row + " token " + v);
            }
        }
        assertSame(p, EmbeddingResize.resize(p, 99));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingResize.resize(p, 98));
    }

    @Test
    void aTiedModelGrowsItsOneMatrix() throws Exception {
        Parameters p = EmbeddingResize.resize(Transformer.fromPretrained(Fixtures.dir("gpt-neo-tiny")).parameters(), 98);
        assertArrayEquals(new long[] {98, 32}, p.unembed().shape());
        assertTrue(p.opt("unembed.W_U") == null);
    }

    @Test
    void thePadTokenIsRecordedInConfigJsonAndChecked(@TempDir Path dir) throws Exception {
        Parameters p = EmbeddingResize.resize(Transformer.fromPretrained(Fixtures.dir("qwen2-tiny")).parameters(), 98);
        ModelConfig cfg = p.config().withPadToken(97);
        HfCheckpoint.save(Parameters.of(cfg, p.asMap()), dir, DType.F32);
        assertTrue(java.nio.file.Files.readString(dir.resolve("config.json")).contains("\"pad_token_id\" : 97"));
        ModelConfig back = ModelConfig.load(dir.resolve("config.json"));
        assertEquals(97, back.padTokenId());
        assertEquals(98, back.vocabSize());
        assertEquals(cfg, back);
        assertEquals(2, back.withTokens(1, 2).eosTokenId());
        assertEquals(97, back.withTokens(1, 2).padTokenId(), "withTokens keeps the pad token");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cfg.withPadToken(98));
        assertTrue(e.getMessage().contains("pad_token_id 98 is outside the vocabulary"), e.getMessage());
    }
}
