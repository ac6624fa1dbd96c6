package org.tinysql.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The tokenizer model that maps one pre-tokenized piece to ids (HuggingFace "model" section). */
abstract class TokenModel {
    private static final int CACHE_LIMIT = 200_000;

    final Map<String, Integer> vocab;
    final String[] idToToken;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    TokenModel(Map<String, Integer> vocab, int size) {
        this.vocab = vocab;
        this.idToToken = new String[size];
        vocab.forEach((tok, id) -> idToToken[id] = tok);
    }

    /** Ids of one piece (cached). */
    final int[] tokenize(String piece) {
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

    /** {@code <0xAB>} byte-fallback tokens of a character's UTF-8 bytes, or null when the vocabulary lacks one. */
    int[] byteFallback(String ch) {
        byte[] b = ch.getBytes(StandardCharsets.UTF_8);
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            Integer id = vocab.get(String.format("<0x%02X>", b[i] & 0xFF));
            if (id == null) {
                return null;
            }
            out[i] = id;
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
