package org.tinysql.sql;

/** Short, printable renderings of untrusted text and of exceptions for score reasons and error messages. */
final class ReasonText {
    private static final int MAX_QUOTED = 48;

    private ReasonText() {
    }

    /** The text in double quotes, cut to a few dozen characters, with control and non-ASCII characters escaped. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        int n = Math.min(s.length(), MAX_QUOTED);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append(s.length() > n ? "...\"" : "\"").toString();
    }

    /** The first line of an exception's message, or its class name when it has none. */
    static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
