package org.tinysql.interp.eap;

import java.util.List;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
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
import org.tinysql.tensor.ArrayPool;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.Kernels;
import org.tinysql.util.Progress;

/**
 * Edge attribution patching. The score of edge u -> v is the sum over batch rows, positions and d_model of
 * (corrupt - clean activation of u) x d(metric)/d(input of v), a first-order estimate of how much the metric moves
 * when that one edge carries the corrupt activation. Plain EAP costs one corrupt forward and one clean forward and
 * backward (the backward skips every parameter gradient). EAP-IG averages the input gradients over {@code m} runs
 * whose input embeddings are interpolated from corrupt (0) to clean (1) in steps k/m, k = 1..m.
 *
 * <p>Destination gradients: a head's q/k/v input gradient is the ln1 backward of dq_h W_Q,h (taken from the
 * attn.hook_q/k/v gradients, before RoPE); an MLP's input gradient is the ln2 backward of the ln2.hook_normalized
 * gradient; the logits' input gradient is the gradient at the last hook_resid_post.
 */
public final class EdgeAttribution implements AutoCloseable {
    /**
     * The most bytes of work arrays kept between batches: a head-level EAP batch at bm1's size (1024 rows, d=1024, 16
     * heads) uses about 450 MB of them.
     */
    static final long POOL_BYTES = 1L << 30;

    private final ModelView mv;
    private final EapGraph graph;
    /**
     * The work arrays of every batch (source activations, their differences, destination gradients), handed back after
     * each and taken again by the next: allocating and zeroing them afresh (with the page faults of new memory) took
     * about a sixth of a batch at bm1.
     */
    private final ArrayPool pool;

    /**
     * Edge attribution over the {@link EapGraph} of a model.
     *
     * @param model the model
     */
    public EdgeAttribution(Transformer model) {
        this.mv = new ModelView(model);
        this.graph = new EapGraph(model.config());
        this.pool = new ArrayPool(mv.kernels(), POOL_BYTES);
    }

    /** Frees the work arrays kept for the next batches (up to {@value #POOL_BYTES} bytes off-heap); usable afterwards. */
    @Override
    public void close() {
        pool.clear();
    }

    /**
     * The graph whose edges are scored.
     *
     * @return the graph of the model's shape
     */
    public EapGraph graph() {
        return graph;
    }

    /**
     * The view of the model used for the runs.
     *
     * @return the model view
     */
    public ModelView view() {
        return mv;
    }

    /**
     * Plain EAP over all rows of {@code batch}, in minibatches of {@code batchSize}.
     *
     * @param batch     the clean/corrupt pairs
     * @param metric    the metric whose change is estimated
     * @param batchSize rows per minibatch, at least 1
     * @return the edge scores
     */
    public EapResult eap(PatchBatch batch, Metric.Kind metric, int batchSize) {
        return run(batch, metric, 0, batchSize, Progress.NONE);
    }

    /**
     * EAP ({@code igSteps} = 0) or EAP-IG with {@code igSteps} interpolation steps, summed over minibatches of
     * {@code batchSize} rows. Metric values in the result are means over all rows.
     *
     * @param batch     the clean/corrupt pairs
     * @param metric    the metric whose change is estimated
     * @param igSteps   0 for EAP, else the number m of interpolation steps
     * @param batchSize rows per minibatch, at least 1
     * @param progress  advanced by one per minibatch
     * @return the edge scores, NaN where there is no edge
     * @throws IllegalArgumentException if {@code igSteps} is negative or {@code batchSize} below 1
     */
    public EapResult run(PatchBatch batch, Metric.Kind metric, int igSteps, int batchSize, Progress progress) {
        return runGroups(batch, metric, igSteps, Math.max(1, batch.size()), batchSize, progress).all();
    }

