package org.tinysql.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.AttentionSpans;
import org.tinysql.tensor.Kernels;

/**
 * Every activation of one forward pass over a batch shape [B, T] attending over Tk keys (Tk = T, or a KV cache's
 * capacity when decoding), plus the backward work buffers (llm.c's ActivationTensors). Rows are flattened: N = B*T.
 * Shapes: C d_model, H query heads, KV key/value heads, D head dim, M MLP width, V vocabulary. Buffers an
 * architecture does not use (learned positions, rotated q/k, the SwiGLU linear branch) stay null.
 *
 * <p>The buffers are views carved out of slab arenas ({@link Arena#slab}): {@link #recarve} lays out a set for
 * another shape in the same memory, so a new batch shape allocates nothing once the slabs are large enough. Carved
 * buffers hold arbitrary values (the last pass's, or another shape's): every forward kernel overwrites its whole
 * output, and {@link BackwardPass} zeroes each buffer it accumulates into, so no pass reads what it did not write.
 * The one buffer written in part, the full logits after a row-restricted pass, is cleared by
 * {@link Unembedding#fullLogits} (see {@link #logitsWritten}).
 *
 * <p>With {@code recompute} (activation checkpointing per block) only each block's input (residPre) is kept per
 * layer; every other activation of a block lives in one set of buffers that all layers share, and the backward pass
 * runs each block's forward again from its input before differentiating it ({@link BackwardPass}). That keeps one
 * block's activations instead of L, for about a third more compute.
 */
final class ActivationBuffers implements AutoCloseable {
    /** Activations of one block. */
    static final class Layer {
        INDArray residPre, ln1, q, k, v, qRot, kRot, z, attnOut, residMid, ln2, pre, preLinear, post, mlpOut;
        /** The fused attention's pattern over this pass's tiles [H, entries] (see {@link #attentionTiles}). */
        private INDArray tiles;
        /** The tiles {@link #tiles} was carved for. */
        private AttentionSpans tilesOf;
        /** The dense attention's scores and pattern [B, H, T, Tk]: carved on first use ({@link #scores}). */
        private INDArray scores, pattern;
        /** The layer whose dense attention arrays this one uses (itself, or the first when the layers share buffers). */
        private Layer dense = this;
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

    /** Backward work buffers (llm.c's grads_acts), carved on the first backward over this shape. */
    static final class Grads {
        INDArray dx, dNorm, dPost, dPre, dPreLin, dz, dq, dk, dv, dqr, dkr, dLogits;
        /** The dense attention's pattern and score gradients [B, H, T, Tk]: carved on first use. */
        private INDArray dPat, dScores;
    }

    final int batch;
    final int time;
    final int keys;
    /** Whether the layers share their activation buffers (all but residPre), which the backward recomputes. */
    final boolean recompute;
    /** The forward and backward buffers of this shape. */
    final Arena arena;
    /** The row-restricted unembedding's logits and their gradient, re-carved per pass (the row count changes). */
    private final Arena rowArena;
    /** The fused attention's patterns over the tiles, re-carved per pass (the tiles change). */
    private final Arena tileArena;
    private final Arena rowGradArena;
    final INDArray embed;
    final INDArray posEmbed;
    final INDArray residFinal;
    final INDArray lnFinal;
    final INDArray lnfMean;
    final INDArray lnfRstd;
    final Layer[] layers;
    private final ModelConfig cfg;
    private Grads grads;
    /** The logits of every row [N, V]: carved on first use (row-restricted passes do not need them). */
    private INDArray logits;
    /** Whether {@link #logits} holds the logits of the last pass (a row-restricted pass leaves them in rowLogits). */
    boolean logitsCurrent;
    /** Logits and their gradient of the selected rows only [r, V] (row-restricted unembedding), or null. */
    INDArray rowLogits;
    INDArray dRowLogits;
    /**
     * Rows of {@code logits} written since it was carved (by row-restricted fills; every other row is zero); null:
     * possibly every row, or arbitrary values (a newly carved buffer).
     */
    int[] logitsWritten;

