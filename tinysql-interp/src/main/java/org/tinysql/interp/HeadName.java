package org.tinysql.interp;

/**
 * The name of an attention head in every table, graph and circuit of the library: {@code a{layer}.h{head}}, as the
 * EAP-IG repository names its nodes (e.g. {@code a1.h3}).
 */
public final class HeadName {
    private HeadName() {
    }

    /**
     * The head's name.
     * @param layer the block, 0..L-1
     * @param head the head, 0..H-1
     * @return e.g. {@code a1.h3}
     */
    public static String of(int layer, int head) {
        return "a" + layer + ".h" + head;
    }

    /**
     * The name of a head from the {@code layer.head} key the head searches use (e.g. {@code "1.3"}).
     * @param key the layer and head, joined by a dot
     * @return e.g. {@code a1.h3}
     */
    public static String ofKey(String key) {
        int dot = key.indexOf('.');
        return of(Integer.parseInt(key.substring(0, dot)), Integer.parseInt(key.substring(dot + 1)));
    }

    /**
     * The name of one input (q, k or v) of a head as an EAP graph node: e.g. {@code a1.h3<q>}.
     * @param layer the block, 0..L-1
     * @param head the head, 0..H-1
     * @param letter {@code q}, {@code k} or {@code v}
     * @return e.g. {@code a1.h3<q>}
     */
    public static String input(int layer, int head, String letter) {
        return of(layer, head) + "<" + letter + ">";
    }
}
