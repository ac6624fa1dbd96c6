package org.tinysql.tokenizer;

/** A text tokenizer: text to token ids and back. Implementations are thread-safe. */
public interface Tokenizer {

    /**
     * Token ids of {@code text}, without any special tokens added (special tokens written in the text are matched): for
     * text that continues a sequence, such as an answer or a response after its prompt.
     *
     * @param text the text to encode, not null
     * @return the token ids, a fresh array, possibly empty
     */
    int[] encode(String text);

    /**
     * Token ids of {@code text} as the start of a sequence: {@link #promptPrefix()} (Llama-3's
     * {@code <|begin_of_text|>}), then {@link #encode}. This is HuggingFace's {@code encode(text,
     * add_special_tokens=True)} without the special tokens its template puts after the text (a BERT-style
     * {@code [SEP]} or an EOS): a prompt is continued by the model, so nothing may close it.
     *
     * @param text the prompt text, not null
     * @return the prefix ids followed by the ids of {@code text}; a fresh array
     */
    default int[] encodePrompt(String text) {
        int[] prefix = promptPrefix();
        int[] ids = encode(text);
        if (prefix.length == 0) {
            return ids;
        }
        int[] out = java.util.Arrays.copyOf(prefix, prefix.length + ids.length);
        System.arraycopy(ids, 0, out, prefix.length, ids.length);
        return out;
    }

    /**
     * The special token ids {@link #encodePrompt} puts in front of every sequence (a fresh array; empty when none).
     *
     * @return the prefix ids; the default is empty
     */
    default int[] promptPrefix() {
        return new int[0];
    }

    /**
     * Text of {@code ids}; special tokens are kept.
     *
     * @param ids token ids, each in [0, {@link #vocabSize()})
     * @return the decoded text
     */
    String decode(int[] ids);

    /**
     * Number of token ids (the embedding rows a model needs).
     *
     * @return V, the number of ids
     */
    int vocabSize();

    /**
     * The end-of-sequence id, or -1 when the vocabulary has none.
     *
     * @return the EOS id in [0, V), or -1
     */
    int eosId();

    /**
     * The padding id, or -1 when the vocabulary has none.
     *
     * @return the padding id in [0, V), or -1
     */
    int padId();

    /**
     * The string of one token id as stored in the vocabulary (for displays), or null if out of range.
     *
     * @param id a token id, any int
     * @return the token's vocabulary string (byte-level characters for byte-level BPE), or {@code null}
     */
    String tokenString(int id);
}