    /** A set for [b, t] over tk keys in new slab arenas of {@code kernels}. */
    ActivationBuffers(ModelConfig cfg, Kernels kernels, int b, int t, int tk, boolean recompute) {
        this(cfg, Arena.slab(kernels), Arena.slab(kernels), Arena.slab(kernels), Arena.slab(kernels), b, t, tk, recompute);
    }

    private ActivationBuffers(ModelConfig cfg, Arena arena, Arena rowArena, Arena rowGradArena, Arena tileArena, int b, int t,
                              int tk, boolean recompute) {
        this.cfg = cfg;
        this.arena = arena;
        this.rowArena = rowArena;
        this.tileArena = tileArena;
        this.rowGradArena = rowGradArena;
        this.batch = b;
        this.time = t;
        this.keys = tk;
        this.recompute = recompute;
        int n = b * t;
        int c = cfg.dModel(), h = cfg.nHeads(), kv = cfg.nKvHeads(), d = cfg.headDim(), m = cfg.dMlp();
        boolean rotary = cfg.positions() == ModelConfig.Positions.ROTARY;
        boolean swiglu = cfg.mlp() == ModelConfig.Mlp.SWIGLU;
        Arena z = arena;
        embed = z.carve(n, c);
        posEmbed = rotary ? null : z.carve(n, c);
        layers = new Layer[cfg.nLayers()];
        for (int i = 0; i < cfg.nLayers(); i++) {
            if (recompute && i > 0) {
                layers[i] = shared(layers[0], z.carve(n, c));
                continue;
            }
            Layer l = new Layer();
            l.residPre = z.carve(n, c);
            l.ln1 = z.carve(n, c);
            l.q = z.carve(n, (long) h * d);
            l.k = z.carve(n, (long) kv * d);
            l.v = z.carve(n, (long) kv * d);
            if (rotary) {
                l.qRot = z.carve(n, (long) h * d);
                l.kRot = z.carve(n, (long) kv * d);
            }
            l.z = z.carve(n, (long) h * d);
            l.attnOut = z.carve(n, c);
            l.residMid = z.carve(n, c);
            l.ln2 = z.carve(n, c);
            l.pre = z.carve(n, m);
            l.preLinear = swiglu ? z.carve(n, m) : null;
            l.post = z.carve(n, m);
            l.mlpOut = z.carve(n, c);
            l.ln1Mean = z.carve(n);
            l.ln1Rstd = z.carve(n);
            l.ln2Mean = z.carve(n);
            l.ln2Rstd = z.carve(n);
            layers[i] = l;
        }
        residFinal = z.carve(n, c);
        lnFinal = z.carve(n, c);
        lnfMean = z.carve(n);
        lnfRstd = z.carve(n);
    }

    /**
     * A set for another shape in this set's memory (growing it when needed). This set must not be used any more: its
     * buffers become the new set's.
     */
    ActivationBuffers recarve(int b, int t, int tk, boolean recomputeLayers) {
        arena.rewind();
        return new ActivationBuffers(cfg, arena, rowArena, rowGradArena, tileArena, b, t, tk, recomputeLayers);
    }

    /** The full logits buffer [N, V], carved on first use (arbitrary values: see {@link #logitsWritten}). */
    INDArray logits() {
        if (logits == null) {
            logits = arena.carve((long) batch * time, cfg.vocabSize());
        }
        return logits;
    }

    /** Whether the full logits buffer was carved yet. */
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
        l.dense = w;
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

    /** The backward work buffers (carved on first use; BackwardPass zeroes each before accumulating into it). */
    Grads grads() {
        if (grads == null) {
            int n = batch * time;
            int c = cfg.dModel(), h = cfg.nHeads(), kv = cfg.nKvHeads(), d = cfg.headDim(), m = cfg.dMlp();
            boolean rotary = cfg.positions() == ModelConfig.Positions.ROTARY;
            Grads g = new Grads();
            g.dx = arena.carve(n, c);
            g.dNorm = arena.carve(n, c);
            g.dPost = arena.carve(n, m);
            g.dPre = arena.carve(n, m);
            g.dPreLin = cfg.mlp() == ModelConfig.Mlp.SWIGLU ? arena.carve(n, m) : null;
            g.dz = arena.carve(n, (long) h * d);
            g.dq = arena.carve(n, (long) h * d);
            g.dk = arena.carve(n, (long) kv * d);
            g.dv = arena.carve(n, (long) kv * d);
            g.dqr = rotary ? arena.carve(n, (long) h * d) : null;
            g.dkr = rotary ? arena.carve(n, (long) kv * d) : null;
            grads = g;
        }
        return grads;
    }

