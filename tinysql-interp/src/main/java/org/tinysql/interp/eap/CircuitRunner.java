package org.tinysql.interp.eap;

import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.interp.HeadName;
import org.tinysql.interp.Metric;
import org.tinysql.interp.ModelView;
import org.tinysql.interp.ModelView.Qkv;
import org.tinysql.interp.PatchBatch;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.HookName;
import org.tinysql.model.ModelOps;
import org.tinysql.model.RunSpec;
import org.tinysql.model.Transformer;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.Kernels;

/**
 * Runs the clean prompts with every edge outside a circuit ablated: each destination reads the residual stream it
 * would read in this run, plus, for every source u whose edge into it is not in the circuit, (ablated value of u -
 * u's activation in this run). Ablated values are u's activation on the corrupt prompts (patching), u's mean over
 * the clean batch's real tokens (mean ablation) or zero (zero ablation). With every edge in the circuit the run is
 * the clean run; with none (and corrupt ablation) it reproduces the corrupt run.
 */
public final class CircuitRunner implements AutoCloseable {

    /** What an edge outside the circuit carries. */
    public enum Ablation {
        /** The source's activation on the corrupt prompts (activation patching). */
        CORRUPT,
        /** The source's mean activation over the clean batch's real tokens. */
        MEAN,
        /** Zero. */
        ZERO;

