package org.tinysql.interp.eap;

import java.util.List;
import java.util.Locale;
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
import org.tinysql.tensor.Buffers;

/**
 * Runs the clean prompts with every edge outside a circuit ablated: each destination reads the residual stream it
 * would read in this run, plus, for every source u whose edge into it is not in the circuit, (ablated value of u -
 * u's activation in this run). Ablated values are u's activation on the corrupt prompts (patching), u's mean over
 * the clean batch's real tokens (mean ablation) or zero (zero ablation). With every edge in the circuit the run is
 * the clean run; with none (and corrupt ablation) it reproduces the corrupt run.
 */
public final class CircuitRunner {

    /** What an edge outside the circuit carries. */
    public enum Ablation {
        CORRUPT, MEAN, ZERO;

        public static Ablation parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown ablation '" + s + "'; expected corrupt, mean or zero");
            }
        }
    }

    private final ModelView mv;
    private final EapGraph graph;
    private final PatchBatch batch;
    private final Ablation ablation;
    private final float[][] ablated;
    private final Metric metric;
    private final double cleanMetric;
    private final double emptyMetric;

    /**
     * Prepares the ablated source values for {@code batch} (one corrupt and one clean forward) and the metric.
     */
    public CircuitRunner(Transformer model, EapGraph graph, PatchBatch batch, Ablation ablation, Metric.Kind metricKind) {
        this.mv = new ModelView(model);
        this.graph = graph;
        this.batch = batch;
        this.ablation = ablation;
        SourceActivations clean = SourceActivations.record(mv, batch.clean(), batch, null);
        this.metric = Metric.of(metricKind, clean.answerLogits);
        List<EapGraph.Source> srcs = graph.sources();
        ablated = new float[srcs.size()][];
        int len = clean.n * mv.dModel();
        if (ablation == Ablation.CORRUPT) {
            SourceActivations corr = SourceActivations.record(mv, batch.corrupt(), batch, null);
            for (int u = 0; u < srcs.size(); u++) {
                ablated[u] = corr.source(mv, srcs.get(u));
            }
        } else {
            for (int u = 0; u < srcs.size(); u++) {
                ablated[u] = ablation == Ablation.ZERO ? new float[len] : meanOverTokens(clean.source(mv, srcs.get(u)));
            }
        }
        this.cleanMetric = metric.value(clean.answerLogits, batch);
        this.emptyMetric = metric(graph.empty());
    }

    private float[] meanOverTokens(float[] x) {
        int c = mv.dModel();
        int t = batch.length();
        double[] sum = new double[c];
        int count = 0;
        for (int b = 0; b < batch.size(); b++) {
            for (int i = 0; i < t; i++) {
                if (batch.mask()[b][i] == 0) {
                    continue;
                }
                int o = (b * t + i) * c;
                for (int j = 0; j < c; j++) {
                    sum[j] += x[o + j];
                }
                count++;
            }
        }
        float[] out = new float[x.length];
        for (int r = 0; r < x.length / c; r++) {
            for (int j = 0; j < c; j++) {
                out[r * c + j] = (float) (sum[j] / count);
            }
        }
        return out;
    }

    public double cleanMetric() {
        return cleanMetric;
    }

    /** The metric with every edge ablated. */
    public double emptyMetric() {
        return emptyMetric;
    }

    public Ablation ablation() {
        return ablation;
    }

    /** (metric(circuit) - metric(empty)) / (metric(clean) - metric(empty)): 1 for the full circuit, 0 for none. */
    public double faithfulness(Circuit c) {
        double span = cleanMetric - emptyMetric;
        if (Math.abs(span) < 1e-9) {
            throw new IllegalArgumentException("clean and fully ablated runs have the same metric (" + cleanMetric
                    + "): faithfulness is undefined for this batch");
        }
        return (metric(c) - emptyMetric) / span;
    }

    /** The metric of the clean prompts run with the edges outside {@code c} ablated. */
    public double metric(Circuit c) {
        return metric(c, 1.0);
    }

    /**
     * As {@link #metric(Circuit)} with the edges outside {@code c} moved only {@code strength} of the way from their
     * current to their ablated value (1 = ablated; small values measure the metric's local slope).
     */
    public double metric(Circuit c, double strength) {
        if (c.graph() != graph) {
            throw new IllegalArgumentException("the circuit belongs to another graph");
        }
        Transformer m = mv.model();
        int L = mv.layers();
        int n = batch.size() * batch.length();
        List<EapGraph.Source> srcs = graph.sources();
        // Activations of this run, filled as the forward reaches them.
        float[][] current = new float[srcs.size()][];
        float[][] z = new float[L][];
        float[][] residPre = new float[L][];
        float[][] residMid = new float[L][];
        float[][] residFinal = new float[1][];
        RunSpec spec = RunSpec.of(batch.clean(), batch.mask()).logitRows(batch.answerRows());
        SourceGetter cur = u -> {
            if (current[u] == null) {
                EapGraph.Source s = srcs.get(u);
                current[u] = mv.headResult(s.layer(), z[s.layer()], n, s.head());
            }
            return current[u];
        };
        spec.edit(HookName.residPre(0), (a, nm) -> {
            current[graph.source("input")] = Buffers.toFloats(a);
            return null;
        });
        for (int l = 0; l < L; l++) {
            int li = l;
            spec.edit(HookName.residPre(li), (a, nm) -> {
                residPre[li] = Buffers.toFloats(a);
                return null;
            });
            for (Qkv w : Qkv.values()) {
                spec.edit(HookName.qkv(li, w.letter), (a, nm) -> {
                    patchHeads(a, li, w, c, residPre[li], cur, n, strength);
                    return null;
                });
            }
            spec.edit(HookName.z(li), (a, nm) -> {
                z[li] = Buffers.toFloats(a);
                return null;
            });
            spec.edit(HookName.residMid(li), (a, nm) -> {
                residMid[li] = Buffers.toFloats(a);
                return null;
            });
            spec.edit(HookName.normalized(li, "ln2"), (a, nm) -> {
                float[] d = delta(graph.dest("m" + li), c, cur, strength);
                if (d != null) {
                    Buffers.fb(a).put(0, mv.norm(ModelOps.blockNorm(li, "ln2"), add(residMid[li], d), n));
                }
                return null;
            });
            spec.edit(HookName.mlpOut(li), (a, nm) -> {
                current[graph.source("m" + li)] = Buffers.toFloats(a);
                return null;
            });
        }
        spec.edit(HookName.residPost(L - 1), (a, nm) -> {
            residFinal[0] = Buffers.toFloats(a);
            return null;
        });
        spec.edit(HookName.LN_FINAL_NORMALIZED, (a, nm) -> {
            float[] d = delta(graph.dest("logits"), c, cur, strength);
            if (d != null) {
                Buffers.fb(a).put(0, mv.norm("ln_final", add(residFinal[0], d), n));
            }
            return null;
        });
        try (ActivationCache run = m.run(spec)) {
            return metric.value(Metric.answerLogits(run.logits(), batch), batch);
        }
    }

    @FunctionalInterface
    private interface SourceGetter {
        float[] get(int u);
    }

    private void patchHeads(INDArray act, int layer, Qkv w, Circuit c, float[] x, SourceGetter cur, int n, double strength) {
        int nh = w == Qkv.Q ? mv.heads() : mv.kvHeads();
        int d = mv.config().headDim();
        float[] all = null;
        for (int h = 0; h < nh; h++) {
            float[] delta = delta(graph.dest("a" + layer + ".h" + h + "<" + w.letter + ">"), c, cur, strength);
            if (delta == null) {
                continue;
            }
            if (all == null) {
                all = Buffers.toFloats(act);
            }
            float[] ln = mv.norm(ModelOps.blockNorm(layer, "ln1"), add(x, delta), n);
            float[] proj = mv.project(layer, w, h, ln, n);
            for (int r = 0; r < n; r++) {
                System.arraycopy(proj, r * d, all, (r * nh + h) * d, d);
            }
        }
        if (all != null) {
            Buffers.fb(act).put(0, all);
        }
    }

    /** Sum over the sources whose edge into v is missing of (ablated - current); null when nothing is missing. */
    private float[] delta(int v, Circuit c, SourceGetter cur, double strength) {
        float s = (float) strength;
        float[] d = null;
        for (int u = 0; u < graph.sources().size(); u++) {
            if (!graph.valid(u, v) || c.contains(u, v)) {
                continue;
            }
            float[] a = ablated[u];
            float[] b = cur.get(u);
            if (d == null) {
                d = new float[a.length];
            }
            for (int i = 0; i < d.length; i++) {
                d[i] += s * (a[i] - b[i]);
            }
        }
        return d;
    }

    private static float[] add(float[] x, float[] d) {
        float[] y = new float[x.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = x[i] + d[i];
        }
        return y;
    }
}
