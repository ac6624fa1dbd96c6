package org.tinysql.interp.eap;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.HashSet;
import org.tinysql.interp.Metric;

/**
 * Edge scores from {@link EdgeAttribution}: {@code scores[u][v]} for source u and destination v (NaN where there is
 * no edge), with the clean and corrupt metric values (means over the rows).
 *
 * @param graph         the scored graph
 * @param scores        [sources][dests] edge scores, NaN where there is no edge
 * @param metric        the metric the scores estimate the change of
 * @param method        how the scores were computed: {@code EAP} or {@code EAP-IG(steps)}
 * @param examples      the number of prompt pairs averaged over
 * @param cleanMetric   the metric of the clean runs
 * @param corruptMetric the metric of the corrupt runs
 */
public record EapResult(EapGraph graph, double[][] scores, Metric.Kind metric, String method, int examples,
                        double cleanMetric, double corruptMetric) {

    /**
     * The score of an edge by name.
     *
     * @param edge the edge's name, e.g. {@code a0.h1->a1.h0<q>}
     * @return its score
     * @throws IllegalArgumentException if the name is malformed or names no node
     */
    public double score(String edge) {
        String[] p = edge.split("->");
        if (p.length != 2) {
            throw new IllegalArgumentException("edge names look like 'a0.h1->a1.h0<q>', got '" + edge + "'");
        }
        return scores[graph.source(p[0])][graph.dest(p[1])];
    }

    /**
     * All edges sorted by |score|, largest first, as (u, v).
     *
     * @return {u, v} pairs of every valid edge
     */
    public List<int[]> ranked() {
        List<int[]> l = new ArrayList<>();
        for (int u = 0; u < scores.length; u++) {
            for (int v = 0; v < scores[u].length; v++) {
                if (graph.valid(u, v)) {
                    l.add(new int[] {u, v});
                }
            }
        }
        l.sort(Comparator.comparingDouble((int[] e) -> -Math.abs(scores[e[0]][e[1]])));
        return l;
    }

    /**
     * The n edges with the largest |score|.
     *
     * @param n the number of edges; all edges when it exceeds the edge count
     * @return a new circuit
     */
    public Circuit topN(int n) {
        Circuit c = graph.empty();
        List<int[]> r = ranked();
        for (int i = 0; i < Math.min(n, r.size()); i++) {
            c.add(r.get(i)[0], r.get(i)[1]);
        }
        return c;
    }

    /**
     * Every edge with |score| >= threshold.
     *
     * @param threshold the smallest |score| kept
     * @return a new circuit
     */
    public Circuit threshold(double threshold) {
        Circuit c = graph.empty();
        for (int[] e : ranked()) {
            if (Math.abs(scores[e[0]][e[1]]) >= threshold) {
                c.add(e[0], e[1]);
            }
        }
        return c;
    }

    /**
     * Greedy growth from the logits: repeatedly adds the largest-|score| edge whose destination node is already
     * connected to the logits, until the circuit has n edges (or no candidate is left).
     *
     * @param n the number of edges wanted
     * @return a new circuit, connected to the logits by construction
     */
    public Circuit greedy(int n) {
        Circuit c = graph.empty();
        Set<String> reached = new HashSet<>();
        reached.add("logits");
        PriorityQueue<int[]> q = new PriorityQueue<>(Comparator.comparingDouble((int[] e) -> -Math.abs(scores[e[0]][e[1]])));
        Set<String> expanded = new HashSet<>();
        expand("logits", q, expanded);
        while (c.edgeCount() < n && !q.isEmpty()) {
            int[] e = q.poll();
            if (c.contains(e[0], e[1])) {
                continue;
            }
            c.add(e[0], e[1]);
            String srcNode = graph.sources().get(e[0]).name();
            if (reached.add(srcNode)) {
                expand(srcNode, q, expanded);
            }
        }
        return c;
    }

    private void expand(String node, PriorityQueue<int[]> q, Set<String> expanded) {
        if (!expanded.add(node)) {
            return;
        }
        for (int v = 0; v < graph.dests().size(); v++) {
            if (!graph.dests().get(v).node().equals(node)) {
                continue;
            }
            for (int u = 0; u < graph.sources().size(); u++) {
                if (graph.valid(u, v)) {
                    q.add(new int[] {u, v});
                }
            }
        }
    }
}
