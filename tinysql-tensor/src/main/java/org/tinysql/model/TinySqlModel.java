package org.tinysql.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.tinysql.data.TinySqlExample;
import org.tinysql.tokenizer.HfTokenizer;

/**
 * A model folder loaded in one call: the transformer and its tokenizer, with the two things almost every analysis
 * needs first, padded prompt batches and greedy SQL predictions.
 *
 * <pre>{@code
 * TinySqlModel m = TinySqlModel.load(Path.of("runs/quickstart/cs1-model/model"));
 * HfTokenizer.Batch batch = m.encodePrompts(examples);              // ids and mask [B][T], left-padded
 * INDArray logits = m.transformer().forward(batch.inputIds(), batch.attentionMask());
 * List<String> sql = m.predictSql(examples);                         // greedy, as tinysql eval predicts
 * }</pre>
 *
 * @param dir         the model folder it was loaded from
 * @param transformer the model (not thread-safe: see {@link Transformer})
 * @param tokenizer   the folder's tokenizer.json (with tokenizer_config.json when present)
 */
public record TinySqlModel(Path dir, Transformer transformer, HfTokenizer tokenizer) {

    /**
     * Loads an HF-layout model folder: config.json, model.safetensors (or shards) and tokenizer.json.
     * @param dir the model folder
     * @return the loaded model and tokenizer
     * @throws IOException when a file is missing, unreadable or invalid (the message names it)
     */
    public static TinySqlModel load(Path dir) throws IOException {
        if (!java.nio.file.Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new java.nio.file.NoSuchFileException(null, null, "no tokenizer.json in " + dir
                    + " (a model folder needs one: config.json, model.safetensors, tokenizer.json)");
        }
        return new TinySqlModel(dir, Transformer.fromPretrained(dir), HfTokenizer.load(dir));
    }

    /**
     * The generation prompts of {@code examples} (instruction and context up to "### Response:", with the tokenizer's
     * sequence-start tokens), left-padded into one batch so that every prompt ends at the last position.
     * @param examples the examples, at least one
     * @return ids and attention mask, both [B][T] (mask 1 for real tokens, 0 for padding)
     */
    public HfTokenizer.Batch encodePrompts(List<TinySqlExample> examples) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no examples to encode");
        }
        SqlPredictor p = predictor();
        int[][] ids = new int[examples.size()][];
        for (int b = 0; b < ids.length; b++) {
            ids[b] = p.promptIds(examples.get(b));
        }
        return HfTokenizer.Batch.pad(ids, Math.max(0, tokenizer.padId()), HfTokenizer.PaddingSide.LEFT);
    }

    /**
     * Greedy SQL for each example, as {@code tinysql eval} predicts it.
     * @param examples the examples to answer
     * @return one SQL string per example, in order
     */
    public List<String> predictSql(List<TinySqlExample> examples) {
        return predictor().predict(examples, 16, org.tinysql.util.Progress.NONE);
    }

    /** @return a greedy predictor over this model (up to {@link SqlPredictor#MAX_NEW_TOKENS} new tokens) */
    public SqlPredictor predictor() {
        return new SqlPredictor(transformer, tokenizer, SqlPredictor.MAX_NEW_TOKENS);
    }
}
