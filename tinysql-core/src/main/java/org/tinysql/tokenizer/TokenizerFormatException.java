package org.tinysql.tokenizer;

/**
 * A tokenizer.json that is malformed, uses a feature we do not support, or (for a pre-tokenizer regex) is too costly
 * to run on some text; the message names the file and the field.
 */
public class TokenizerFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private static final int QUOTE_LIMIT = 60;

    /**
     * @param source  the file or other source the tokenizer came from
     * @param field   the JSON field at fault, e.g. {@code model.merges[3]}, or {@code (file)} for the whole file
     * @param problem what is wrong with it
     */
    public TokenizerFormatException(String source, String field, String problem) {
        super(source + ": " + field + ": " + problem);
    }

    /** A token or value for a message: in single quotes, control characters escaped, cut after 60 characters. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < s.length() && i < QUOTE_LIMIT; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F || Character.isSurrogate(c)) {
                sb.append(String.format("\\u%04X", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append(s.length() > QUOTE_LIMIT ? "'... (" + s.length() + " chars)" : "'").toString();
    }
}
