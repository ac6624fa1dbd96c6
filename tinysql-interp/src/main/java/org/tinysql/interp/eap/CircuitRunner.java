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
import org.tinysql.tensor.Arena;
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
    /** Each source's ablated value [N, C] (arrays of the model's backend). */
    private final INDArray[] ablated;
    private final Metric metric;
    private final double cleanMetric;
    private final double emptyMetric;

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
            for (int u = 0; u < srcs.size(); u++) {
                ablated[u] = k.zeros(n, c);
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
        for (INDArray a : ablated) {
            if (a != null && a.closeable()) {
                a.close();
            }
        }
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
        return metric(c, 1.0);
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
        if (cr.graph() != graph) {
            throw new IllegalArgumentException("the circuit belongs to another graph");
        }
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
            RunSpec spec = SourceActivations.spec(run, L, batch.clean(), batch, null);
            for (int l = 0; l < L; l++) {
                int li = l;
                for (Qkv w : Qkv.values()) {
                    spec.edit(HookName.qkv(li, w.letter), (a, nm) -> {
                        patchHeads(a, li, w, cr, run.residPre[li], cur, n, strength);
                        return null;
                    });
                }
                spec.edit(HookName.normalized(li, "ln2"), (a, nm) -> {
                    renorm(ModelOps.blockNorm(li, "ln2"), a, run.residMid[li], graph.dest("m" + li), cr, cur, strength);
                    return null;
                });
            }
            spec.edit(HookName.LN_FINAL_NORMALIZED, (a, nm) -> {
                renorm("ln_final", a, run.residFinal, graph.dest("logits"), cr, cur, strength);
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

    /** normalized [B,T,C] = norm(x + delta) when destination v misses an edge (else left as it is). */
    private void renorm(String norm, INDArray normalized, INDArray x, int v, Circuit cr, SourceGetter cur, double strength) {
        try (Arena tmp = new Arena(k)) {
            INDArray d = delta(v, cr, cur, strength, tmp);
            if (d != null) {
                k.add(x, d, d);
                mv.norm(norm, d, normalized.reshape('c', x.size(0), x.size(1)));
            }
        }
    }

    private void patchHeads(INDArray act, int layer, Qkv w, Circuit cr, INDArray x, SourceGetter cur, int n, double strength) {
        int nh = w == Qkv.Q ? mv.heads() : mv.kvHeads();
        int d = mv.config().headDim();
        INDArray all = act.reshape('c', n, (long) nh * d);
        try (Arena tmp = new Arena(k)) {
            INDArray ln = tmp.zeros(n, mv.dModel());
            INDArray proj = tmp.zeros(n, d);
            for (int h = 0; h < nh; h++) {
                INDArray delta = delta(graph.dest(HeadName.input(layer, h, w.letter)), cr, cur, strength, tmp);
                if (delta == null) {
                    continue;
                }
                k.add(x, delta, delta);
                mv.norm(ModelOps.blockNorm(layer, "ln1"), delta, ln);
                mv.project(layer, w, h, ln, proj);
                k.copyColumns(proj, 0, all, h * d, d, false);
            }
        }
    }

    /**
     * Sum over the sources whose edge into v is missing of strength * (ablated - current), an [N, C] array owned by
     * {@code arena}; null when nothing is missing.
     */
    private INDArray delta(int v, Circuit cr, SourceGetter cur, double strength, Arena arena) {
        float s = (float) strength;
        INDArray d = null;
        INDArray diff = null;
        for (int u = 0; u < graph.sources().size(); u++) {
            if (!graph.valid(u, v) || cr.contains(u, v)) {
                continue;
            }
            if (d == null) {
                d = arena.zeros(ablated[u].shape());
                diff = arena.zeros(ablated[u].shape());
            }
            k.sub(ablated[u], cur.get(u), diff);
            k.addScaled(d, s, diff, d);
        }
        return d;
    }
}
