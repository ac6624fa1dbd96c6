package org.tinysql.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An input file (dataset, predictions, stats) is not what it should be. The message is {@code file:line: what is
 * wrong} (or {@code file: what is wrong} for the file as a whole), ready to show to a user as is: control characters
 * copied from the input are escaped and the text is bounded in length.
 */
public final class DataFormatException extends IOException {
    private static final long serialVersionUID = 1L;
    private static final int MAX_WHAT_CHARS = 400;

    /**
     * A problem on one line (1-based) of {@code file}.
     *
     * @param file the file read
     * @param line the line number, 1-based
     * @param what what is wrong; escaped and shortened to 400 characters
     */
    public DataFormatException(Path file, long line, String what) {
        super(file + ":" + line + ": " + printable(what));
    }

    /**
     * A problem with {@code file} as a whole (empty, too large).
     *
     * @param file the file read
     * @param what what is wrong; escaped and shortened to 400 characters
     */
    public DataFormatException(Path file, String what) {
        super(file + ": " + printable(what));
    }

    /** Escapes control and format characters (they could drive or garble the terminal); shortens long text. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX_WHAT_CHARS) + 16);
        for (int i = 0; i < s.length(); i++) {
            if (sb.length() >= MAX_WHAT_CHARS) {
                return sb.append("...").toString();
            }
            char c = s.charAt(i);
            int type = Character.getType(c);
            if (type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
