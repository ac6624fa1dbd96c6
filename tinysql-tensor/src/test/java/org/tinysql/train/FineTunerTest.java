package org.tinysql.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.HfCheckpoint;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.tensor.DType;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.tokenizer.TokenizerFormatException;
import org.tinysql.util.Progress;

/**
 * How a fine-tune chooses its pad token and vocabulary (the end-to-end runs on real BPE tokenizers are in the examples
 * module's FinetuneEndToEndTest), and the memory plan.
 */
class FineTunerTest {
    static final ObjectMapper M = new ObjectMapper();
    @TempDir
    static Path dir;
    static Path data;
    static ObjectNode tokenizerJson;

    @BeforeAll
    static void dataAndTokenizer() throws Exception {
        data = dir.resolve("data");
        new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 3).writeSplits(data, 200, Progress.NONE);
        List<String> texts = new ArrayList<>();
        new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 3).generate(200).forEach(e -> texts.add(e.fullText()));
        tokenizerJson = SqlVocabTokenizer.build(texts, 1, 4000).toJson();
    }

    /** A checkpoint folder with this tokenizer.json (and tokenizer_config.json if not null) and {@code rows} embedding rows. */
    private static Path checkpoint(String name, ObjectNode tok, String tokenizerConfig, int rows) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        Files.write(d.resolve("tokenizer.json"), M.writeValueAsBytes(tok));
        if (tokenizerConfig != null) {
            Files.writeString(d.resolve("tokenizer_config.json"), tokenizerConfig);
        }
        HfCheckpoint.save(Parameters.init(ModelConfig.llama(rows, 16, 1, 2, 256), 1), d, DType.F32);
        return d;
    }

    /** The SQL tokenizer without a pad token: its {@code <|pad|>} renamed. */
    private static ObjectNode withoutPad() {
        ObjectNode t = tokenizerJson.deepCopy();
        ObjectNode vocab = (ObjectNode) t.get("model").get("vocab");
        vocab.set("<|reserved|>", vocab.remove(SqlVocabTokenizer.PAD));
        t.get("added_tokens").forEach(a -> {
            if (a.get("content").asText().equals(SqlVocabTokenizer.PAD)) {
                ((ObjectNode) a).put("content", "<|reserved|>");
            }
        });
        return t;
    }

    private static int size(ObjectNode tok) {
        return HfTokenizer.fromJson(tok, "t").vocabSize();
    }

    private static FineTuner.Result tune(Path base, String run) throws Exception {
        return FineTuner.run(base, data, dir.resolve(run), FineTuner.Options.paper().withSteps(2).withBatch(4).withLr(1e-3, 1),
                n -> Progress.NONE);
    }

    @Test
    void spareEmbeddingRowsTakeTheAddedPadWithoutResizing() throws Exception {
        ObjectNode tok = withoutPad();
        int ids = size(tok);
        // Like Qwen2.5 (151,936 rows for 151,665 ids): the pad gets the next id, inside the existing rows.
        FineTuner.Result r = tune(checkpoint("spare", tok, null, ids + 10), "spare-run");
        assertTrue(r.tokenizer().padAdded());
        assertEquals(ids, r.config().padTokenId());
        assertEquals(ids + 10, r.config().vocabSize(), "no rows added, none removed");
        assertEquals(ids, HfTokenizer.load(r.model()).padId());
    }

    @Test
    void aDeclaredPadAndEosAreUsedAsTheyAre() throws Exception {
        ObjectNode tok = withoutPad();
        Path base = checkpoint("declared", tok, "{\"eos_token\": {\"content\": \"<|unk|>\", \"special\": true},"
                + " \"pad_token\": \"<|reserved|>\", \"chat_template\": \"{{ x }}\"}", size(tok));
        FineTuner.Result r = tune(base, "declared-run");
        HfTokenizer t = HfTokenizer.load(r.model());
        assertFalse(r.tokenizer().padAdded());
        assertEquals("<|reserved|>", t.tokenString(r.config().padTokenId()));
        assertEquals("<|unk|>", t.tokenString(r.config().eosTokenId()), "the declared EOS ends every response");
        assertEquals(t.eosId(), r.config().eosTokenId());
        assertEquals(size(tok), r.config().vocabSize());
    }

    @Test
    void mismatchedOrBrokenTokenizersAreClearErrors() throws Exception {
        ObjectNode tok = withoutPad();
        Path small = checkpoint("small", tok, null, size(tok) - 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tune(small, "small-run"));
        assertTrue(e.getMessage().contains("do not belong together"), e.getMessage());
        Path unknown = checkpoint("unknown", tok, "{\"pad_token\": \"<|no such token|>\"}", size(tok));
        TokenizerFormatException f = assertThrows(TokenizerFormatException.class, () -> tune(unknown, "unknown-run"));
        assertTrue(f.getMessage().contains("tokenizer_config.json: pad_token"), f.getMessage());
        Path typed = checkpoint("typed", tok, "{\"eos_token\": 42}", size(tok));
        f = assertThrows(TokenizerFormatException.class, () -> tune(typed, "typed-run"));
        assertTrue(f.getMessage().contains("eos_token: expected a token string"), f.getMessage());
        // A run folder started from another checkpoint is refused (its tokenizer files differ).
        tune(checkpoint("first", tok, null, size(tok)), "shared-run");
        Path other = checkpoint("other", tokenizerJson, null, size(tokenizerJson));
        e = assertThrows(IllegalArgumentException.class, () -> tune(other, "shared-run"));
        assertTrue(e.getMessage().contains("was started with another tokenizer.json"), e.getMessage());
    }

    @Test
    void anAutomaticRerunKeepsTheMomentStorageTheRunStartedWith() throws Exception {
        ObjectNode tok = withoutPad();
        Path base = checkpoint("moments", tok, null, size(tok));
        FineTuner.Options o = FineTuner.Options.paper().withSteps(2).withBatch(4).withLr(1e-3, 1).withEvaluation(0, 1, 1);
        FineTuner.Result first = FineTuner.run(base, data, dir.resolve("moments-run"), o.withMemory(null, AdamW.Moments.BF16),
                n -> Progress.NONE);
        // Plenty of memory now, so "auto" alone would pick F32 moments and the resume would be refused as another run.
        FineTuner.Result again = FineTuner.run(base, data, dir.resolve("moments-run"), o, n -> Progress.NONE);
        assertEquals(AdamW.Moments.BF16, again.plan().moments());
        assertEquals(first.history().get(1).loss(), again.history().get(1).loss(), 0);
    }

    @Test
    void theMemoryPlanRecomputesAndShrinksMomentsOnlyWhenNeeded() {
        ModelConfig llama1b = new ModelConfig("llama", 128256, 2048, 16, 32, 8, 8192, 131072, 1e-5, true, new int[16], 500000.0,
                false, false, true, 128000, 128001, new ModelConfig.RopeScaling(32, 1, 4, 8192));
        long gib = 1L << 30;
        MemoryPlan big = MemoryPlan.choose(llama1b, 8, 256, 8 * 256, 22 * gib, null, null);
        assertTrue(big.recompute() && big.moments() == AdamW.Moments.BF16, big.toString());
        assertEquals(1_235_814_400L, big.parameters(), "Llama-3.2-1B");
        MemoryPlan roomy = MemoryPlan.choose(llama1b, 1, 256, 256, 64 * gib, null, null);
        assertFalse(roomy.recompute() || roomy.moments() != AdamW.Moments.F32, roomy.toString());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> MemoryPlan.choose(llama1b, 8, 256, 8 * 256, 8 * gib, null, null));
        assertTrue(e.getMessage().contains("-Dorg.bytedeco.javacpp.maxbytes"), e.getMessage());
    }
}
