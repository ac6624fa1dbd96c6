package org.tinysql.model;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;

/**
 * Grows a model's vocabulary, as HuggingFace's {@code resize_token_embeddings} does when a tokenizer gains tokens (a
 * pad token for fine-tuning): the embedding [V, C] and, when untied, the unembedding [V, C] get new rows, each the
 * mean of the old rows (HF's {@code mean_resizing}: a new token starts as an average token, so the logits of the old
 * tokens barely move and the new token is neither favoured nor ruled out). Every other tensor is reused, not copied.
 */
public final class EmbeddingResize {
    private static final String[] VOCAB_TENSORS = {"embed.W_E", "unembed.W_U"};

    private EmbeddingResize() {
    }

    /**
     * The parameters with {@code vocab} rows ({@code vocab} must not be smaller than the current vocabulary; the same
     * size returns {@code p}). The result shares every tensor but the embedding and unembedding with {@code p}, so
     * {@code p} should not be trained on afterwards.
     * @param p the current parameters
     * @param vocab the new V, at least the current one
     * @return new parameters (or {@code p} itself when the size is unchanged), with a config of {@code vocab} rows
     */
    public static Parameters resize(Parameters p, int vocab) {
        ModelConfig old = p.config();
        if (vocab < old.vocabSize()) {
            throw new IllegalArgumentException("cannot shrink the vocabulary from " + old.vocabSize() + " to " + vocab + " rows");
        }
        if (vocab == old.vocabSize()) {
            return p;
        }
        ModelConfig cfg = old.withVocabSize(vocab);
        Map<String, INDArray> tensors = new LinkedHashMap<>(p.asMap());
        for (String name : VOCAB_TENSORS) {
            INDArray w = tensors.get(name);
            if (w != null) {
                tensors.put(name, grow(w, vocab));
            }
        }
        return Parameters.of(cfg, tensors);
    }

    /** A [vocab, C] copy of {@code w} [V, C] whose rows V.. are the mean of its rows (summed in double precision). */
    static INDArray grow(INDArray w, int vocab) {
        int v = (int) w.size(0);
        int c = (int) w.size(1);
        double[] sum = new double[c];
        FloatBuffer src = fb(w);
        float[] row = new float[c];
        for (int r = 0; r < v; r++) {
            src.get(r * c, row);
            for (int j = 0; j < c; j++) {
                sum[j] += row[j];
            }
        }
        float[] mean = new float[c];
        for (int j = 0; j < c; j++) {
            mean[j] = (float) (sum[j] / v);
        }
        INDArray out = Buffers.zeros(vocab, c);
        FloatBuffer dst = fb(out);
        for (int r = 0; r < v; r++) {
            src.get(r * c, row);
            dst.put(r * c, row);
        }
        for (int r = v; r < vocab; r++) {
            dst.put(r * c, mean);
        }
        return out;
    }
}