        /**
         * Parses {@code corrupt}, {@code mean} or {@code zero}, any case.
         *
         * @param s the name
         * @return the ablation
         * @throws IllegalArgumentException if {@code s} names none
         */
        public static Ablation parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown ablation '" + s + "'; expected corrupt, mean or zero");
            }
        }
    }

    private final ModelView mv;
    private final Kernels k;
    private final EapGraph graph;
    private final PatchBatch batch;
    private final Ablation ablation;
    /** Each source's ablated value [N, C]: row blocks of {@link #ablatedAll} [S*N, C] (the model's backend). */
    private final INDArray[] ablated;
    private final INDArray ablatedAll;
    /**
     * Scratch of a run: each source's ablated - current value [S*N, C] (rows filled when first needed in a run), the
     * deltas of a group of destinations [G*N, C], their weights [G*S] (read as [G, S']), a normalized input [N, C] and a head's
     * projection [N, D]. Allocated once: runs evaluate many circuits.
     */
    private final INDArray diffAll;
    private final INDArray deltaAll;
    private final INDArray weights;
    private final INDArray lnScratch;
    private final INDArray projScratch;
    private final Metric metric;
    private final double cleanMetric;
    private final double emptyMetric;
    /**
     * The metric of every circuit already run with full ablation, by edge set: a faithfulness curve and the bisection
     * after it ask for the same pruned circuit several times (all the small sizes whose edges prune away are the
     * empty circuit, run once for {@link #emptyMetric}), and a run is deterministic.
     */
    private final java.util.Map<java.util.BitSet, Double> known = new java.util.HashMap<>();

    /**
     * Prepares the ablated source values for {@code batch} (one corrupt and one clean forward) and the metric.
     *
     * @param model      the model
     * @param graph      the graph circuits are made of; it must be the model's shape
     * @param batch      the clean/corrupt pairs; the clean prompts are run
     * @param ablation   what edges outside a circuit carry
     * @param metricKind the metric measured
     */
    public CircuitRunner(Transformer model, EapGraph graph, PatchBatch batch, Ablation ablation, Metric.Kind metricKind) {
        this.mv = new ModelView(model);
        this.k = mv.kernels();
        this.graph = graph;
        this.batch = batch;
        this.ablation = ablation;
        List<EapGraph.Source> srcs = graph.sources();
        ablated = new INDArray[srcs.size()];
        try (SourceActivations clean = SourceActivations.record(mv, batch.clean(), batch, null);
             SourceActivations corr = ablation == Ablation.CORRUPT ? SourceActivations.record(mv, batch.corrupt(), batch, null) : null) {
            this.metric = Metric.of(metricKind, clean.answerLogits);
            int n = clean.n;
            int c = mv.dModel();
            INDArray scratch = clean.scratch(n, c);
            INDArray mean = clean.scratch(1, c);
            int[] real = batch.realRows();
            ablatedAll = k.zeros((long) srcs.size() * n, c);
            diffAll = k.zeros((long) srcs.size() * n, c);
            int group = Math.max(1, Math.max(mv.heads(), mv.kvHeads()));
            deltaAll = k.zeros((long) group * n, c);
            weights = k.zeros((long) group * srcs.size(), 1);
            lnScratch = k.zeros(n, c);
            projScratch = k.zeros(n, mv.config().headDim());
            for (int u = 0; u < srcs.size(); u++) {
                ablated[u] = rows(ablatedAll, u, n);
                if (ablation == Ablation.CORRUPT) {
                    k.copy(corr.source(mv, srcs.get(u), scratch), ablated[u]);
                } else if (ablation == Ablation.MEAN) {
                    k.meanRows(clean.source(mv, srcs.get(u), scratch), real, mean);
                    k.gatherRows(mean, new int[n], ablated[u]);
                }
            }
            this.cleanMetric = metric.value(clean.answerLogits, batch);
        }
        this.emptyMetric = metric(graph.empty());
    }

    /** Frees the ablated source values now (they are off-heap: otherwise held until a garbage collection). */
    @Override
    public void close() {
        for (INDArray a : new INDArray[] {ablatedAll, diffAll, deltaAll, weights, lnScratch, projScratch}) {
            if (a.closeable()) {
                a.close();
            }
        }
    }

    /** Row block i [n, C] of a [G*n, C] array, as a view. */
    private static INDArray rows(INDArray all, int i, int n) {
        return all.get(NDArrayIndex.interval((long) i * n, (long) (i + 1) * n), NDArrayIndex.all());
    }

    /**
     * The metric of the clean run (every edge present).
     *
     * @return its value
     */
    public double cleanMetric() {
        return cleanMetric;
    }

    /**
     * The metric with every edge ablated.
     *
     * @return its value
     */
    public double emptyMetric() {
        return emptyMetric;
    }

    /**
     * What edges outside a circuit carry.
     *
     * @return the ablation given at construction
     */
    public Ablation ablation() {
        return ablation;
    }

    private void checkGraph(Circuit c) {
        if (c.graph() != graph) {
            throw new IllegalArgumentException("the circuit belongs to another graph");
        }
    }

    /**
     * (metric(circuit) - metric(empty)) / (metric(clean) - metric(empty)): 1 for the full circuit, 0 for none.
     *
     * @param c a circuit of this runner's graph
     * @return the faithfulness; may lie outside [0, 1]
     * @throws IllegalArgumentException if the clean and empty metrics are (nearly) equal
     */
    public double faithfulness(Circuit c) {
        double span = cleanMetric - emptyMetric;
        if (Math.abs(span) < 1e-9) {
            throw new IllegalArgumentException("clean and fully ablated runs have the same metric (" + cleanMetric
                    + "): faithfulness is undefined for this batch");
        }
        return (metric(c) - emptyMetric) / span;
    }

    /**
     * The metric of the clean prompts run with the edges outside {@code c} ablated.
     *
     * @param c a circuit of this runner's graph
     * @return the metric, a mean over the batch rows
     */
    public double metric(Circuit c) {
        checkGraph(c);
        java.util.BitSet key = c.bits();
        Double m = known.get(key);
        if (m == null) {
            m = metric(c, 1.0);
            known.put(key, m);
        }
        return m;
    }

    /**
     * As {@link #metric(Circuit)} with the edges outside {@code c} moved only {@code strength} of the way from their
     * current to their ablated value (1 = ablated; small values measure the metric's local slope).
     *
     * @param cr       a circuit of this runner's graph
     * @param strength how far ablated edges move, 0 (not at all) to 1 (fully)
     * @return the metric, a mean over the batch rows
     * @throws IllegalArgumentException if the circuit belongs to another graph
     */
    public double metric(Circuit cr, double strength) {
        checkGraph(cr);
        Transformer m = mv.model();
        int L = mv.layers();
        int n = batch.size() * batch.length();
        int c = mv.dModel();
        List<EapGraph.Source> srcs = graph.sources();
        try (SourceActivations run = new SourceActivations(k, L, n)) {
            // Activations of this run, copied as the forward reaches them; head outputs computed when first needed.
            INDArray[] current = new INDArray[srcs.size()];
            SourceGetter cur = u -> {
                if (current[u] == null) {
                    EapGraph.Source src = srcs.get(u);
                    current[u] = run.source(mv, src, src.kind() == EapGraph.Kind.HEAD ? run.scratch(n, c) : null);
                }
                return current[u];
            };
            boolean[] ready = new boolean[srcs.size()];
            Diffs diffs = u -> {
                if (!ready[u]) {
                    k.sub(ablated[u], cur.get(u), rows(diffAll, u, n));
                    ready[u] = true;
                }
            };
            RunSpec spec = SourceActivations.spec(run, L, batch.clean(), batch, null);
            for (int l = 0; l < L; l++) {
                int li = l;
                for (Qkv w : Qkv.values()) {
                    spec.edit(HookName.qkv(li, w.letter), (a, nm) -> {
                        patchHeads(a, li, w, cr, run.residPre[li], diffs, n, strength);
                        return null;
                    });
                }
                spec.edit(HookName.normalized(li, "ln2"), (a, nm) -> {
                    renorm(ModelOps.blockNorm(li, "ln2"), a, run.residMid[li], graph.dest("m" + li), cr, diffs, n, strength);
                    return null;
                });
            }
            spec.edit(HookName.LN_FINAL_NORMALIZED, (a, nm) -> {
                renorm("ln_final", a, run.residFinal, graph.dest("logits"), cr, diffs, n, strength);
                return null;
            });
            try (ActivationCache result = m.run(spec)) {
                return metric.value(Metric.answerLogits(result, batch), batch);
            }
        }
    }

    @FunctionalInterface
    private interface SourceGetter {
        INDArray get(int u);
    }

    /** Fills source u's row block of {@link #diffAll} (ablated - current) if this run has not yet. */
    @FunctionalInterface
    private interface Diffs {
        void ensure(int u);
    }

    /** normalized [B,T,C] = norm(x + delta) when destination v misses an edge (else left as it is). */
    private void renorm(String norm, INDArray normalized, INDArray x, int v, Circuit cr, Diffs diffs, int n, double strength) {
        INDArray d = deltas(new int[] {v}, cr, diffs, n, strength)[0];
        if (d != null) {
            k.add(x, d, d);
            mv.norm(norm, d, normalized.reshape('c', x.size(0), x.size(1)));
        }
    }

    private void patchHeads(INDArray act, int layer, Qkv w, Circuit cr, INDArray x, Diffs diffs, int n, double strength) {
        int nh = w == Qkv.Q ? mv.heads() : mv.kvHeads();
        int d = mv.config().headDim();
        INDArray all = act.reshape('c', n, (long) nh * d);
        int[] dests = new int[nh];
        for (int h = 0; h < nh; h++) {
            dests[h] = graph.dest(HeadName.input(layer, h, w.letter));
        }
        INDArray[] deltas = deltas(dests, cr, diffs, n, strength);
        for (int h = 0; h < nh; h++) {
            if (deltas[h] == null) {
                continue;
            }
            k.add(x, deltas[h], deltas[h]);
            mv.norm(ModelOps.blockNorm(layer, "ln1"), deltas[h], lnScratch);
            mv.project(layer, w, h, lnScratch, projScratch);
            k.copyColumns(projScratch, 0, all, h * d, d, false);
        }
    }

    /**
     * For each destination v of {@code dests}: strength * the sum over the sources whose edge into v is missing of
     * (ablated - current), an [N, C] view into {@link #deltaAll} (valid until the next call), or null when nothing
     * is missing. One GEMM for the group: [G, S'] weights times the sources' differences [S', N*C].
     */
    private INDArray[] deltas(int[] dests, Circuit cr, Diffs diffs, int n, double strength) {
        int sources = graph.sources().size();
        float[] wt = new float[dests.length * sources];
        boolean[] missing = new boolean[dests.length];
        int used = 0; // sources [0, used) take part; none when nothing is missing
        for (int i = 0; i < dests.length; i++) {
            for (int u = 0; u < sources; u++) {
                if (graph.valid(u, dests[i]) && !cr.contains(u, dests[i])) {
                    diffs.ensure(u);
                    wt[i * sources + u] = (float) strength;
                    used = Math.max(used, u + 1);
                    missing[i] = true;
                }
            }
        }
        INDArray[] out = new INDArray[dests.length];
        if (used == 0) {
            return out;
        }
        // Rows of sources not needed in this run hold an earlier run's (finite) differences: their weights are 0.
        float[] w = new float[dests.length * used];
        for (int i = 0; i < dests.length; i++) {
            System.arraycopy(wt, i * sources, w, i * used, used);
        }
        INDArray wd = rows(weights, 0, w.length).reshape('c', dests.length, used);
        Buffers.fb(wd).put(0, w);
        INDArray dv = rows(deltaAll, 0, dests.length * n).reshape('c', dests.length, (long) n * mv.dModel());
        k.gemm(wd, rows(diffAll, 0, used * n).reshape('c', used, (long) n * mv.dModel()), dv, false, false, 1f, 0f);
        for (int i = 0; i < dests.length; i++) {
            if (missing[i]) {
                out[i] = rows(deltaAll, i, n);
            }
        }
        return out;
    }
}
