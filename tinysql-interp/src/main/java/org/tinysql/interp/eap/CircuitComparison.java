package org.tinysql.interp.eap;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Overlap of circuits found on different prompt families (e.g. each corruption kind): pairwise Jaccard similarity of
 * their edge sets and node sets.
 *
 * @param names       the circuits' names, in map order
 * @param edgeJaccard [n][n] Jaccard similarity of the edge sets
 * @param nodeJaccard [n][n] Jaccard similarity of the node sets
 */
public record CircuitComparison(List<String> names, double[][] edgeJaccard, double[][] nodeJaccard) {

    /**
     * Compares every pair of circuits.
     *
     * @param circuits the circuits by name
     * @return the comparison
     */
    public static CircuitComparison of(Map<String, Circuit> circuits) {
        List<String> names = new ArrayList<>(circuits.keySet());
        int n = names.size();
        double[][] e = new double[n][n];
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                Circuit a = circuits.get(names.get(i));
                Circuit b = circuits.get(names.get(j));
                e[i][j] = Circuit.jaccard(a.edgeNames(), b.edgeNames());
                v[i][j] = Circuit.jaccard(a.nodeNames(), b.nodeNames());
            }
        }
        return new CircuitComparison(names, e, v);
    }

    /**
     * Mean off-diagonal edge Jaccard (1 when there is only one circuit).
     *
     * @return the mean over ordered pairs of distinct circuits
     */
    public double meanEdgeJaccard() {
        int n = names.size();
        if (n < 2) {
            return 1;
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i != j) {
                    s += edgeJaccard[i][j];
                }
            }
        }
        return s / (n * (n - 1));
    }

    /**
     * A plain-text table of edge (and node) Jaccard similarities.
     *
     * @return the table text, one row per circuit
     */
    public String table() {
        StringBuilder sb = new StringBuilder();
        int w = 4;
        for (String s : names) {
            w = Math.max(w, s.length());
        }
        sb.append(String.format("%-" + w + "s", "edges|nodes"));
        for (String s : names) {
            sb.append("  ").append(String.format("%-" + Math.max(11, s.length()) + "s", s));
        }
        sb.append('\n');
        for (int i = 0; i < names.size(); i++) {
            sb.append(String.format("%-" + w + "s", names.get(i)));
            for (int j = 0; j < names.size(); j++) {
                sb.append("  ").append(String.format("%-" + Math.max(11, names.get(j).length()) + "s",
                        String.format(java.util.Locale.ROOT, "%.2f|%.2f", edgeJaccard[i][j], nodeJaccard[i][j])));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * The comparison for JSON export: {@code names}, {@code edge_jaccard}, {@code node_jaccard} and
     * {@code mean_edge_jaccard}.
     *
     * @return a new ordered map
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("names", names);
        m.put("edge_jaccard", edgeJaccard);
        m.put("node_jaccard", nodeJaccard);
        m.put("mean_edge_jaccard", meanEdgeJaccard());
        return m;
    }
}
