package org.tinysql.data;

/**
 * A clean/corrupt prompt pair for patching. Both prompts end with the same response prefix (the SQL up to the
 * answer); the model's next token there is the answer.
 *
 * @param kind             what differs
 * @param clean            the clean prompt, response prefix included
 * @param corrupt          the corrupt prompt, response prefix included
 * @param cleanAnswer      the continuation the clean prompt calls for (leading space included where it belongs)
 * @param corruptAnswer    the continuation a model following the corrupted element would write
 * @param cleanSql         the full clean gold SQL
 * @param corruptSql       the full SQL the corrupt prompt calls for
 * @param answerTokenIndex index of the last prompt token, whose logits predict the answer (-1 without a tokenizer)
 * @param promptTokens     token count of each prompt (-1 without a tokenizer)
 * @param example          the clean example the pair was made from
 */
public record PromptPair(CorruptionKind kind, String clean, String corrupt, String cleanAnswer, String corruptAnswer,
                         String cleanSql, String corruptSql, int answerTokenIndex, int promptTokens,
                         GeneratedExample example) {

    /**
     * Whether clean and corrupt answers differ (logit-difference metrics need that).
     *
     * @return {@code true} when {@code cleanAnswer} and {@code corruptAnswer} are different strings
     */
    public boolean answersDiffer() {
        return !cleanAnswer.equals(corruptAnswer);
    }
}
