package org.tinysql.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible byte-to-character map: every byte becomes one printable character, so byte-level BPE can
 * work on strings. Printable Latin-1 bytes map to themselves; the others to U+0100 and up, in byte order.
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    /**
     * The UTF-8 bytes of {@code s}, each as its byte-level character.
     *
     * @param s the text
     * @return one character per UTF-8 byte of {@code s}
     */
    public static String encode(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * Appends the bytes of byte-level characters to {@code out}; returns false on a character outside the map.
     *
     * @param s   byte-level characters, e.g. a BPE token string
     * @param out receives one byte per character; on failure it holds the bytes before the bad character
     * @return {@code true} if every character was in the map
     */
    public static boolean decodeInto(String s, java.io.ByteArrayOutputStream out) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                return false;
            }
            out.write(b);
        }
        return true;
    }

    /**
     * The byte-level character of one byte.
     *
     * @param b the byte; only its low 8 bits are used
     * @return its character
     */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /**
     * UTF-8 decoding that replaces malformed sequences (as HuggingFace's lossy decode does).
     *
     * @param bytes UTF-8 bytes, possibly malformed
     * @return the text, malformed sequences replaced by U+FFFD
     */
    public static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
