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
}
