package org.tinysql.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The few Python string operations the original TinySQL scorer is built from, with Python's exact semantics:
 * {@code str.split()} (runs of Unicode whitespace as {@code str.isspace} defines it, which is wider than
 * {@link Character#isWhitespace}), {@code str.upper()}, {@code len()} in code points and {@code str.strip(',')}.
 */
final class PythonText {
    private PythonText() {
    }

    /** Python's {@code str.isspace()} for one code point (bidirectional class WS, B or S, or category Zs). */
    static boolean isSpace(int c) {
        return switch (c) {
            case '\t', '\n', 0x0b, 0x0c, '\r', 0x1c, 0x1d, 0x1e, 0x1f, ' ', 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f,
                 0x205f, 0x3000 -> true;
            default -> c >= 0x2000 && c <= 0x200a;
        };
    }

    /** Python's {@code s.split()}: the words between runs of whitespace, none for blank text. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int n = s.length();
        int i = 0;
        while (i < n) {
            while (i < n && isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            int start = i;
            while (i < n && !isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            if (i > start) {
                out.add(s.substring(start, i));
            }
        }
        return out;
    }

    /** The original's {@code trim_newlines_and_multiple_spaces}: the words joined by single spaces. */
    static String collapseSpaces(String s) {
        return String.join(" ", split(s));
    }

    /** Python's {@code str.upper()} (full case mapping: {@code ß} becomes {@code SS}). */
    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    /** Python's {@code len()} of a string: code points, not UTF-16 units. */
    static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    /** Python's {@code token.strip(',')}: leading and trailing commas removed. */
    static String stripCommas(String t) {
        int a = 0;
        int b = t.length();
        while (a < b && t.charAt(a) == ',') {
            a++;
        }
        while (b > a && t.charAt(b - 1) == ',') {
            b--;
        }
        return t.substring(a, b);
    }

    /** {@code [t.strip(',') for t in s.split()]}. */
    static List<String> words(String s) {
        List<String> out = split(s);
        out.replaceAll(PythonText::stripCommas);
        return out;
    }
}
