package org.tinysql.tokenizer;

import java.util.Arrays;

/**
 * The added tokens as a character trie: {@link #longestAt} costs at most the length of the longest added token
 * ({@value HfTokenizerReader#MAX_ADDED_TOKEN_CHARS} characters), however many added tokens share a prefix.
 */
final class AddedTokenTrie {
    private static final class Node {
        private char[] keys = new char[0];
        private Node[] kids = new Node[0];
        private HfTokenizer.AddedToken token;

        Node child(char c) {
            int i = Arrays.binarySearch(keys, c);
            return i >= 0 ? kids[i] : null;
        }

        Node childOrNew(char c) {
            int i = Arrays.binarySearch(keys, c);
            if (i >= 0) {
                return kids[i];
            }
            int at = -i - 1;
            char[] k = new char[keys.length + 1];
            Node[] n = new Node[kids.length + 1];
            System.arraycopy(keys, 0, k, 0, at);
            System.arraycopy(kids, 0, n, 0, at);
            System.arraycopy(keys, at, k, at + 1, keys.length - at);
            System.arraycopy(kids, at, n, at + 1, kids.length - at);
            k[at] = c;
            n[at] = new Node();
            keys = k;
            kids = n;
            return n[at];
        }
    }

    private final Node root = new Node();

    private boolean empty = true;

    /** Adds {@code t} under {@code key} (its content, or its normalized content); an empty key is never matched. */
    void add(String key, HfTokenizer.AddedToken t) {
        if (key.isEmpty()) {
            return;
        }
        Node n = root;
        for (int i = 0; i < key.length(); i++) {
            n = n.childOrNew(key.charAt(i));
        }
        n.token = t;
        empty = false;
    }

    boolean isEmpty() {
        return empty;
    }

    /** The longest key that {@code text} has at {@code start}: its token, and the key's length in {@code length[0]}. */
    HfTokenizer.AddedToken longestAt(String text, int start, int[] length) {
        HfTokenizer.AddedToken best = null;
        Node n = root;
        for (int i = start; i < text.length(); i++) {
            n = n.child(text.charAt(i));
            if (n == null) {
                break;
            }
            if (n.token != null) {
                best = n.token;
                length[0] = i + 1 - start;
            }
        }
        return best;
    }
}
