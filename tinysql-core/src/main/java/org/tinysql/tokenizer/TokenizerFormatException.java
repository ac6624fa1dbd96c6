package org.tinysql.tokenizer;

/** A tokenizer.json that is malformed or uses a feature we do not support; the message names the field. */
public class TokenizerFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public TokenizerFormatException(String source, String field, String problem) {
        super(source + ": " + field + ": " + problem);
    }
}
