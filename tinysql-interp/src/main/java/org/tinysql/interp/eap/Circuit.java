package org.tinysql.interp.eap;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** A set of edges of an {@link EapGraph}. Mutable. */
public final class Circuit {
    private final EapGraph graph;
    private final boolean[][] in;

    /**
     * An empty circuit.
     *
     * @param graph the graph whose edges it may hold
     */
    public Circuit(EapGraph graph) {
        this.graph = graph;
        this.in = new boolean[graph.sources().size()][graph.dests().size()];
    }

    /**
     * The graph of the circuit.
     *
     * @return the graph given at construction
     */
    public EapGraph graph() {
        return graph;
    }

    /**
     * Adds an edge (no effect if present).
     *
     * @param u the source index in {@link EapGraph#sources()}
     * @param v the destination index in {@link EapGraph#dests()}
     * @throws IllegalArgumentException if the graph has no edge u -&gt; v
     */
    public void add(int u, int v) {
        if (!graph.valid(u, v)) {
            throw new IllegalArgumentException("no edge " + graph.sources().get(u).name() + " -> " + graph.dests().get(v).name());
        }
        in[u][v] = true;
    }

    /**
     * Removes an edge (no effect if absent).
     *
     * @param u the source index
     * @param v the destination index
     */
    public void remove(int u, int v) {
        in[u][v] = false;
    }

    /**
     * Whether the circuit holds an edge.
     *
     * @param u the source index
     * @param v the destination index
     * @return {@code true} if u -&gt; v is in the circuit
     */
    public boolean contains(int u, int v) {
        return in[u][v];
    }

    /**
     * An independent copy.
     *
     * @return a new circuit over the same graph with the same edges
     */
    public Circuit copy() {
        Circuit c = new Circuit(graph);
        for (int u = 0; u < in.length; u++) {
            c.in[u] = in[u].clone();
        }
        return c;
    }

    /** The edge set as bits, source-major: equal for circuits with the same edges (a map key). */
    java.util.BitSet bits() {
        int w = in.length == 0 ? 0 : in[0].length;
        java.util.BitSet b = new java.util.BitSet(in.length * w);
        for (int u = 0; u < in.length; u++) {
            for (int v = 0; v < in[u].length; v++) {
                if (in[u][v]) {
                    b.set(u * w + v);
                }
            }
        }
        return b;
    }

    /**
     * The number of edges in the circuit.
     *
     * @return the count
     */
    public int edgeCount() {
        int n = 0;
        for (boolean[] r : in) {
            for (boolean b : r) {
                n += b ? 1 : 0;
            }
        }
        return n;
    }

    /**
     * Edge names "src->dst".
     *
     * @return the names in source, then destination order
     */
    public Set<String> edgeNames() {
        Set<String> s = new LinkedHashSet<>();
        for (int u = 0; u < in.length; u++) {
            for (int v = 0; v < in[u].length; v++) {
                if (in[u][v]) {
                    s.add(graph.edgeName(u, v));
                }
            }
        }
        return s;
    }

    /**
     * Node names touched by an edge (head inputs count as their head).
     *
     * @return the names of the edges' sources and destination nodes
     */
    public Set<String> nodeNames() {
        Set<String> s = new LinkedHashSet<>();
        for (int u = 0; u < in.length; u++) {
            for (int v = 0; v < in[u].length; v++) {
                if (in[u][v]) {
                    s.add(graph.sources().get(u).name());
                    s.add(graph.dests().get(v).node());
                }
            }
        }
        return s;
    }

    /**
     * Removes dangling edges until none is left: edges out of a node that has no incoming edge (other than the
     * input) and edges into a node with no outgoing edge (other than the logits). Returns the number removed.
     *
     * @return the number of edges removed
     */
    public int prune() {
        int removed = 0;
        boolean changed = true;
        List<EapGraph.Source> src = graph.sources();
        List<EapGraph.Dest> dst = graph.dests();
        while (changed) {
            changed = false;
            Set<String> hasIn = new LinkedHashSet<>();
            Set<String> hasOut = new LinkedHashSet<>();
            for (int u = 0; u < in.length; u++) {
                for (int v = 0; v < in[u].length; v++) {
                    if (in[u][v]) {
                        hasOut.add(src.get(u).name());
                        hasIn.add(dst.get(v).node());
                    }
                }
            }
            for (int u = 0; u < in.length; u++) {
                for (int v = 0; v < in[u].length; v++) {
                    if (!in[u][v]) {
                        continue;
                    }
                    EapGraph.Source s = src.get(u);
                    EapGraph.Dest d = dst.get(v);
                    boolean deadSource = s.kind() != EapGraph.Kind.INPUT && !hasIn.contains(s.name());
                    boolean deadDest = d.kind() != EapGraph.Kind.LOGITS && !hasOut.contains(d.node());
                    if (deadSource || deadDest) {
                        in[u][v] = false;
                        removed++;
                        changed = true;
                    }
                }
            }
        }
        return removed;
    }

    /**
     * Jaccard similarity of two sets (1 when both are empty).
     *
     * @param a the first set
     * @param b the second set
     * @return the size of the intersection over the size of the union, in [0, 1]
     */
    public static double jaccard(Set<String> a, Set<String> b) {
        if (a.isEmpty() && b.isEmpty()) {
            return 1;
        }
        Set<String> inter = new LinkedHashSet<>(a);
        inter.retainAll(b);
        Set<String> union = new LinkedHashSet<>(a);
        union.addAll(b);
        return inter.size() / (double) union.size();
    }

    /**
     * The edges as (u, v) pairs.
     *
     * @return {u, v} index pairs in source, then destination order
     */
    public List<int[]> edges() {
        List<int[]> l = new ArrayList<>();
        for (int u = 0; u < in.length; u++) {
            for (int v = 0; v < in[u].length; v++) {
                if (in[u][v]) {
                    l.add(new int[] {u, v});
                }
            }
        }
        return l;
    }
}
