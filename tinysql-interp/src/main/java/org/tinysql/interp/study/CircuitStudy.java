package org.tinysql.interp.study;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.eap.Circuit;
import org.tinysql.interp.eap.CircuitDiscovery;
import org.tinysql.interp.eap.CircuitRunner;
import org.tinysql.interp.eap.EapGraph;
import org.tinysql.interp.eap.EapResult;
import org.tinysql.interp.eap.EdgeAttribution;
import org.tinysql.interp.eap.Faithfulness;
import org.tinysql.interp.eap.GraphExport;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.Progress;

/**
 * Analysis 2: the circuit of one model for one corruption kind. Edges are scored with EAP (and EAP-IG) on all the
 * kind's pairs; the circuit is the smallest top-n set (dangling edges pruned) whose faithfulness on the first batch of
 * pairs reaches the target, found by bisection on n (faithfulness grows with n in practice; the bisection assumes it). A faithfulness curve at
 * n = 0, 1, 2, 4, ... edges gives the area. The paper's stability rule keeps the edges that are among the top
 * {@code stableTop} of every batch of {@code pairsPerBatch} pairs, and the batches' top sets give the Jaccard index
 * across prompt batches. Kinds that leave the answer unchanged use the KL metric, the others the logit difference.
 */
public final class CircuitStudy {
    /** Pairs per EAP minibatch. */
    static final int EAP_MINIBATCH = 16;
    /** Nodes listed per circuit. */
    static final int TOP_NODES = 8;

    private CircuitStudy() {
    }

    /**
     * The circuit of one (model, kind, method).
     *
     * @param kind             the corruption kind, lower case with dashes
     * @param method           {@code EAP} or {@code EAP-IG(n)}
     * @param metric           the metric edges are scored on
     * @param pairs            the pairs scored
     * @param cleanMetric      the metric on clean prompts
     * @param corruptMetric    the metric on corrupt prompts
     * @param totalEdges       the edges of the model's graph
     * @param edgesForTarget   the circuit's size in edges after pruning (all edges when the target is not reached)
     * @param topN             the top-n that circuit was selected with
     * @param faithfulness     the circuit's faithfulness (on the first batch of pairs, as the curve)
     * @param curve            the faithfulness curve: {edges after pruning, faithfulness} per point
     * @param curveArea        the area under the curve (edges as a fraction of all)
     * @param edges            the circuit's edges, {@code src->dst}
     * @param nodes            the circuit's nodes
     * @param topNodes         the nodes with the largest total |score| over their outgoing edges
     * @param stableEdges      edges among the top {@code stableTop} of every batch (EAP only; empty for EAP-IG)
     * @param batches          batches compared for stability
     * @param batchJaccard     the mean pairwise edge Jaccard of the batches' top sets (NaN for fewer than 2 batches)
     * @param millis           time taken
     * @param skipped          why the kind was not studied (no qualifying pairs), else null
     */
    public record KindCircuit(String kind, String method, String metric, int pairs, double cleanMetric, double corruptMetric,
                              int totalEdges, int edgesForTarget, int topN, double faithfulness, List<double[]> curve,
                              double curveArea, List<String> edges, List<String> nodes, List<NodeScore> topNodes,
                              List<String> stableEdges, int batches, double batchJaccard, long millis, String skipped) {

        static KindCircuit skipped(CorruptionKind kind, String method, String why) {
            return new KindCircuit(name(kind), method, "", 0, Double.NaN, Double.NaN, 0, 0, 0, Double.NaN, List.of(), Double.NaN,
                    List.of(), List.of(), List.of(), List.of(), 0, Double.NaN, 0, why);
        }
    }

    /**
     * A node's total |EAP score| over its outgoing edges.
     *
     * @param node  the node name, e.g. {@code a1.h3} or {@code m0}
     * @param score the sum
     */
    public record NodeScore(String node, double score) {
    }