    /**
     * The scores of all rows and of each group of {@code groupSize} consecutive rows.
     *
     * @param all    the scores over every row of the batch
     * @param groups the scores over rows [i groupSize, (i + 1) groupSize) per group i; the last one shorter when the
     *               batch size is not a multiple of the group size
     */
    public record Groups(EapResult all, List<EapResult> groups) {
    }

    /**
     * As {@link #run(PatchBatch, Metric.Kind, int, int, Progress)}, and from the same forward and backward passes the
     * scores of each group of {@code groupSize} consecutive rows (e.g. the paper's batches of 30 pairs, whose top edges
     * it compares for stability): minibatches never straddle two groups, each group's scores are the mean over its
     * rows, and the scores of all rows are the groups' means weighted by their sizes. Costs what {@code run} costs.
     *
     * @param batch     the clean/corrupt pairs
     * @param metric    the metric whose change is estimated
     * @param igSteps   0 for EAP, else the number m of interpolation steps
     * @param groupSize rows per group, at least 1
     * @param batchSize rows per minibatch, at least 1
     * @param progress  advanced by one per minibatch
     * @return the scores of all rows and per group
     * @throws IllegalArgumentException if {@code igSteps} is negative or {@code groupSize} or {@code batchSize} below 1
     */
    public Groups runGroups(PatchBatch batch, Metric.Kind metric, int igSteps, int groupSize, int batchSize, Progress progress) {
        if (igSteps < 0) {
            throw new IllegalArgumentException("igSteps must be >= 0, got " + igSteps);
        }
        if (batchSize < 1 || groupSize < 1) {
            throw new IllegalArgumentException("batchSize and groupSize must be >= 1, got " + batchSize + " and " + groupSize);
        }
        int nS = graph.sources().size();
        int nD = graph.dests().size();
        double[][] scores = new double[nS][nD];
        double clean = 0;
        double corrupt = 0;
        int total = batch.size();
        String method = igSteps > 0 ? "EAP-IG(" + igSteps + ")" : "EAP";
        List<EapResult> groups = new java.util.ArrayList<>();
        for (int g0 = 0; g0 < total; g0 += groupSize) {
            int g1 = Math.min(total, g0 + groupSize);
            double[][] group = new double[nS][nD];
            double gClean = 0;
            double gCorrupt = 0;
            for (int from = g0; from < g1; from += batchSize) {
                PatchBatch b = batch.slice(from, Math.min(g1, from + batchSize));
                double w = b.size() / (double) (g1 - g0);
                double[] m = minibatch(b, metric, igSteps, w, group);
                gClean += m[0] * w;
                gCorrupt += m[1] * w;
                progress.advance(1);
            }
            double w = (g1 - g0) / (double) total;
            for (int u = 0; u < nS; u++) {
                for (int v = 0; v < nD; v++) {
                    scores[u][v] += w * group[u][v];
                }
            }
            clean += w * gClean;
            corrupt += w * gCorrupt;
            maskInvalid(group);
            groups.add(new EapResult(graph, group, metric, method, g1 - g0, gClean, gCorrupt));
        }
        maskInvalid(scores);
        return new Groups(new EapResult(graph, scores, metric, method, total, clean, corrupt), List.copyOf(groups));
    }

    /** NaN where the graph has no edge. */
    private void maskInvalid(double[][] scores) {
        for (int u = 0; u < scores.length; u++) {
            for (int v = 0; v < scores[u].length; v++) {
                if (!graph.valid(u, v)) {
                    scores[u][v] = Double.NaN;
                }
            }
        }
    }

    /**
     * As the method with a {@code Progress} argument, without progress reporting.
     *
     * @param batch     the clean/corrupt pairs
     * @param metric    the metric whose change is estimated
     * @param igSteps   0 for EAP, else the number m of interpolation steps
     * @param batchSize rows per minibatch, at least 1
     * @return the edge scores, NaN where there is no edge
     * @throws IllegalArgumentException if {@code igSteps} is negative or {@code batchSize} below 1
     */
    public EapResult run(PatchBatch batch, Metric.Kind metric, int igSteps, int batchSize) {
        return run(batch, metric, igSteps, batchSize, Progress.NONE);
    }

