package org.tinysql.interp.eap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.TinyModels;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Transformer;

class EdgeAttributionTest {

    @Test
    void fullCircuitIsCleanAndEmptyCircuitIsCorrupt() {
        for (ModelConfig cfg : List.of(TinyModels.gpt(40, 32, 2, 4), TinyModels.llama(40, 32, 2, 4, 2))) {
            Transformer m = TinyModels.random(cfg, 3, 8);
            PatchBatch b = TinyModels.batch(4, 10, 40, 5, 3);
            EapGraph g = new EapGraph(cfg);
            CircuitRunner r = new CircuitRunner(m, g, b, CircuitRunner.Ablation.CORRUPT, Metric.Kind.LOGIT_DIFF);
            EapResult res = new EdgeAttribution(m).eap(b, Metric.Kind.LOGIT_DIFF, 4);
            assertEquals(res.cleanMetric(), r.metric(g.full()), 1e-4, cfg.toString());
            assertEquals(res.corruptMetric(), r.metric(g.empty()), 1e-3, cfg.toString());
            assertEquals(1.0, r.faithfulness(g.full()), 1e-6);
            assertEquals(0.0, r.faithfulness(g.empty()), 1e-6);
            // The runner's baselines against plain forwards of the clean and the corrupt prompts.
            double clean = TinyModels.logitDiff(m.forward(b.clean(), b.mask()), b);
            double corrupt = TinyModels.logitDiff(m.forward(b.corrupt(), b.mask()), b);
            assertTrue(Math.abs(clean - corrupt) > 0.1, "the corruption matters: " + clean + " vs " + corrupt);
            assertEquals(clean, r.metric(g.full()), 1e-6, cfg + ": every edge kept is the clean run");
            assertEquals(corrupt, r.metric(g.empty()), 1e-6, cfg + ": no edge kept is the corrupt run");
            Circuit half = g.empty();
            res.ranked().subList(0, g.edgeCount() / 2).forEach(e -> half.add(e[0], e[1]));
            assertEquals((r.metric(half) - corrupt) / (clean - corrupt), r.faithfulness(half), 1e-5, cfg.toString());
        }
    }

    /** Nodes from which the circuit's edges lead to the logits ("logits" included). */
    static java.util.Set<String> connectedToLogits(Circuit c) {
        EapGraph g = c.graph();
        java.util.Set<String> reached = new java.util.HashSet<>(java.util.Set.of("logits"));
        boolean grew = true;
        while (grew) {
            grew = false;
            for (int[] e : c.edges()) {
                if (reached.contains(g.dests().get(e[1]).node())) {
                    grew |= reached.add(g.sources().get(e[0]).name());
                }
            }
        }
        return reached;
    }

    static boolean everyEdgeReachesTheLogits(Circuit c) {
        java.util.Set<String> reached = connectedToLogits(c);
        return c.edges().stream().allMatch(e -> reached.contains(c.graph().dests().get(e[1]).node()));
    }

    /** EAP's score is exactly the slope of the metric when one edge is moved towards its corrupt value. */
    @Test
    void scoresAreTheExactFirstOrderEffectOfEachEdge() {
        for (ModelConfig cfg : List.of(TinyModels.gpt(40, 32, 2, 2), TinyModels.llama(40, 32, 2, 4, 2))) {
            Transformer m = TinyModels.random(cfg, 11, 3);
            PatchBatch b = TinyModels.batch(4, 8, 40, 7, 2);
            EapGraph g = new EapGraph(cfg);
            CircuitRunner r = new CircuitRunner(m, g, b, CircuitRunner.Ablation.CORRUPT, Metric.Kind.LOGIT_DIFF);
            EapResult res = new EdgeAttribution(m).run(b, Metric.Kind.LOGIT_DIFF, 0, 3, org.tinysql.util.Progress.NONE);
            double eps = 1e-2;
            double worst = 0;
            double scale = 0;
            for (int[] e : res.ranked()) {
                Circuit c = g.full();
                c.remove(e[0], e[1]);
                double slope = (r.metric(c, eps) - r.metric(c, -eps)) / (2 * eps);
                worst = Math.max(worst, Math.abs(slope - res.scores()[e[0]][e[1]]));
                scale = Math.max(scale, Math.abs(slope));
            }
            assertTrue(worst < 2e-3 * scale + 1e-4, cfg + ": worst slope error " + worst + " of max " + scale);
        }
    }

