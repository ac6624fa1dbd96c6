package org.tinysql.tokenizer;

/** A text tokenizer: text to token ids and back. Implementations are thread-safe. */
public interface Tokenizer {

    /** Token ids of {@code text}, without any special tokens added (special tokens written in the text are matched). */
    int[] encode(String text);

    /** Text of {@code ids}; special tokens are kept. */
    String decode(int[] ids);

    /** Number of token ids (the embedding rows a model needs). */
    int vocabSize();

    /** The end-of-sequence id, or -1 when the vocabulary has none. */
    int eosId();

    /** The padding id, or -1 when the vocabulary has none. */
    int padId();

    /** The string of one token id as stored in the vocabulary (for displays), or null if out of range. */
    String tokenString(int id);
}
