package org.tinysql.interp.study;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tinysql.interp.eap.Circuit;

/**
 * Analysis 3: how much circuits vary. Edge and node Jaccard indices of the EAP circuits (each at the faithfulness
 * target) across command sets for one corruption kind and variant, and across corruption kinds within one model.
 * The third comparison, across prompt batches of one kind, is {@link CircuitStudy.KindCircuit#batchJaccard}.
 */
public final class CircuitVariation {

    private CircuitVariation() {
    }

    /**
     * Pairwise Jaccard indices of a set of circuits.
     *
     * @param title    what is compared, e.g. {@code instruction-table, literal: across command sets}
     * @param names    the circuits' names (models or kinds)
     * @param edge     [i][j] edge Jaccard
     * @param node     [i][j] node Jaccard
     * @param meanEdge the mean edge Jaccard over pairs i < j
     * @param meanNode the mean node Jaccard over pairs i < j
     */
    public record Matrix(String title, List<String> names, double[][] edge, double[][] node, double meanEdge, double meanNode) {
    }

    /** One circuit's edges and nodes under a name. */
    record Named(String name, Set<String> edges, Set<String> nodes) {
        static Named of(String name, CircuitStudy.KindCircuit c) {
            return new Named(name, new HashSet<>(c.edges()), new HashSet<>(c.nodes()));
        }
    }

    /**
     * Across command sets: for each (kind, variant) studied on at least two command sets, the EAP circuits of the first
     * model (in study order) of each command set, so that other seeds of one set do not count as variation across sets.
     *
     * @param circuits per model (in study order) its EAP circuits
     * @param models   the models, for their variants and labels
     * @return one matrix per (kind, variant)
     */
    public static List<Matrix> acrossCommandSets(List<StudyModel> models, Map<String, List<CircuitStudy.KindCircuit>> circuits) {
        Map<String, List<Named>> groups = new LinkedHashMap<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (StudyModel m : models) {
            for (CircuitStudy.KindCircuit c : circuits.getOrDefault(m.name(), List.of())) {
                String key = c.kind() + ", " + m.variant().name().toLowerCase(java.util.Locale.ROOT);
                if (c.skipped() == null && c.method().equals("EAP") && seen.add(key + " " + m.commandSet())) {
                    groups.computeIfAbsent(key, k -> new ArrayList<>()).add(Named.of(m.name(), c));
                }
            }
        }
        List<Matrix> out = new ArrayList<>();
        groups.forEach((key, list) -> {
            if (list.size() >= 2) {
                out.add(matrix(key + ": across command sets", list));
            }
        });
        return out;
    }

    /**
     * Across corruption kinds: for each model with at least two studied kinds, its EAP circuits.
     *
     * @param circuits per model its EAP circuits
     * @return one matrix per model
     */
    public static List<Matrix> acrossKinds(Map<String, List<CircuitStudy.KindCircuit>> circuits) {
        List<Matrix> out = new ArrayList<>();
        circuits.forEach((model, list) -> {
            List<Named> named = new ArrayList<>();
            for (CircuitStudy.KindCircuit c : list) {
                if (c.skipped() == null && c.method().equals("EAP")) {
                    named.add(Named.of(c.kind(), c));
                }
            }
            if (named.size() >= 2) {
                out.add(matrix(model + ": across corruption kinds", named));
            }
        });
        return out;
    }

    static Matrix matrix(String title, List<Named> list) {
        int n = list.size();
        double[][] e = new double[n][n];
        double[][] v = new double[n][n];
        double se = 0;
        double sv = 0;
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                e[i][j] = Circuit.jaccard(list.get(i).edges(), list.get(j).edges());
                v[i][j] = Circuit.jaccard(list.get(i).nodes(), list.get(j).nodes());
                if (j > i) {
                    se += e[i][j];
                    sv += v[i][j];
                    pairs++;
                }
            }
        }
        return new Matrix(title, list.stream().map(Named::name).toList(), e, v, pairs == 0 ? Double.NaN : se / pairs,
                pairs == 0 ? Double.NaN : sv / pairs);
    }
}
