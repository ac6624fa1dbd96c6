package org.tinysql.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Kernels;

/**
 * Every activation of one forward pass over a batch shape [B, T] attending over Tk keys (Tk = T, or a KV cache's
 * capacity when decoding), plus the backward work buffers, allocated once per shape and reused (llm.c's
 * ActivationTensors). Rows are flattened: N = B*T. Shapes: C d_model, H query heads, KV key/value heads, D head dim,
 * M MLP width, V vocabulary. Buffers an architecture does not use (learned positions, rotated q/k, the SwiGLU
 * linear branch) stay null.
 *
 * <p>With {@code recompute} (activation checkpointing per block) only each block's input (residPre) is kept per
 * layer; every other activation of a block lives in one set of buffers that all layers share, and the backward pass
 * runs each block's forward again from its input before differentiating it ({@link BackwardPass}). That keeps one
 * block's activations instead of L, for about a third more compute.
 */
final class ActivationBuffers implements AutoCloseable {
    /** Activations of one block. */
    static final class Layer {
        INDArray residPre, ln1, q, k, v, qRot, kRot, scores, pattern, z, attnOut, residMid, ln2, pre, preLinear, post, mlpOut;
        /** Norm statistics [N] (mean: LayerNorm only). */
        INDArray ln1Mean, ln1Rstd, ln2Mean, ln2Rstd;
        /** Per-head split q/k/v inputs of this forward (null where not hooked). */
        final PerHeadHooks.Split[] split = new PerHeadHooks.Split[3];
        /** The hooked MLP input (hook_mlp_in), or null. */
        INDArray mlpIn;

        /** The query and key the attention scores use: rotated when the model rotates them. */
        INDArray queries() {
            return qRot != null ? qRot : q;
        }

        INDArray keys() {
            return kRot != null ? kRot : k;
        }
    }

    /** Backward work buffers (llm.c's grads_acts), allocated on the first backward over this shape. */
    static final class Grads {
        INDArray dx, dNorm, dPost, dPre, dPreLin, dz, dq, dk, dv, dqr, dkr, dPat, dScores, dLogits;
    }

    final int batch;
    final int time;
    final int keys;
    /** Whether the layers share their activation buffers (all but residPre), which the backward recomputes. */
    final boolean recompute;
    final Arena arena;
    final INDArray embed;
    final INDArray posEmbed;
    final INDArray residFinal;
    final INDArray lnFinal;
    final INDArray lnfMean;
    final INDArray lnfRstd;
    final Layer[] layers;
    private final ModelConfig cfg;
    private Grads grads;
    /** The logits of every row [N, V]: allocated on first use (row-restricted passes do not need them). */
    private INDArray logits;
    /** Whether {@link #logits} holds the logits of the last pass (a row-restricted pass leaves them in rowLogits). */
    boolean logitsCurrent;
    /** Logits and their gradient of the selected rows only [r, V] (row-restricted unembedding). */
    INDArray rowLogits;
    INDArray dRowLogits;
    /** Rows of {@code logits} written by the last row-restricted fill; null: possibly every row. */
    int[] logitsWritten;

    ActivationBuffers(ModelConfig cfg, Kernels kernels, int b, int t, int tk, boolean recompute) {
        this.cfg = cfg;
        this.arena = new Arena(kernels);
        this.batch = b;
        this.time = t;
        this.keys = tk;
        this.recompute = recompute;
        int n = b * t;
        int c = cfg.dModel(), h = cfg.nHeads(), kv = cfg.nKvHeads(), d = cfg.headDim(), m = cfg.dMlp();
        boolean rotary = cfg.positions() == ModelConfig.Positions.ROTARY;
        boolean swiglu = cfg.mlp() == ModelConfig.Mlp.SWIGLU;
        Arena z = arena;
        embed = z.zeros(n, c);
        posEmbed = rotary ? null : z.zeros(n, c);
        layers = new Layer[cfg.nLayers()];
        for (int i = 0; i < cfg.nLayers(); i++) {
            if (recompute && i > 0) {
                layers[i] = shared(layers[0], z.zeros(n, c));
                continue;
            }
            Layer l = new Layer();
            l.residPre = z.zeros(n, c);
            l.ln1 = z.zeros(n, c);
            l.q = z.zeros(n, (long) h * d);
            l.k = z.zeros(n, (long) kv * d);
            l.v = z.zeros(n, (long) kv * d);
            if (rotary) {
                l.qRot = z.zeros(n, (long) h * d);
                l.kRot = z.zeros(n, (long) kv * d);
            }
            l.scores = z.zeros(b, h, t, tk);
            l.pattern = z.zeros(b, h, t, tk);
            l.z = z.zeros(n, (long) h * d);
            l.attnOut = z.zeros(n, c);
            l.residMid = z.zeros(n, c);
            l.ln2 = z.zeros(n, c);
            l.pre = z.zeros(n, m);
            l.preLinear = swiglu ? z.zeros(n, m) : null;
            l.post = z.zeros(n, m);
            l.mlpOut = z.zeros(n, c);
            l.ln1Mean = z.zeros(n);
            l.ln1Rstd = z.zeros(n);
            l.ln2Mean = z.zeros(n);
            l.ln2Rstd = z.zeros(n);
            layers[i] = l;
        }
        residFinal = z.zeros(n, c);
        lnFinal = z.zeros(n, c);
        lnfMean = z.zeros(n);
        lnfRstd = z.zeros(n);
    }