    /** Adds weight x scores of one minibatch; returns {clean metric, corrupt metric}. */
    private double[] minibatch(PatchBatch b, Metric.Kind kind, int igSteps, double weight, double[][] scores) {
        Kernels k = mv.kernels();
        try (SourceActivations corr = SourceActivations.record(mv, pool, b.corrupt(), b, null);
             SourceActivations cleanRun = igSteps > 0 ? SourceActivations.record(mv, pool, b.clean(), b, null) : null;
             Arena arena = new Arena(pool)) {
            int n = corr.n;
            int c = mv.dModel();
            INDArray deltas = arena.carve(graph.sources().size(), (long) n * c); // every row written by fillDeltas
            INDArray inputStep = null;
            if (igSteps > 0) { // clean - corrupt input embedding: step k of EAP-IG runs on corrupt + (k/m) of it
                inputStep = arena.zeros(n, c);
                k.sub(cleanRun.input, corr.input, inputStep);
            }
            double[] out = new double[2];
            int steps = Math.max(1, igSteps);
            for (int s = 1; s <= steps; s++) {
                Consumer<INDArray> edit = null;
                if (igSteps > 0) {
                    float alpha = s / (float) steps;
                    INDArray step = inputStep;
                    edit = x -> k.addScaled(corr.input, alpha, step, x);
                }
                try (GradRun g = gradRun(b, kind, edit, cleanRun != null ? cleanRun.answerLogits : null)) {
                    SourceActivations clean = cleanRun != null ? cleanRun : g.acts;
                    if (s == 1) {
                        fillDeltas(deltas, corr, clean);
                        Metric metric = Metric.of(kind, clean.answerLogits);
                        out[0] = metric.value(clean.answerLogits, b);
                        out[1] = metric.value(corr.answerLogits, b);
                    }
                    accumulate(deltas, g, weight / steps, scores);
                }
            }
            return out;
        }
    }

    /** deltas[u] = corrupt - clean activation of source u, as a [N*C] row. */
    private void fillDeltas(INDArray deltas, SourceActivations corr, SourceActivations clean) {
        List<EapGraph.Source> srcs = graph.sources();
        try (Arena tmp = new Arena(pool)) {
            INDArray a = tmp.zeros(corr.n, mv.dModel());
            INDArray b = tmp.zeros(corr.n, mv.dModel());
            for (int u = 0; u < srcs.size(); u++) {
                EapGraph.Source s = srcs.get(u);
                mv.kernels().sub(corr.source(mv, s, a), clean.source(mv, s, b), deltas.getRow(u));
            }
        }
    }

    /** The activations and destination-input gradients ([N, ...] arrays owned by {@code acts}) of one forward + backward. */
    private static final class GradRun implements AutoCloseable {
        SourceActivations acts;
        INDArray[] dq;
        INDArray[] dk;
        INDArray[] dv;
        INDArray[] dLn2;
        INDArray dFinal;

        @Override
        public void close() {
            acts.close();
        }
    }