    /** @return the kind's name as the CLI spells it, e.g. {@code instruction-table} */
    static String name(CorruptionKind kind) {
        return kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /**
     * Studies one kind on one model with EAP and, when {@code o.igSteps() > 0}, EAP-IG.
     *
     * @param model    the model
     * @param tok      its tokenizer
     * @param m        the model's command set and variant
     * @param kind     the corruption kind (its command set at most the model's)
     * @param o        the study's sizes
     * @param progress advanced per minibatch and per faithfulness evaluation
     * @return one result per method, plus the circuit graph (SVG) of the EAP circuit
     */
    public static Outcome run(Transformer model, Tokenizer tok, StudyModel m, CorruptionKind kind, StudyOptions o, Progress progress) {
        try {
            return runKind(model, tok, m, kind, o, progress);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // e.g. a metric that does not tell clean from corrupt for this model: the kind is skipped, not the study
            return new Outcome(List.of(KindCircuit.skipped(kind, "EAP", e.getMessage())), null);
        }
    }

    private static Outcome runKind(Transformer model, Tokenizer tok, StudyModel m, CorruptionKind kind, StudyOptions o, Progress progress) {
        Metric.Kind metric = kind.changesAnswer() ? Metric.Kind.LOGIT_DIFF : Metric.Kind.KL;
        CircuitDiscovery.Options co = CircuitDiscovery.Options.builder(kind).commandSet(m.commandSet()).variant(m.variant())
                .pairs(o.pairs()).seed(o.seed()).metric(metric).batch(EAP_MINIBATCH).build();
        PatchBatch batch;
        try {
            batch = CircuitDiscovery.pairs(tok, co);
        } catch (IllegalArgumentException e) {
            return new Outcome(List.of(KindCircuit.skipped(kind, "EAP", e.getMessage())), null);
        }
        try (EdgeAttribution eap = new EdgeAttribution(model)) {
            return runMethods(model, m, kind, o, progress, metric, batch, eap);
        }
    }

    private static Outcome runMethods(Transformer model, StudyModel m, CorruptionKind kind, StudyOptions o, Progress progress,
                                      Metric.Kind metric, PatchBatch batch, EdgeAttribution eap) {
        List<KindCircuit> out = new ArrayList<>();
        String svg = null;
        for (int ig : o.igSteps() > 0 ? new int[] {0, o.igSteps()} : new int[] {0}) {
            long t0 = System.nanoTime();
            // EAP's run also gives each batch's scores for the stability rule (no second pass over the pairs)
            EdgeAttribution.Groups groups = ig == 0 ? eap.runGroups(batch, metric, 0, o.pairsPerBatch(), EAP_MINIBATCH, progress) : null;
            EapResult scores = groups != null ? groups.all() : eap.run(batch, metric, ig, EAP_MINIBATCH, progress);
            // Faithfulness on the first batch: each evaluation patches every edge outside the circuit, a forward pass per
            // pair, and the bisection and the curve need about 2 log2(edges) of them.
            PatchBatch first = batch.slice(0, Math.min(batch.size(), o.pairsPerBatch()));
            int total = scores.graph().edgeCount();
            int n;
            Circuit c;
            double f;
            Faithfulness.Curve curve;
            try (CircuitRunner runner = new CircuitRunner(model, scores.graph(), first, CircuitRunner.Ablation.CORRUPT, metric)) {
                curve = Faithfulness.curve(scores, runner, Faithfulness.Selection.TOP_N, logSizes(total), true, progress);
                Map<Integer, Double> known = new HashMap<>();
                for (Faithfulness.Point p : curve.points()) {
                    known.put(p.edges(), p.faithfulness());
                }
                n = smallestFaithful(scores, runner, o.faithfulnessTarget(), known, progress);
                c = Faithfulness.select(scores, Faithfulness.Selection.TOP_N, n, true);
                f = known.get(n);
            }
            List<double[]> points = curve.points().stream().map(p -> new double[] {p.edgesAfterPrune(), p.faithfulness()}).toList();
            List<String> stable = List.of();
            int batches = 0;
            double jaccard = Double.NaN;
            if (ig == 0) {
                Stability s = stability(groups, batch.size(), o);
                stable = s.stable;
                batches = s.batches;
                jaccard = s.jaccard;
                svg = GraphExport.toSvg(scores, c, String.format(java.util.Locale.ROOT, "%s, %s (%d edges, faithfulness %.2f)",
                        m.name(), name(kind), c.edgeCount(), f));
            }
            out.add(new KindCircuit(name(kind), scores.method(), metric.name().toLowerCase(java.util.Locale.ROOT), batch.size(),
                    scores.cleanMetric(), scores.corruptMetric(), total, c.edgeCount(), n, f, points, curve.area(),
                    List.copyOf(c.edgeNames()), List.copyOf(c.nodeNames()), topNodes(scores), stable, batches, jaccard,
                    (System.nanoTime() - t0) / 1_000_000, null));
        }
        return new Outcome(out, svg);
    }

    /**
     * The results of one kind, and the SVG graph of its EAP circuit (null when skipped).
     *
     * @param circuits one per method
     * @param svg      the EAP circuit's graph
     */
    public record Outcome(List<KindCircuit> circuits, String svg) {
    }

    /**
     * The progress steps of {@link #run} (at most; fewer when fewer pairs qualify): per method the EAP minibatches, the
     * bisection and the curve (EAP's minibatches also give the stability batches).
     *
     * @param cfg the model's configuration
     * @param o   the study's sizes
     * @return the number of {@code Progress.advance(1)} calls
     */
    public static long progressSteps(org.tinysql.model.ModelConfig cfg, StudyOptions o) {
        int edges = new EapGraph(cfg).edgeCount();
        int bisect = 32 - Integer.numberOfLeadingZeros(Math.max(1, edges - 1));
        long faithfulness = bisect + logSizes(edges).length;
        long eap = (long) o.pairBatches() * ((o.pairsPerBatch() + EAP_MINIBATCH - 1) / EAP_MINIBATCH); // minibatches within batches
        long eapIg = (o.pairs() + EAP_MINIBATCH - 1) / EAP_MINIBATCH;
        return eap + faithfulness + (o.igSteps() > 0 ? eapIg + faithfulness : 0);
    }

    /**
     * The smallest top-n whose pruned circuit reaches the target ({@code total} when none does): bisection between
     * the curve's first size that reaches it and the size before (faithfulness grows with n in practice; the bisection
     * assumes it). {@code known} holds the curve's faithfulness per size and gets every size evaluated here.
     */
    static int smallestFaithful(EapResult scores, CircuitRunner runner, double target, Map<Integer, Double> known, Progress progress) {
        int total = scores.graph().edgeCount();
        int lo = 1;
        int hi = total;
        for (int size : new TreeSet<>(known.keySet())) {
            if (known.get(size) >= target) {
                hi = Math.min(hi, size);
                break;
            }
            lo = Math.max(lo, size + 1);
        }
        if (hi == total && !(known.getOrDefault(total, Double.NaN) >= target)) {
            return total;
        }
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            double f = runner.faithfulness(Faithfulness.select(scores, Faithfulness.Selection.TOP_N, mid, true));
            known.put(mid, f);
            progress.advance(1);
            if (f >= target) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        known.computeIfAbsent(lo, size -> runner.faithfulness(Faithfulness.select(scores, Faithfulness.Selection.TOP_N, size, true)));
        return lo;
    }

    /** 0, 1, 2, 4, ... edges, and all of them. */
    static int[] logSizes(int total) {
        Set<Integer> s = new TreeSet<>();
        s.add(0);
        for (long n = 1; n < total; n *= 2) {
            s.add((int) n);
        }
        s.add(total);
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    private record Stability(List<String> stable, int batches, double jaccard) {
    }

    /**
     * The paper's rule: edges in the top-k of every full batch of {@code pairsPerBatch} pairs (a shorter last batch is
     * left out); and the mean pairwise Jaccard of the batches' top-k sets.
     */
    private static Stability stability(EdgeAttribution.Groups groups, int pairCount, StudyOptions o) {
        int batches = Math.min(o.pairBatches(), pairCount / o.pairsPerBatch());
        if (batches < 1) {
            return new Stability(List.of(), 0, Double.NaN);
        }
        List<Set<String>> tops = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            tops.add(groups.groups().get(b).topN(o.stableTop()).edgeNames());
        }
        Set<String> stable = new LinkedHashSet<>(tops.get(0));
        tops.forEach(stable::retainAll);
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < tops.size(); i++) {
            for (int j = i + 1; j < tops.size(); j++) {
                sum += Circuit.jaccard(tops.get(i), tops.get(j));
                pairs++;
            }
        }
        return new Stability(List.copyOf(stable), batches, pairs == 0 ? Double.NaN : sum / pairs);
    }

    private static List<NodeScore> topNodes(EapResult scores) {
        EapGraph g = scores.graph();
        List<NodeScore> all = new ArrayList<>();
        for (int u = 0; u < g.sources().size(); u++) {
            double sum = 0;
            for (int v = 0; v < g.dests().size(); v++) {
                if (g.valid(u, v)) {
                    sum += Math.abs(scores.scores()[u][v]);
                }
            }
            all.add(new NodeScore(g.sources().get(u).name(), sum));
        }
        all.sort(Comparator.comparingDouble((NodeScore s) -> -s.score()));
        return List.copyOf(all.subList(0, Math.min(TOP_NODES, all.size())));
    }
}
