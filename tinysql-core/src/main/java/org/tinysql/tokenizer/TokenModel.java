package org.tinysql.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The tokenizer model that maps one pre-tokenized piece to ids (HuggingFace "model" section). */
abstract class TokenModel {
    private static final int CACHE_LIMIT = 200_000;
    /** Longer pieces are not cached: a cache entry must stay small whatever the input. */
    private static final int CACHE_MAX_PIECE = 64;

    final Map<String, Integer> vocab;
    final String[] idToToken;
    /** The tokenizer file, for messages. */
    final String source;
    /** Id of each single-character BMP token, -1 when the vocabulary lacks it. */
    private final int[] bmpCharIds = new int[Character.MAX_VALUE + 1];
    /** Id of each {@code <0xAB>} byte token, -1 when the vocabulary lacks it. */
    private final int[] byteIds = new int[256];
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    TokenModel(Map<String, Integer> vocab, int size, String source) {
        this.vocab = vocab;
        this.source = source;
        this.idToToken = new String[size];
        Arrays.fill(bmpCharIds, -1);
        Arrays.fill(byteIds, -1);
        vocab.forEach((tok, id) -> {
            idToToken[id] = tok;
            if (tok.length() == 1) {
                bmpCharIds[tok.charAt(0)] = id;
            }
            int b = byteToken(tok);
            if (b >= 0 && tok.equals(String.format("<0x%02X>", b))) {
                byteIds[b] = id;
            }
        });
    }

    /** Ids of one piece (cached when short). */
    final int[] tokenize(String piece) {
        if (piece.length() > CACHE_MAX_PIECE) {
            return tokenizeUncached(piece);
        }
        int[] ids = cache.get(piece);
        if (ids == null) {
            ids = tokenizeUncached(piece);
            if (cache.size() > CACHE_LIMIT) {
                cache.clear();
            }
            cache.put(piece, ids);
        }
        return ids;
    }

    abstract int[] tokenizeUncached(String piece);

    /** The error for a code point that the vocabulary cannot encode. */
    final IllegalArgumentException unencodable(int cp, String why) {
        return new IllegalArgumentException(source + ": character U+" + Integer.toHexString(cp).toUpperCase()
                + " is not in the vocabulary and " + why);
    }

    /** Id of the token made of the one code point {@code cp}, or -1. */
    final int charId(int cp) {
        if (cp <= Character.MAX_VALUE) {
            return bmpCharIds[cp];
        }
        Integer id = vocab.get(new String(Character.toChars(cp)));
        return id == null ? -1 : id;
    }

    /** {@code <0xAB>} byte-fallback tokens of a code point's UTF-8 bytes, or null when the vocabulary lacks one. */
    final int[] byteFallback(int cp) {
        byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = byteIds[b[i] & 0xFF];
            if (out[i] < 0) {
                return null;
            }
        }
        return out;
    }

    /** Byte value of a {@code <0xAB>} token, or -1. */
    static int byteToken(String tok) {
        if (tok != null && tok.length() == 6 && tok.startsWith("<0x") && tok.endsWith(">")) {
            try {
                return Integer.parseInt(tok.substring(3, 5), 16);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    /** Joins tokens, turning runs of byte-fallback tokens back into UTF-8 text. */
    static String joinWithByteFallback(List<String> tokens) {
        StringBuilder sb = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String t : tokens) {
            int b = byteToken(t);
            if (b >= 0) {
                bytes.write(b);
                continue;
            }
            if (bytes.size() > 0) {
                sb.append(ByteLevel.utf8(bytes.toByteArray()));
                bytes.reset();
            }
            sb.append(t);
        }
        if (bytes.size() > 0) {
            sb.append(ByteLevel.utf8(bytes.toByteArray()));
        }
        return sb.toString();
    }
}
