package org.tinysql.train;

import java.util.Arrays;
import org.tinysql.data.TinySqlExample;
import org.tinysql.tokenizer.Tokenizer;

/**
 * An example as token ids with labels: -100 on prompt tokens (not trained on), the token itself on the response
 * and the final EOS. The prompt ends at "### Response:" and the response starts with " SELECT", so both the model's
 * training text and its generation prompt tokenise the same way. The prompt is a sequence start
 * ({@link Tokenizer#encodePrompt}: Llama-3's {@code <|begin_of_text|>} first, as HuggingFace's tokenizer gave the
 * original's training texts); the response continues it ({@link Tokenizer#encode}).
 * @param ids the token ids: the prompt, the response, then EOS
 * @param labels the training targets, aligned with ids: -100 on the prompt, else the token id itself
 * @param promptLength the number of prompt tokens at the start of ids
 */
public record EncodedExample(int[] ids, int[] labels, int promptLength) {

    /**
     * The generation prompt: the prompt without its trailing space.
     * @param e the example
     * @return its prompt, trailing whitespace removed
     */
    public static String promptText(TinySqlExample e) {
        return e.prompt().stripTrailing();
    }

    /**
     * The response text the model should write after {@link #promptText}.
     * @param e the example
     * @return a space, then the example's SQL
     */
    public static String responseText(TinySqlExample e) {
        return " " + e.sqlStatement();
    }

    /**
     * The prompt's token ids: the tokenizer's sequence start, then {@link #promptText}.
     * @param e the example
     * @param tok the tokenizer
     * @return the prompt's ids, starting with the tokenizer's sequence start if it has one
     */
    public static int[] promptIds(TinySqlExample e, Tokenizer tok) {
        return tok.encodePrompt(promptText(e));
    }

    /**
     * The response's token ids, without special tokens (the EOS comes after them).
     * @param e the example
     * @param tok the tokenizer
     * @return the response's ids
     */
    public static int[] responseIds(TinySqlExample e, Tokenizer tok) {
        return tok.encode(responseText(e));
    }

    /**
     * Encodes an example for training: prompt, response and EOS, with the prompt masked out of the labels.
     * @param e the example
     * @param tok the tokenizer; must have an EOS token
     * @param maxLength the most tokens an encoded example may have
     * @return the encoded example
     * @throws IllegalArgumentException when the tokenizer has no EOS, or the example is longer than {@code maxLength}
     */
    public static EncodedExample of(TinySqlExample e, Tokenizer tok, int maxLength) {
        if (tok.eosId() < 0) {
            throw new IllegalArgumentException("the tokenizer has no EOS token; training targets need one");
        }
        int[] p = promptIds(e, tok);
        int[] r = responseIds(e, tok);
        int n = p.length + r.length + 1;
        if (n > maxLength) {
            throw new IllegalArgumentException("example of " + n + " tokens exceeds the maximum length " + maxLength
                    + ": " + e.englishPrompt());
        }
        int[] ids = Arrays.copyOf(p, n);
        System.arraycopy(r, 0, ids, p.length, r.length);
        ids[n - 1] = tok.eosId();
        int[] labels = new int[n];
        Arrays.fill(labels, 0, p.length, -100);
        System.arraycopy(ids, p.length, labels, p.length, n - p.length);
        return new EncodedExample(ids, labels, p.length);
    }
}
