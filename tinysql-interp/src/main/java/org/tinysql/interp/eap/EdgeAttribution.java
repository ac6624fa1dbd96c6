package org.tinysql.interp.eap;

import java.util.List;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tinysql.interp.Metric;
import org.tinysql.interp.ModelView;
import org.tinysql.interp.ModelView.Qkv;
import org.tinysql.interp.PatchBatch;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.HookName;
import org.tinysql.model.ModelOps;
import org.tinysql.model.RunSpec;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Blas;
import org.tinysql.tensor.Buffers;
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
public final class EdgeAttribution {
    private final ModelView mv;
    private final EapGraph graph;

    public EdgeAttribution(Transformer model) {
        this.mv = new ModelView(model);
        this.graph = new EapGraph(model.config());
    }

    public EapGraph graph() {
        return graph;
    }

    public ModelView view() {
        return mv;
    }

    /** Plain EAP over all rows of {@code batch}, in minibatches of {@code batchSize}. */
    public EapResult eap(PatchBatch batch, Metric.Kind metric, int batchSize) {
        return run(batch, metric, 0, batchSize, Progress.NONE);
    }

    /**
     * EAP ({@code igSteps} = 0) or EAP-IG with {@code igSteps} interpolation steps, summed over minibatches of
     * {@code batchSize} rows. Metric values in the result are means over all rows.
     */
    public EapResult run(PatchBatch batch, Metric.Kind metric, int igSteps, int batchSize, Progress progress) {
        if (igSteps < 0) {
            throw new IllegalArgumentException("igSteps must be >= 0, got " + igSteps);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        int nS = graph.sources().size();
        int nD = graph.dests().size();
        double[][] scores = new double[nS][nD];
        double clean = 0;
        double corrupt = 0;
        int total = batch.size();
        for (int from = 0; from < total; from += batchSize) {
            PatchBatch b = batch.slice(from, Math.min(total, from + batchSize));
            double w = b.size() / (double) total;
            double[] m = minibatch(b, metric, igSteps, w, scores);
            clean += m[0] * w;
            corrupt += m[1] * w;
            progress.advance(1);
        }
        for (int u = 0; u < nS; u++) {
            for (int v = 0; v < nD; v++) {
                if (!graph.valid(u, v)) {
                    scores[u][v] = Double.NaN;
                }
            }
        }
        String method = igSteps > 0 ? "EAP-IG(" + igSteps + ")" : "EAP";
        return new EapResult(graph, scores, metric, method, total, clean, corrupt);
    }

    /** Adds weight x scores of one minibatch; returns {clean metric, corrupt metric}. */
    private double[] minibatch(PatchBatch b, Metric.Kind kind, int igSteps, double weight, double[][] scores) {
        SourceActivations corr = SourceActivations.record(mv, b.corrupt(), b, null);
        SourceActivations cleanRun = igSteps > 0 ? SourceActivations.record(mv, b.clean(), b, null) : null;
        int n = corr.n;
        int c = mv.dModel();
        List<EapGraph.Source> srcs = graph.sources();
        INDArray deltas = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, new long[] {srcs.size(), (long) n * c}, 'c');
        double[] out = new double[2];
        try {
            int steps = Math.max(1, igSteps);
            for (int k = 1; k <= steps; k++) {
                UnaryOperator<float[]> edit = null;
                if (igSteps > 0) {
                    float alpha = k / (float) steps;
                    float[] from = corr.input;
                    float[] to = cleanRun.input;
                    edit = x -> {
                        float[] y = new float[x.length];
                        for (int i = 0; i < y.length; i++) {
                            y[i] = from[i] + alpha * (to[i] - from[i]);
                        }
                        return y;
                    };
                }
                GradRun g = gradRun(b, kind, edit, cleanRun != null ? cleanRun.answerLogits : null);
                SourceActivations clean = cleanRun != null ? cleanRun : g.acts;
                if (k == 1) {
                    fillDeltas(deltas, corr, clean);
                    Metric metric = Metric.of(kind, clean.answerLogits);
                    out[0] = metric.value(clean.answerLogits, b);
                    out[1] = metric.value(corr.answerLogits, b);
                }
                accumulate(deltas, g, weight / steps, scores);
            }
        } finally {
            deltas.close();
        }
        return out;
    }

    private void fillDeltas(INDArray deltas, SourceActivations corr, SourceActivations clean) {
        List<EapGraph.Source> srcs = graph.sources();
        java.nio.FloatBuffer f = Buffers.fb(deltas);
        int len = corr.n * mv.dModel();
        for (int u = 0; u < srcs.size(); u++) {
            EapGraph.Source s = srcs.get(u);
            float[] a = corr.source(mv, s);
            float[] b = clean.source(mv, s);
            float[] d = new float[len];
            for (int i = 0; i < len; i++) {
                d[i] = a[i] - b[i];
            }
            f.put(u * len, d);
        }
    }

