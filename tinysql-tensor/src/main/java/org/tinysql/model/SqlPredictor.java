package org.tinysql.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.tinysql.data.PromptFormat;
import org.tinysql.data.TinySqlExample;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.Progress;

/** Greedy SQL prediction for TinySQL prompts with a model and its tokenizer. */
public final class SqlPredictor {
    /**
     * A generation limit that fits every TinySQL answer: the longest CS5 query is about 90 tokens with the SQL vocabulary
     * and about 120 with byte-level BPE vocabularies; generation stops at EOS, so the limit costs only on answers that
     * never end.
     */
    public static final int MAX_NEW_TOKENS = 160;

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final int maxNewTokens;

    /**
     * A predictor over a loaded model.
     * @param model the model, run with greedy decoding
     * @param tokenizer the model's tokenizer; its EOS stops generation and its pad id pads prompts
     * @param maxNewTokens the most tokens generated per answer (see {@link #MAX_NEW_TOKENS})
     */
    public SqlPredictor(Transformer model, Tokenizer tokenizer, int maxNewTokens) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.maxNewTokens = maxNewTokens;
    }

    /**
     * Loads a model folder (HF layout) with its tokenizer.json.
     * @param dir the model folder: config.json, safetensors, tokenizer.json (and tokenizer_config.json if any)
     * @param maxNewTokens the most tokens generated per answer
     * @return the predictor
     * @throws IOException when the folder has no tokenizer.json, or a file cannot be read or is invalid
     */
    public static SqlPredictor load(Path dir, int maxNewTokens) throws IOException {
        TinySqlModel m = TinySqlModel.load(dir);   // with tokenizer_config.json when present
        return new SqlPredictor(m.transformer(), m.tokenizer(), maxNewTokens);
    }

    /**
     * The model this predictor runs.
     * @return the model
     */
    public Transformer model() {
        return model;
    }

    /**
     * The tokenizer this predictor encodes and decodes with.
     * @return the tokenizer
     */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The generation prompt: the TinySQL prompt up to "### Response:" (the model writes " SELECT ...").
     * @param english the English instruction
     * @param context the CREATE TABLE statement the question is about
     * @return the prompt text, trailing whitespace removed
     */
    public static String promptOf(String english, String context) {
        return PromptFormat.prompt(english, context).stripTrailing();
    }

    /**
     * The token ids of an example's generation prompt, a sequence start ({@link Tokenizer#encodePrompt}).
     * @param e the example
     * @return the prompt's token ids
     */
    public int[] promptIds(TinySqlExample e) {
        return tokenizer.encodePrompt(promptOf(e.englishPrompt(), e.createStatement()));
    }

    /**
     * Predicted SQL for each example, decoded and trimmed, in batches.
     * @param examples the examples to answer
     * @param batchSize prompts decoded together
     * @param progress advanced by one per example
     * @return one SQL string per example, in order
     */
    public List<String> predict(List<TinySqlExample> examples, int batchSize, Progress progress) {
        int n = examples.size();
        int[][] ids = new int[n][];
        for (int i = 0; i < n; i++) {
            ids[i] = promptIds(examples.get(i));
        }
        String[] out = new String[n];
        int pad = Math.max(0, tokenizer.padId());
        for (int[] rows : lengthBatches(ids, batchSize)) {
            List<int[]> prompts = new ArrayList<>();
            for (int r : rows) {
                prompts.add(ids[r]);
            }
            List<int[]> gen = Generator.generate(model, prompts, Generator.Options.greedy(maxNewTokens, tokenizer.eosId(), pad));
            for (int j = 0; j < rows.length; j++) {
                out[rows[j]] = tokenizer.decode(gen.get(j)).strip();
            }
            progress.advance(rows.length);
        }
        return Arrays.asList(out);
    }

    /**
     * The order to decode prompts in: by token length (stable). A batch runs until its longest answer ends, and longer
     * prompts ask for longer answers, so batches of similar length waste fewer steps on finished rows.
     *
     * @param prompts the prompts' token ids
     * @return prompt indices, shortest first
     */
    public static int[] lengthOrder(int[][] prompts) {
        return IntStream.range(0, prompts.length).boxed().sorted(Comparator.comparingInt(i -> prompts[i].length))
                .mapToInt(Integer::intValue).toArray();
    }

    /**
     * The batches to decode prompts in: consecutive runs of {@link #lengthOrder}, at most {@code batchSize} each.
     *
     * @param prompts   the prompts' token ids
     * @param batchSize prompts per batch, at least 1
     * @return per batch the indices of its prompts
     */
    public static List<int[]> lengthBatches(int[][] prompts, int batchSize) {
        int[] order = lengthOrder(prompts);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < order.length; i += batchSize) {
            out.add(Arrays.copyOfRange(order, i, Math.min(order.length, i + batchSize)));
        }
        return out;
    }

    /**
     * As the method with a {@code Progress} argument, without progress reporting.
     *
     * @param examples the examples to answer
     * @param batchSize prompts decoded together
     * @return one SQL string per example, in order
     */
    public List<String> predict(List<TinySqlExample> examples, int batchSize) {
        return predict(examples, batchSize, Progress.NONE);
    }

}
