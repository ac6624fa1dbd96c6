package org.tinysql.model;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.AttentionSpans;

/**
 * One forward pass: its inputs (ids [N], key mask [B][Tk], positions [B][T]), its activation buffers, the hooks it
 * fires (none when decoding) and, when decoding, the KV cache it extends. The backward of the pass reads the same
 * object. N = B*T rows.
 */
final class Pass {
    final int batch;
    final int time;
    final int[] ids;
    final int[][] mask;
    final int[][] positions;
    final ActivationBuffers acts;
    /** Hooks to fire, or null (none, or KV-cache decoding with hooks that are not all positional). */
    final Hooks hooks;
    /** Owns the arrays of per-head hook points; freed when the next pass starts. */
    final Arena hookArena;
    /** The cache this pass appends its keys and values to, or null. */
    final KvCache cache;
    /** The position in the padded sequence of this pass's first time row: 0, or the cached length when decoding. */
    final int start;
    /** The rows that got logits (flat b*T + t), or null for every row. */
    final int[] logitRows;
    /**
     * The attention tiles of the key mask when this pass may run attention over them only (no hook reads its scores or
     * patterns, forward or backward), else null (dense attention).
     */
    final AttentionSpans spans;

    Pass(int[][] tokens, int[][] mask, int[][] positions, ActivationBuffers acts, Hooks hooks, Arena hookArena, KvCache cache,
         int[] logitRows, boolean tiled) {
        this.batch = tokens.length;
        this.time = tokens[0].length;
        this.ids = flatten(tokens);
        this.mask = mask;
        this.positions = positions;
        this.acts = acts;
        this.hooks = hooks;
        this.hookArena = hookArena;
        this.cache = cache;
        this.start = cache == null ? 0 : cache.offset();
        this.logitRows = logitRows;
        this.spans = tiled && cache == null && (hooks == null || !hooks.readsAttention()) ? AttentionSpans.of(mask, 0) : null;
        acts.startPass();
    }

    private Pass(Pass p) {
        this.batch = p.batch;
        this.time = p.time;
        this.ids = p.ids;
        this.mask = p.mask;
        this.positions = p.positions;
        this.acts = p.acts;
        this.hooks = null;
        this.hookArena = p.hookArena;
        this.cache = null;
        this.start = p.start;
        this.logitRows = p.logitRows;
        this.spans = p.spans;
    }

    /** The spans for a layer with local attention window {@code window} (0 = global): none if it cuts the rows. */
    AttentionSpans spans(int window) {
        return window == 0 || window >= time ? spans : null;
    }

    /** This pass without hooks: what the backward runs to recompute a block's activations. */
    Pass quiet() {
        return new Pass(this);
    }

    /** The sequence length T of a [B][T] token batch; fails on empty, ragged or (learned positions) too long input. */
    static int checkTokens(ModelConfig cfg, int[][] tokens) {
        int t = tokens[0].length;
        if (t == 0) {
            throw new IllegalArgumentException("empty input: T must be at least 1");
        }
        if (cfg.positions() == ModelConfig.Positions.LEARNED && t > cfg.maxPositions()) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds max_position_embeddings " + cfg.maxPositions());
        }
        for (int[] row : tokens) {
            if (row.length != t) {
                throw new IllegalArgumentException("ragged batch: rows have different lengths; pad them and pass an attention mask");
            }
        }
        return t;
    }

    /** An all-ones [b][t] attention mask. */
    static int[][] ones(int b, int t) {
        int[][] m = new int[b][t];
        for (int[] r : m) {
            Arrays.fill(r, 1);
        }
        return m;
    }

    /** Position ids 0..t-1 for each of b rows. */
    static int[][] range(int b, int t) {
        int[][] p = new int[b][t];
        for (int[] r : p) {
            for (int i = 0; i < t; i++) {
                r[i] = i;
            }
        }
        return p;
    }

    /** The flat row b*T + T-1 of each sequence's last position. */
    static int[] lastRows(int b, int t) {
        int[] rows = new int[b];
        for (int i = 0; i < b; i++) {
            rows[i] = i * t + t - 1;
        }
        return rows;
    }

    static int[] flatten(int[][] rows) {
        int t = rows[0].length;
        int[] flat = new int[rows.length * t];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * t, t);
        }
        return flat;
    }

    int rows() {
        return batch * time;
    }

    boolean hasForward(String name) {
        return hooks != null && hooks.hasForward(name);
    }

    boolean hasBackward(String name) {
        return hooks != null && hooks.hasBackward(name);
    }

    /** Fires the forward hooks of {@code name} on {@code a} viewed as {@code shape}. */
    void hook(String name, INDArray a, long... shape) {
        if (hasForward(name)) {
            hooks.fireForward(name, a.reshape('c', shape), start);
        }
    }

    /** Fires the backward hooks of {@code name} on the gradient {@code grad} viewed as {@code shape}. */
    void backwardHook(String name, INDArray grad, long... shape) {
        if (hasBackward(name)) {
            hooks.fireBackward(name, grad.reshape('c', shape));
        }
    }
}