    /** A new pass starts: the last pass's attention tiles are given up. */
    void startPass() {
        tileArena.rewind();
        for (Layer l : layers) {
            l.dense.tiles = null;
            l.dense.tilesOf = null;
        }
    }

    /**
     * Memory for layer l's attention pattern over the tiles of this pass [H, entries] (the fused attention's; one set
     * that every layer shares when the layers share their buffers, as the backward recomputes each block).
     */
    INDArray attentionTiles(Layer l, AttentionSpans spans) {
        Layer o = l.dense;
        if (o.tilesOf != spans) {
            o.tiles = tileArena.carve(cfg.nHeads(), spans.entries());
            o.tilesOf = spans;
        }
        return o.tiles;
    }

    // The dense attention arrays, [B, H, T, Tk] each, are carved only by passes that run dense attention (hooks that
    // read them, a KV cache, local windows): a training step runs fused attention over its tiles and needs none.

    /** Whether any dense [B, H, T, Tk] attention array was carved in this set (passes that ran dense attention). */
    boolean hasDenseAttention() {
        return layers[0].dense.scores != null || grads != null && grads.dPat != null;
    }

    /** A new dense attention array [B, H, T, Tk] (arbitrary values). */
    private INDArray denseAttentionArray() {
        return arena.carve(batch, cfg.nHeads(), time, keys);
    }

    /** The dense attention scores of layer l [B, H, T, Tk]. */
    INDArray scores(Layer l) {
        if (l.dense.scores == null) {
            l.dense.scores = denseAttentionArray();
        }
        return l.dense.scores;
    }

    /** The dense attention pattern of layer l [B, H, T, Tk]. */
    INDArray pattern(Layer l) {
        if (l.dense.pattern == null) {
            l.dense.pattern = denseAttentionArray();
        }
        return l.dense.pattern;
    }

    /** The dense attention's pattern gradient [B, H, T, Tk]. */
    INDArray dPattern() {
        Grads g = grads();
        if (g.dPat == null) {
            g.dPat = denseAttentionArray();
        }
        return g.dPat;
    }

    /** The dense attention's score gradient [B, H, T, Tk]. */
    INDArray dScores() {
        Grads g = grads();
        if (g.dScores == null) {
            g.dScores = denseAttentionArray();
        }
        return g.dScores;
    }

    /** The full logits' gradient buffer [N, V] (carved on first use; the loss writes every row). */
    INDArray dLogits() {
        Grads g = grads();
        if (g.dLogits == null) {
            g.dLogits = arena.carve((long) batch * time, cfg.vocabSize());
        }
        return g.dLogits;
    }

    /** Memory for this pass's row logits [r, V]: the last pass's row logits and their gradient are given up. */
    INDArray carveRowLogits(int r) {
        rowArena.rewind();
        rowGradArena.rewind();
        return rowArena.carve(r, cfg.vocabSize());
    }

    /** Memory for the row logits' gradient [r, V]: the last one is given up. */
    INDArray carveRowGradients(int r) {
        rowGradArena.rewind();
        return rowGradArena.carve(r, cfg.vocabSize());
    }

    /** Forgets the row logits and their gradient (a pass without them). */
    void clearRows() {
        rowLogits = null;
        dRowLogits = null;
    }

    long bytes() {
        return arena.bytes() + rowArena.bytes() + rowGradArena.bytes() + tileArena.bytes();
    }

    @Override
    public void close() {
        clearRows();
        arena.close();
        rowArena.close();
        rowGradArena.close();
        tileArena.close();
    }
}