    /**
     * Grouped runs: each group's scores and metrics are those of a separate run on its rows, and the scores of all rows
     * are the size-weighted mean of the groups' (to rounding: the minibatches differ), with one group equal to run().
     */
    @Test
    void groupsAreSeparateRunsOfTheirRows() {
        for (ModelConfig cfg : List.of(TinyModels.gpt(40, 32, 2, 2), TinyModels.llama(40, 32, 2, 4, 2))) {
            Transformer m = TinyModels.random(cfg, 11, 3);
            PatchBatch b = TinyModels.batch(7, 8, 40, 7, 2);
            EdgeAttribution eap = new EdgeAttribution(m);
            for (Metric.Kind kind : Metric.Kind.values()) {
                EdgeAttribution.Groups g = eap.runGroups(b, kind, 0, 3, 2, org.tinysql.util.Progress.NONE);
                assertEquals(3, g.groups().size());
                EapResult whole = eap.run(b, kind, 0, 2);
                double scale = 0;
                for (int[] e : whole.ranked()) {
                    scale = Math.max(scale, Math.abs(whole.scores()[e[0]][e[1]]));
                }
                assertTrue(scale > 0 || kind == Metric.Kind.KL, cfg + " " + kind + ": no signal");
                double tol = 1e-5 * scale + 1e-7; // KL: gradients at the clean run are 0 up to rounding
                for (int i = 0; i < 3; i++) {
                    int from = 3 * i;
                    int to = Math.min(b.size(), from + 3);
                    EapResult alone = eap.run(b.slice(from, to), kind, 0, 2);
                    EapResult group = g.groups().get(i);
                    assertEquals(to - from, group.examples());
                    assertEquals(alone.cleanMetric(), group.cleanMetric(), 1e-5 * Math.abs(alone.cleanMetric()) + 1e-6);
                    assertEquals(alone.corruptMetric(), group.corruptMetric(), 1e-5 * Math.abs(alone.corruptMetric()) + 1e-6);
                    for (int[] e : alone.ranked()) {
                        assertEquals(alone.scores()[e[0]][e[1]], group.scores()[e[0]][e[1]], tol, cfg + " " + kind + " group " + i);
                    }
                }
                for (int[] e : whole.ranked()) {
                    assertEquals(whole.scores()[e[0]][e[1]], g.all().scores()[e[0]][e[1]], tol, cfg + " " + kind);
                }
                assertEquals(whole.cleanMetric(), g.all().cleanMetric(), 1e-5 * Math.abs(whole.cleanMetric()) + 1e-6);
                EapResult one = eap.runGroups(b, kind, 0, b.size(), 2, org.tinysql.util.Progress.NONE).all();
                for (int[] e : whole.ranked()) {
                    assertEquals(whole.scores()[e[0]][e[1]], one.scores()[e[0]][e[1]], 0.0, "one group is run()");
                }
            }
        }
    }

    /** Over whole edges (not infinitesimal moves) EAP is an approximation; EAP-IG a closer one. */
    @Test
    void scoresApproximateExactEdgePatching() {
        Object[][] cases = {{TinyModels.gpt(40, 32, 2, 2), 1.0, 0.85, 0.97}, {TinyModels.llama(40, 32, 2, 4, 2), 2.0, 0.95, 0.97}};
        for (Object[] cs : cases) {
            ModelConfig cfg = (ModelConfig) cs[0];
            Transformer m = TinyModels.random(cfg, 11, (double) cs[1]);
            PatchBatch b = TinyModels.batch(6, 8, 40, 7, 2);
            EapGraph g = new EapGraph(cfg);
            CircuitRunner r = new CircuitRunner(m, g, b, CircuitRunner.Ablation.CORRUPT, Metric.Kind.LOGIT_DIFF);
            double clean = r.metric(g.full());
            for (int ig : new int[] {0, 5}) {
                EapResult res = new EdgeAttribution(m).run(b, Metric.Kind.LOGIT_DIFF, ig, 3, org.tinysql.util.Progress.NONE);
                List<int[]> edges = res.ranked();
                double[] est = new double[edges.size()];
                double[] exact = new double[edges.size()];
                for (int i = 0; i < edges.size(); i++) {
                    int[] e = edges.get(i);
                    Circuit c = g.full();
                    c.remove(e[0], e[1]);
                    exact[i] = r.metric(c) - clean;
                    est[i] = res.scores()[e[0]][e[1]];
                }
                double corr = TinyModels.correlation(est, exact);
                double min = ig == 0 ? (double) cs[2] : (double) cs[3];
                assertTrue(corr > min, cfg + " ig=" + ig + ": correlation " + corr);
            }
        }
    }

    @Test
    void topNGreedyAndPrune() {
        ModelConfig cfg = TinyModels.gpt(40, 32, 2, 2);
        Transformer m = TinyModels.random(cfg, 11, 4);
        PatchBatch b = TinyModels.batch(4, 8, 40, 7, 0);
        EapResult res = new EdgeAttribution(m).eap(b, Metric.Kind.LOGIT_DIFF, 4);
        EapGraph g = res.graph();
        assertEquals(10, res.topN(10).edgeCount());
        assertEquals(g.edgeCount(), res.topN(100000).edgeCount());
        for (int n : new int[] {1, 3, 6, 12, 25}) {
            Circuit greedy = res.greedy(n);
            assertEquals(n, greedy.edgeCount());
            // Every greedy edge's destination is connected to the logits (which the top-n edges need not be).
            assertTrue(everyEdgeReachesTheLogits(greedy), n + " greedy edges: " + greedy.edgeNames());
        }
        assertFalse(everyEdgeReachesTheLogits(res.topN(6)), "the check can fail: " + res.topN(6).edgeNames());
        // The first greedy edge is the strongest edge into the logits.
        int[] best = null;
        for (int[] e : res.ranked()) {
            if (g.dests().get(e[1]).node().equals("logits")) {
                best = e;
                break;
            }
        }
        assertEquals(java.util.Set.of(g.edgeName(best[0], best[1])), res.greedy(1).edgeNames());
        Circuit c = g.empty();
        c.add(g.source("a0.h0"), g.dest("a1.h1<q>"));  // a1.h1 reaches nothing: dangling
        c.add(g.source("input"), g.dest("logits"));
        assertEquals(1, c.prune());
        assertEquals(java.util.Set.of("input->logits"), c.edgeNames());
    }
}