    /** The full logits buffer [N, V], allocated (zero) on first use. */
    INDArray logits() {
        if (logits == null) {
            logits = arena.zeros((long) batch * time, cfg.vocabSize());
        }
        return logits;
    }

    /** Whether the full logits buffer exists yet. */
    boolean hasLogits() {
        return logits != null;
    }

    /** A layer with its own input {@code residPre} and every other buffer of {@code w}. */
    private static Layer shared(Layer w, INDArray residPre) {
        Layer l = new Layer();
        l.residPre = residPre;
        l.ln1 = w.ln1;
        l.q = w.q;
        l.k = w.k;
        l.v = w.v;
        l.qRot = w.qRot;
        l.kRot = w.kRot;
        l.scores = w.scores;
        l.pattern = w.pattern;
        l.z = w.z;
        l.attnOut = w.attnOut;
        l.residMid = w.residMid;
        l.ln2 = w.ln2;
        l.pre = w.pre;
        l.preLinear = w.preLinear;
        l.post = w.post;
        l.mlpOut = w.mlpOut;
        l.ln1Mean = w.ln1Mean;
        l.ln1Rstd = w.ln1Rstd;
        l.ln2Mean = w.ln2Mean;
        l.ln2Rstd = w.ln2Rstd;
        return l;
    }

    /** The residual stream entering block {@code i}, or leaving the last block for i = L. */
    INDArray residIn(int i) {
        return i < layers.length ? layers[i].residPre : residFinal;
    }

    /** The backward work buffers (allocated on first use). */
    Grads grads() {
        if (grads == null) {
            int n = batch * time;
            int c = cfg.dModel(), h = cfg.nHeads(), kv = cfg.nKvHeads(), d = cfg.headDim(), m = cfg.dMlp();
            boolean rotary = cfg.positions() == ModelConfig.Positions.ROTARY;
            Grads g = new Grads();
            g.dx = arena.zeros(n, c);
            g.dNorm = arena.zeros(n, c);
            g.dPost = arena.zeros(n, m);
            g.dPre = arena.zeros(n, m);
            g.dPreLin = cfg.mlp() == ModelConfig.Mlp.SWIGLU ? arena.zeros(n, m) : null;
            g.dz = arena.zeros(n, (long) h * d);
            g.dq = arena.zeros(n, (long) h * d);
            g.dk = arena.zeros(n, (long) kv * d);
            g.dv = arena.zeros(n, (long) kv * d);
            g.dqr = rotary ? arena.zeros(n, (long) h * d) : null;
            g.dkr = rotary ? arena.zeros(n, (long) kv * d) : null;
            g.dPat = arena.zeros(batch, h, time, keys);
            g.dScores = arena.zeros(batch, h, time, keys);
            grads = g;
        }
        return grads;
    }

    /** The full logits' gradient buffer [N, V] (allocated on first use). */
    INDArray dLogits() {
        Grads g = grads();
        if (g.dLogits == null) {
            g.dLogits = arena.zeros((long) batch * time, cfg.vocabSize());
        }
        return g.dLogits;
    }

    void closeRows() {
        for (INDArray x : new INDArray[] {rowLogits, dRowLogits}) {
            if (x != null && !x.wasClosed()) {
                x.close();
            }
        }
        rowLogits = null;
        dRowLogits = null;
    }

    long bytes() {
        return arena.bytes();
    }

    @Override
    public void close() {
        closeRows();
        arena.close();
    }
}