    private GradRun gradRun(PatchBatch b, Metric.Kind kind, Consumer<INDArray> inputEdit, float[][] cleanLogits) {
        int L = mv.layers();
        GradRun g = new GradRun();
        g.dq = new INDArray[L];
        g.dk = new INDArray[L];
        g.dv = new INDArray[L];
        g.dLn2 = new INDArray[L];
        g.acts = new SourceActivations(mv.kernels(), pool, L, b.size() * b.length());
        SourceActivations acts = g.acts;
        RunSpec spec = SourceActivations.spec(acts, L, b.clean(), b, inputEdit);
        for (int l = 0; l < L; l++) {
            int li = l;
            spec.editGrad(HookName.q(l), (a, nm) -> keep(acts, g.dq, li, a));
            spec.editGrad(HookName.k(l), (a, nm) -> keep(acts, g.dk, li, a));
            spec.editGrad(HookName.v(l), (a, nm) -> keep(acts, g.dv, li, a));
            spec.editGrad(HookName.normalized(l, "ln2"), (a, nm) -> keep(acts, g.dLn2, li, a));
        }
        INDArray[] dFinal = new INDArray[1];
        spec.editGrad(HookName.residPost(L - 1), (a, nm) -> keep(acts, dFinal, 0, a));
        try (ActivationCache c = mv.model().run(spec); Arena tmp = new Arena(pool)) {
            acts.answerLogits = Metric.answerLogits(c, b);
            float[][] ref = cleanLogits != null ? cleanLogits : acts.answerLogits;
            Metric metric = Metric.of(kind, ref);
            Metric.backward(c, metric.gradient(acts.answerLogits, b), b, tmp);
        }
        g.dFinal = dFinal[0];
        return g;
    }

    /** Keeps a copy of a gradient (a backward hook that does not edit it). */
    private static INDArray keep(SourceActivations owner, INDArray[] into, int i, INDArray grad) {
        into[i] = owner.keep(grad);
        return null;
    }

    /**
     * scores[u][v] += w * deltas[u] . grad(v), one GEMM per destination layer (only the [sources, dests of the layer]
     * product is read back). Each layer's norm statistics are computed once; destination gradients are written
     * straight into the GEMM operand.
     */
    private void accumulate(INDArray deltas, GradRun g, double w, double[][] scores) {
        Kernels k = mv.kernels();
        List<EapGraph.Dest> dests = graph.dests();
        int n = g.acts.n;
        int c = mv.dModel();
        int len = n * c;
        int v0 = 0;
        while (v0 < dests.size()) {
            int layer = dests.get(v0).layer();
            int v1 = v0;
            while (v1 < dests.size() && dests.get(v1).layer() == layer) {
                v1++;
            }
            try (Arena tmp = new Arena(pool)) {
                INDArray grads;
                if (layer == mv.layers()) {
                    grads = g.dFinal.reshape('c', 1, len);
                } else {
                    grads = tmp.zeros(v1 - v0, len);
                    INDArray dh = tmp.zeros(n, mv.config().headDim());
                    INDArray dln = tmp.zeros(n, c);
                    try (ModelView.NormInput ln1 = mv.normInput(ModelOps.blockNorm(layer, "ln1"), g.acts.residPre[layer]);
                         ModelView.NormInput ln2 = mv.normInput(ModelOps.blockNorm(layer, "ln2"), g.acts.residMid[layer])) {
                        for (int v = v0; v < v1; v++) {
                            EapGraph.Dest d = dests.get(v);
                            INDArray row = grads.getRow(v - v0).reshape('c', n, c);
                            if (d.kind() == EapGraph.Kind.HEAD) {
                                INDArray act = d.qkv() == Qkv.Q ? g.dq[layer] : d.qkv() == Qkv.K ? g.dk[layer] : g.dv[layer];
                                k.zero(dln);
                                mv.projectionBackward(layer, d.qkv(), d.head(), act, dh, dln);
                                mv.normBackward(ln1, dln, row);
                            } else {
                                mv.normBackward(ln2, g.dLn2[layer], row);
                            }
                        }
                    }
                }
                INDArray s = tmp.zeros(deltas.rows(), v1 - v0);
                k.gemm(deltas, grads, s, false, true, 1f, 0f);
                float[] sv = Buffers.toFloats(s);
                for (int u = 0; u < deltas.rows(); u++) {
                    for (int v = v0; v < v1; v++) {
                        scores[u][v] += w * sv[u * (v1 - v0) + (v - v0)];
                    }
                }
            }
            v0 = v1;
        }
    }
}