    /** The activations and destination-input gradients of one forward + backward. */
    private static final class GradRun {
        SourceActivations acts;
        float[][] dq;
        float[][] dk;
        float[][] dv;
        float[][] dLn2;
        float[] dFinal;
    }

    private GradRun gradRun(PatchBatch b, Metric.Kind kind, UnaryOperator<float[]> inputEdit, float[][] cleanLogits) {
        int L = mv.layers();
        GradRun g = new GradRun();
        g.dq = new float[L][];
        g.dk = new float[L][];
        g.dv = new float[L][];
        g.dLn2 = new float[L][];
        g.acts = new SourceActivations(L, b.size() * b.length());
        RunSpec spec = SourceActivations.spec(g.acts, L, b.clean(), b, inputEdit);
        for (int l = 0; l < L; l++) {
            int li = l;
            spec.editGrad(HookName.q(l), (a, nm) -> keep(g.dq, li, a));
            spec.editGrad(HookName.k(l), (a, nm) -> keep(g.dk, li, a));
            spec.editGrad(HookName.v(l), (a, nm) -> keep(g.dv, li, a));
            spec.editGrad(HookName.normalized(l, "ln2"), (a, nm) -> keep(g.dLn2, li, a));
        }
        float[][] dFinal = new float[1][];
        spec.editGrad(HookName.residPost(L - 1), (a, nm) -> keep(dFinal, 0, a));
        try (ActivationCache c = mv.model().run(spec)) {
            g.acts.answerLogits = Metric.answerLogits(c.logits(), b);
            float[][] ref = cleanLogits != null ? cleanLogits : g.acts.answerLogits;
            Metric metric = Metric.of(kind, ref);
            INDArray dLogits = Buffers.zeros(b.size(), b.length(), mv.config().vocabSize());
            try {
                Metric.scatter(metric.gradient(g.acts.answerLogits, b), b, dLogits);
                c.backward(dLogits);
            } finally {
                dLogits.close();
            }
        }
        g.dFinal = dFinal[0];
        return g;
    }

    /** Keeps a gradient as a Java array (a backward hook that does not edit it). */
    private static INDArray keep(float[][] into, int i, INDArray grad) {
        into[i] = Buffers.toFloats(grad);
        return null;
    }

    /**
     * scores[u][v] += w * deltas[u] . grad(v), one GEMM per destination layer. Each layer's norm statistics are
     * computed once; destination gradients are written straight into the GEMM operand.
     */
    private void accumulate(INDArray deltas, GradRun g, double w, double[][] scores) {
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
            INDArray grads = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, new long[] {v1 - v0, len}, 'c');
            if (layer == mv.layers()) {
                Buffers.fb(grads).put(0, g.dFinal);
            } else {
                try (ModelView.NormInput ln1 = mv.normInput(ModelOps.blockNorm(layer, "ln1"), g.acts.residPre[layer], n);
                     ModelView.NormInput ln2 = mv.normInput(ModelOps.blockNorm(layer, "ln2"), g.acts.residMid[layer], n)) {
                    for (int v = v0; v < v1; v++) {
                        EapGraph.Dest d = dests.get(v);
                        INDArray row = grads.getRow(v - v0).reshape('c', n, c);
                        if (d.kind() == EapGraph.Kind.HEAD) {
                            float[] act = d.qkv() == Qkv.Q ? g.dq[layer] : d.qkv() == Qkv.K ? g.dk[layer] : g.dv[layer];
                            INDArray dln = mv.projectionBackward(layer, d.qkv(), d.head(), act, n);
                            mv.normBackward(ln1, dln, row);
                            dln.close();
                        } else {
                            INDArray dy = Buffers.of(g.dLn2[layer], n, c);
                            mv.normBackward(ln2, dy, row);
                            dy.close();
                        }
                    }
                }
            }
            INDArray s = Buffers.zeros(deltas.rows(), v1 - v0);
            Blas.gemm(deltas, grads, s, false, true, 1.0, 0.0);
            float[] sv = Buffers.toFloats(s);
            for (int u = 0; u < deltas.rows(); u++) {
                for (int v = v0; v < v1; v++) {
                    scores[u][v] += w * sv[u * (v1 - v0) + (v - v0)];
                }
            }
            grads.close();
            s.close();
            v0 = v1;
        }
    }

}
