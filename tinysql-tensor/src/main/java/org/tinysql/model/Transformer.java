package org.tinysql.model;

import static org.tinysql.tensor.Buffers.fb;
import static org.tinysql.tensor.Buffers.zeros;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.CpuKernels;
import org.tinysql.tensor.Kernels;

/**
 * A decoder-only transformer of the GPT (GPT-Neo, GPT-2) or LLaMA (Llama, Qwen2) family, with hand-written forward
 * and backward passes and TransformerLens hook points on every activation.
 *
 * <pre>
 *   x = embed(ids) [+ pos_embed]                         hook_embed, hook_pos_embed, blocks.0.hook_resid_pre
 *   per block: h = norm1(x); q,k,v = h W^T (+b)          ln1.hook_normalized, attn.hook_q/k/v (LLaMA: rope -> hook_rot_q/k)
 *              scores = q k^T * scale, masked            attn.hook_attn_scores -> softmax -> attn.hook_pattern
 *              z = pattern v; a = z W_O^T (+b)           attn.hook_z, hook_attn_out
 *              x = x + a                                 hook_resid_mid
 *              m = mlp(norm2(x)); x = x + m              ln2.hook_normalized, mlp.hook_pre(/_linear)/hook_post, hook_mlp_out
 *                                                        hook_resid_post
 *   logits = norm_f(x) W_U^T                             ln_final.hook_normalized
 * </pre>
 * Activations are kept from the last forward for {@link #backward}, so the object is not thread-safe: it belongs to
 * the thread that last ran it until that thread calls {@link #release()} or ends, and a call from another thread
 * meanwhile throws {@link java.util.ConcurrentModificationException} (after waiting up to a second for the owner to
 * end). Use one instance per thread; {@code new Transformer(model.parameters())} shares the weights.
 */
public final class Transformer {
    private final ModelConfig cfg;
    private final Parameters params;
    private final Kernels k;
    private final Hooks hooks;
    private final double[] invFreq;
    private Parameters grads;
    private final PerHeadHooks perHead;
    private final ThreadOwner owner = new ThreadOwner();
    /** Arrays of the per-head hook points, freed at the next forward. */
    private org.tinysql.tensor.Arena hookArena = new org.tinysql.tensor.Arena();
    private static final String[] QKV = {"q", "k", "v"};

    // Shape of the last forward and its inputs.
    private int B;
    private int T;
    private int[] ids;
    private int[][] mask;
    private int[][] pos;
    private Acts acts;
    /**
     * Activation buffers of recent batch shapes (most recently used last): training on length-bucketed batches
     * alternates between a few sequence lengths, and re-allocating every buffer at each change would cost more
     * than the step. Bounded by {@link #MAX_SHAPES} and {@link #SHAPE_BYTES}.
     */
    private final LinkedHashMap<Long, Acts> shapes = new LinkedHashMap<>(16, 0.75f, true);
    private static final int MAX_SHAPES = 16;
    private static final long SHAPE_BYTES = 1L << 30;

    public Transformer(Parameters params) {
        this(params, new CpuKernels());
    }

    public Transformer(Parameters params, Kernels kernels) {
        this.cfg = params.config();
        this.params = params;
        this.k = kernels;
        this.hooks = new Hooks(cfg);
        this.invFreq = cfg.ropeInverseFrequencies();
        this.perHead = new PerHeadHooks(cfg, params, kernels);
    }

    /** Loads a HuggingFace checkpoint folder (config.json + safetensors). */
    public static Transformer fromPretrained(Path dir) throws IOException {
        return new Transformer(HfCheckpoint.load(dir));
    }

    public ModelConfig config() {
        return cfg;
    }

    public Parameters parameters() {
        return params;
    }

    /** Gradients of every parameter (same names and shapes), allocated on first use. */
    public Parameters gradients() {
        if (grads == null) {
            grads = Parameters.zeros(cfg);
        }
        return grads;
    }

    /**
     * Gives the model up so that another thread may run it next (see the class comment); call it on the thread that
     * ran the model, once it no longer needs the last forward's logits or activations.
     */
    public void release() {
        owner.release();
    }

    /** The persistent hook registry (hooks stay until their handle is closed or {@link Hooks#clear()}). */
    public Hooks hooks() {
        return hooks;
    }

    /** Activations of one block. */
    private static final class Layer {
        INDArray residPre, ln1, q, k, v, qRot, kRot, scores, pattern, z, attnOut, residMid, ln2, pre, preLinear, post, mlpOut;
        float[] ln1Mean, ln1Rstd, ln2Mean, ln2Rstd;
        /** Per-head split q/k/v inputs of this forward (null where not hooked). */
        final PerHeadHooks.Split[] split = new PerHeadHooks.Split[3];
        /** The hooked MLP input (hook_mlp_in), or null. */
        INDArray mlpIn;
    }

    /** All activations of a forward pass over [B, T]. */
    private static final class Acts {
        final org.tinysql.tensor.Arena arena = new org.tinysql.tensor.Arena();
        INDArray embed, posEmbed, residFinal, lnFinal, logits;
        /** Backward work buffers, allocated on the first backward over this shape. */
        INDArray dx, dNorm, dPost, dPre, dPreLin, dz, dq, dk, dv, dqr, dkr, dPat, dScores, dLogits;
        float[] lnfMean, lnfRstd;
        Layer[] layers;
        /** Logits and their gradient of the selected rows only [r, V] (see {@link #setLogitRows}). */
        INDArray rowLogits, dRowLogits;
        /** Rows of {@code logits} written by the last row-restricted unembedding; null: possibly every row. */
        int[] logitsWritten;

        void closeRows() {
            for (INDArray x : new INDArray[] {rowLogits, dRowLogits}) {
                if (x != null && !x.wasClosed()) {
                    x.close();
                }
            }
            rowLogits = null;
            dRowLogits = null;
        }

        void close() {
            closeRows();
            arena.close();
        }
    }

    /** The activation buffers for [b, t]: reused when this shape ran recently, else allocated (evicting old shapes). */
    private Acts actsFor(int b, int t) {
        long key = ((long) b << 32) | t;
        Acts a = shapes.get(key);
        if (a != null) {
            return a;
        }
        a = allocate(b, t);
        shapes.put(key, a);
        long total = 0;
        for (Acts x : shapes.values()) {
            total += x.arena.bytes();
        }
        var it = shapes.values().iterator();
        while ((total > SHAPE_BYTES || shapes.size() > MAX_SHAPES) && it.hasNext()) {
            Acts x = it.next();
            if (x != a) {
                total -= x.arena.bytes();
                x.close();
                it.remove();
            }
        }
        return a;
    }

    private Acts allocate(int b, int t) {
        int n = b * t;
        int C = cfg.dModel(), H = cfg.nHeads(), KV = cfg.nKvHeads(), D = cfg.headDim(), M = cfg.dMlp();
        boolean llama = cfg.family() == ModelConfig.Family.LLAMA;
        Acts a = new Acts();
        org.tinysql.tensor.Arena z = a.arena;
        a.embed = z.zeros(n, C);
        a.posEmbed = llama ? null : z.zeros(n, C);
        a.layers = new Layer[cfg.nLayers()];
        for (int i = 0; i < cfg.nLayers(); i++) {
            Layer l = new Layer();
            l.residPre = z.zeros(n, C);
            l.ln1 = z.zeros(n, C);
            l.q = z.zeros(n, (long) H * D);
            l.k = z.zeros(n, (long) KV * D);
            l.v = z.zeros(n, (long) KV * D);
            if (llama) {
                l.qRot = z.zeros(n, (long) H * D);
                l.kRot = z.zeros(n, (long) KV * D);
            }
            l.scores = z.zeros(b, H, t, t);
            l.pattern = z.zeros(b, H, t, t);
            l.z = z.zeros(n, (long) H * D);
            l.attnOut = z.zeros(n, C);
            l.residMid = z.zeros(n, C);
            l.ln2 = z.zeros(n, C);
            l.pre = z.zeros(n, M);
            l.preLinear = llama ? z.zeros(n, M) : null;
            l.post = z.zeros(n, M);
            l.mlpOut = z.zeros(n, C);
            l.ln1Mean = new float[n];
            l.ln1Rstd = new float[n];
            l.ln2Mean = new float[n];
            l.ln2Rstd = new float[n];
            a.layers[i] = l;
        }
        a.residFinal = z.zeros(n, C);
        a.lnFinal = z.zeros(n, C);
        a.lnfMean = new float[n];
        a.lnfRstd = new float[n];
        a.logits = z.zeros(n, cfg.vocabSize());
        return a;
    }

    /**
     * Runs the model over token ids [B][T] with an attention mask [B][T] (1 = real token, 0 = padding key; null =
     * all ones). Several sequences can share a row: number them 1, 2, ... in the mask and pass their positions (see
     * {@link #forward(int[][], int[][], int[][])}); tokens then attend only within their own sequence. Returns logits
     * [B,T,V] (a view of an internal buffer, valid until the next forward).
     */
    public INDArray forward(int[][] tokens, int[][] attentionMask) {
        return forward(tokens, attentionMask, null);
    }

    /** As {@link #forward(int[][], int[][])} with explicit position ids [B][T] (null: 0..T-1). */
    public INDArray forward(int[][] tokens, int[][] attentionMask, int[][] positions) {
        owner.claim();
        int b = tokens.length;
        int t = tokens[0].length;
        if (t == 0) {
            throw new IllegalArgumentException("empty input: T must be at least 1");
        }
        if (cfg.family() == ModelConfig.Family.GPT && t > cfg.maxPositions()) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds max_position_embeddings " + cfg.maxPositions());
        }
        for (int[] row : tokens) {
            if (row.length != t) {
                throw new IllegalArgumentException("ragged batch: rows have different lengths; pad them and pass an attention mask");
            }
        }
        if (acts == null || b != B || t != T) {
            acts = actsFor(b, t);
            B = b;
            T = t;
        }
        ids = new int[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(tokens[i], 0, ids, i * t, t);
        }
        mask = attentionMask != null ? attentionMask : ones(b, t);
        if (mask.length != b || mask[0].length != t) {
            throw new IllegalArgumentException("attention mask is " + mask.length + "x" + mask[0].length + ", tokens are " + b + "x" + t);
        }
        pos = positions != null ? positions : range(b, t);
        lossGradReady = false;
        hookArena.close();
        hookArena = new org.tinysql.tensor.Arena();
        run();
        return acts.logits.reshape('c', B, T, cfg.vocabSize());
    }

    private static int[][] ones(int b, int t) {
        int[][] m = new int[b][t];
        for (int[] r : m) {
            java.util.Arrays.fill(r, 1);
        }
        return m;
    }

    private static int[][] range(int b, int t) {
        int[][] p = new int[b][t];
        for (int[] r : p) {
            for (int i = 0; i < t; i++) {
                r[i] = i;
            }
        }
        return p;
    }

    private INDArray view(INDArray a, long... shape) {
        return a.reshape('c', shape);
    }

    private void hook(String name, INDArray a, long... shape) {
        if (hooks.hasForward(name)) {
            hooks.fireForward(name, view(a, shape));
        }
    }

    private void run() {
        int C = cfg.dModel(), H = cfg.nHeads(), KV = cfg.nKvHeads(), D = cfg.headDim();
        boolean llama = cfg.family() == ModelConfig.Family.LLAMA;
        Acts a = acts;
        k.embedding(ids, params.get("embed.W_E"), a.embed);
        hook("hook_embed", a.embed, B, T, C);
        INDArray x0 = a.layers[0].residPre;
        if (llama) {
            x0.assign(a.embed);
        } else {
            int[] p = new int[B * T];
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    p[b * T + t] = pos[b][t];
                }
            }
            k.embedding(p, params.get("pos_embed.W_pos"), a.posEmbed);
            hook("hook_pos_embed", a.posEmbed, B, T, C);
            add(a.embed, a.posEmbed, x0);
        }
        float scale = cfg.scaleScores() ? (float) (1.0 / Math.sqrt(D)) : 1f;
        for (int i = 0; i < cfg.nLayers(); i++) {
            Layer l = a.layers[i];
            String p = "blocks." + i + ".";
            hook(p + "hook_resid_pre", l.residPre, B, T, C);
            norm(p + "ln1", l.residPre, l.ln1, l.ln1Mean, l.ln1Rstd);
            k.linear(l.ln1, params.get(p + "attn.W_Q"), params.opt(p + "attn.b_Q"), l.q);
            k.linear(l.ln1, params.get(p + "attn.W_K"), params.opt(p + "attn.b_K"), l.k);
            k.linear(l.ln1, params.get(p + "attn.W_V"), params.opt(p + "attn.b_V"), l.v);
            for (int w = 0; w < 3; w++) {
                String hn = p + "hook_" + QKV[w] + "_input";
                l.split[w] = hooks.hasForward(hn) || hooks.hasBackward(hn)
                        ? perHead.forward(hooks, hn, QKV[w], p, l.residPre, w == 0 ? l.q : w == 1 ? l.k : l.v, B, T, hookArena) : null;
            }
            hook(p + "attn.hook_q", l.q, B, T, H, D);
            hook(p + "attn.hook_k", l.k, B, T, KV, D);
            hook(p + "attn.hook_v", l.v, B, T, KV, D);
            INDArray qUse = l.q;
            INDArray kUse = l.k;
            if (llama) {
                k.rope(l.q, H, pos, invFreq, l.qRot);
                k.rope(l.k, KV, pos, invFreq, l.kRot);
                hook(p + "attn.hook_rot_q", l.qRot, B, T, H, D);
                hook(p + "attn.hook_rot_k", l.kRot, B, T, KV, D);
                qUse = l.qRot;
                kUse = l.kRot;
            }
            k.attentionScores(qUse, kUse, H, KV, mask, cfg.localWindows()[i], scale, 0, l.scores);
            hook(p + "attn.hook_attn_scores", l.scores, B, H, T, T);
            k.softmax(l.scores, l.pattern);
            hook(p + "attn.hook_pattern", l.pattern, B, H, T, T);
            k.attentionApply(l.pattern, l.v, H, KV, l.z);
            hook(p + "attn.hook_z", l.z, B, T, H, D);
            k.linear(l.z, params.get(p + "attn.W_O"), params.opt(p + "attn.b_O"), l.attnOut);
            if (hooks.hasForward(p + "attn.hook_result")) {
                INDArray res = perHead.results(p, l.z, B * T, hookArena);
                hooks.fireForward(p + "attn.hook_result", res.reshape('c', B, T, H, C));
                perHead.sumResults(res, params.opt(p + "attn.b_O"), l.attnOut, B * T);
            }
            hook(p + "hook_attn_out", l.attnOut, B, T, C);
            add(l.residPre, l.attnOut, l.residMid);
            hook(p + "hook_resid_mid", l.residMid, B, T, C);
            INDArray ln2In = l.residMid;
            l.mlpIn = null;
            if (hooks.hasForward(p + "hook_mlp_in") || hooks.hasBackward(p + "hook_mlp_in")) {
                l.mlpIn = hookArena.own(l.residMid.dup('c'));
                hook(p + "hook_mlp_in", l.mlpIn, B, T, C);
                ln2In = l.mlpIn;
            }
            norm(p + "ln2", ln2In, l.ln2, l.ln2Mean, l.ln2Rstd);
            if (llama) {
                k.linear(l.ln2, params.get(p + "mlp.W_gate"), null, l.pre);
                hook(p + "mlp.hook_pre", l.pre, B, T, cfg.dMlp());
                k.linear(l.ln2, params.get(p + "mlp.W_in"), null, l.preLinear);
                hook(p + "mlp.hook_pre_linear", l.preLinear, B, T, cfg.dMlp());
                k.swiglu(l.pre, l.preLinear, l.post);
            } else {
                k.linear(l.ln2, params.get(p + "mlp.W_in"), params.opt(p + "mlp.b_in"), l.pre);
                hook(p + "mlp.hook_pre", l.pre, B, T, cfg.dMlp());
                k.gelu(l.pre, l.post);
            }
            hook(p + "mlp.hook_post", l.post, B, T, cfg.dMlp());
            k.linear(l.post, params.get(p + "mlp.W_out"), params.opt(p + "mlp.b_out"), l.mlpOut);
            hook(p + "hook_mlp_out", l.mlpOut, B, T, C);
            INDArray out = i + 1 < cfg.nLayers() ? a.layers[i + 1].residPre : a.residFinal;
            add(l.residMid, l.mlpOut, out);
            hook(p + "hook_resid_post", out, B, T, C);
        }
        norm("ln_final", a.residFinal, a.lnFinal, a.lnfMean, a.lnfRstd);
        if (logitRows == null) {
            k.linear(a.lnFinal, params.unembed(), null, a.logits);
            a.logitsWritten = null;
        } else {
            unembedRows(a);
        }
    }

    /**
     * Restricts the unembedding to some rows of the next forward passes (flat indices b*T + t; null = all rows, the
     * default). Logits of other rows are left at zero and {@link #backward(INDArray)} reads only these rows of the
     * logits' gradient. Interpretability metrics that read one position per sequence skip most of the vocabulary
     * GEMM this way.
     */
    public void setLogitRows(int[] rows) {
        owner.claim();
        this.logitRows = rows == null ? null : rows.clone();
    }

    private int[] logitRows;

    private void checkLogitRows() {
        boolean[] seen = new boolean[B * T];
        for (int r : logitRows) {
            if (r < 0 || r >= B * T) {
                throw new IllegalArgumentException("logit row " + r + " outside [0, " + (B * T) + ") for a " + B + "x" + T + " batch");
            }
            if (seen[r]) {
                throw new IllegalArgumentException("logit row " + r + " is listed twice");
            }
            seen[r] = true;
        }
    }

    /**
     * Logits of the selected rows only: gather the normed rows, one small GEMM into {@code rowLogits} [r, V], then
     * scatter into the full logits buffer (other rows zero; only rows written last time are cleared).
     */
    private void unembedRows(Acts a) {
        checkLogitRows();
        int C = cfg.dModel(), V = cfg.vocabSize(), r = logitRows.length;
        a.closeRows();
        a.rowLogits = zeros(r, V);
        try (org.tinysql.tensor.Arena z = new org.tinysql.tensor.Arena()) {
            INDArray x = z.zeros(r, C);
            FloatBuffer src = fb(a.lnFinal), dst = fb(x);
            float[] row = new float[Math.max(C, V)];
            for (int i = 0; i < r; i++) {
                src.get(logitRows[i] * C, row, 0, C);
                dst.put(i * C, row, 0, C);
            }
            k.linear(x, params.unembed(), null, a.rowLogits);
            FloatBuffer ly = fb(a.rowLogits), out = fb(a.logits);
            if (a.logitsWritten == null) {
                clear(a.logits);
            } else {
                java.util.Arrays.fill(row, 0f);
                for (int w : a.logitsWritten) {
                    out.put(w * V, row, 0, V);
                }
            }
            for (int i = 0; i < r; i++) {
                ly.get(i * V, row, 0, V);
                out.put(logitRows[i] * V, row, 0, V);
            }
            a.logitsWritten = logitRows.clone();
        }
    }

    /** The selected rows of a full logits gradient [B*T, V], gathered into [r, V]. */
    private INDArray gatherRows(INDArray dl) {
        int V = cfg.vocabSize(), r = logitRows.length;
        INDArray g = zeros(r, V);
        FloatBuffer dlb = fb(dl), gb = fb(g);
        float[] row = new float[V];
        for (int i = 0; i < r; i++) {
            dlb.get(logitRows[i] * V, row, 0, V);
            gb.put(i * V, row, 0, V);
        }
        return g;
    }

    /** Backward of {@link #unembedRows}: dNorm rows += g W_U; dW_U += g^T lnFinal_rows, for g = dLogits rows [r, V]. */
    private void unembedRowsBackward(Acts a, INDArray g, INDArray dNorm) {
        checkLogitRows();
        int C = cfg.dModel(), r = logitRows.length;
        try (org.tinysql.tensor.Arena z = new org.tinysql.tensor.Arena()) {
            INDArray x = z.zeros(r, C);
            INDArray dx = z.zeros(r, C);
            FloatBuffer lf = fb(a.lnFinal), xb = fb(x);
            float[] row = new float[C];
            for (int i = 0; i < r; i++) {
                lf.get(logitRows[i] * C, row, 0, C);
                xb.put(i * C, row, 0, C);
            }
            k.linearBackward(g, x, params.unembed(), dx, cfg.tiedEmbeddings() ? gw("embed.W_E") : gw("unembed.W_U"), null);
            FloatBuffer dxb = fb(dx), dn = fb(dNorm);
            float[] acc = new float[C];
            for (int i = 0; i < r; i++) {
                dxb.get(i * C, row, 0, C);
                dn.get(logitRows[i] * C, acc, 0, C);
                for (int c = 0; c < C; c++) {
                    acc[c] += row[c];
                }
                dn.put(logitRows[i] * C, acc, 0, C);
            }
        }
    }

    /** LayerNorm (GPT) or RMSNorm (LLaMA) with its hook points. */
    private void norm(String prefix, INDArray x, INDArray y, float[] mean, float[] rstd) {
        normPlain(prefix, x, y, mean, rstd);
        String scaleHook = prefix + ".hook_scale";
        if (hooks.hasForward(scaleHook)) {
            INDArray s = zeros(B, T, 1);
            FloatBuffer sb = fb(s);
            float[] before = new float[rstd.length];
            for (int i = 0; i < rstd.length; i++) {
                before[i] = 1f / rstd[i];
            }
            sb.put(0, before);
            hooks.fireForward(scaleHook, s);
            // a plain comparison: INDArray.equals costs milliseconds per call
            float[] after = new float[rstd.length];
            sb.get(0, after);
            if (!java.util.Arrays.equals(before, after)) {
                throw new UnsupportedOperationException(scaleHook + " is read-only: patch hook_normalized instead");
            }
        }
        hook(prefix + ".hook_normalized", y, B, T, cfg.dModel());
    }

    private static void add(INDArray a, INDArray b, INDArray out) {
        int n = (int) a.length();
        float[] av = new float[n];
        float[] bv = new float[n];
        fb(a).get(0, av);
        fb(b).get(0, bv);
        for (int i = 0; i < n; i++) {
            av[i] += bv[i];
        }
        fb(out).put(0, av);
    }

    /**
     * HuggingFace causal-LM loss of the last forward: mean cross-entropy of logits[:, t] against labels[:, t+1]
     * (-100 ignored). With {@code withGrad}, fills the logits' gradient buffer for {@link #backward()}.
     */
    public double loss(int[][] labels, boolean withGrad) {
        owner.claim();
        int[] targets = shiftedTargets(labels);
        double[] r;
        if (logitRows == null) {
            if (withGrad && acts.dLogits == null) {
                acts.dLogits = acts.arena.zeros(B * T, cfg.vocabSize());
            }
            r = k.crossEntropy(acts.logits, targets, withGrad ? acts.dLogits : null, 1f);
        } else {
            // Only the selected rows have logits: every labelled position must be one of them.
            int[] rowTargets = new int[logitRows.length];
            boolean[] selected = new boolean[B * T];
            for (int i = 0; i < logitRows.length; i++) {
                rowTargets[i] = targets[logitRows[i]];
                selected[logitRows[i]] = true;
            }
            for (int i = 0; i < targets.length; i++) {
                if (targets[i] != -100 && !selected[i]) {
                    throw new IllegalArgumentException("position " + (i % T) + " of sequence " + (i / T)
                            + " has a label but no logits: setLogitRows must include every labelled row (b*T + t)");
                }
            }
            if (acts.dRowLogits != null) {
                acts.dRowLogits.close();
            }
            acts.dRowLogits = withGrad ? zeros(logitRows.length, cfg.vocabSize()) : null;
            r = k.crossEntropy(acts.rowLogits, rowTargets, acts.dRowLogits, 1f);
        }
        lossGradReady = withGrad;
        if (r[1] == 0) {
            throw new IllegalArgumentException("no labels to score: every label is -100");
        }
        return r[0] / r[1];
    }

    /**
     * Flat rows b*T + t whose next-token label (labels[b][t+1]) is not -100: the rows a loss needs logits for. Pass
     * them to {@link #setLogitRows} before the forward, and the unembedding skips every prompt and padding row.
     */
    public static int[] labelledRows(int[][] labels) {
        int t = labels[0].length;
        int n = 0;
        for (int[] row : labels) {
            for (int i = 0; i + 1 < t; i++) {
                n += row[i + 1] != -100 ? 1 : 0;
            }
        }
        int[] rows = new int[n];
        n = 0;
        for (int b = 0; b < labels.length; b++) {
            for (int i = 0; i + 1 < t; i++) {
                if (labels[b][i + 1] != -100) {
                    rows[n++] = b * t + i;
                }
            }
        }
        return rows;
    }

    private boolean lossGradReady;

    private int[] shiftedTargets(int[][] labels) {
        if (labels.length != B || labels[0].length != T) {
            throw new IllegalArgumentException("labels are " + labels.length + "x" + labels[0].length + ", the last forward was " + B + "x" + T);
        }
        int[] t = new int[B * T];
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < T; i++) {
                t[b * T + i] = i + 1 < T ? labels[b][i + 1] : -100;
            }
        }
        return t;
    }

    /** Back-propagates the gradient filled by {@link #loss(int[][], boolean)} into {@link #gradients()} (accumulating). */
    public void backward() {
        owner.claim();
        if (!lossGradReady) {
            throw new IllegalStateException("call loss(labels, true) (or backward(dLogits)) after a forward first");
        }
        if (logitRows != null) {
            backwardFrom(null, acts.dRowLogits);
        } else {
            backward(acts.dLogits.reshape('c', B, T, cfg.vocabSize()));
        }
    }

    /** Back-propagates a gradient of the logits [B,T,V] (e.g. of an interpretability metric); grads accumulate. */
    /**
     * Whether {@link #backward} accumulates parameter gradients (default true). Interpretability passes that only
     * need activation gradients (attribution patching, EAP) turn it off: the backward then skips every dW GEMM.
     */
    public void setParameterGradients(boolean on) {
        owner.claim();
        this.paramGrads = on;
    }

    private boolean paramGrads = true;

    private INDArray gw(String name) {
        return paramGrads ? gradients().get(name) : null;
    }

    private INDArray gwo(String name) {
        return paramGrads ? gradients().opt(name) : null;
    }

    public void backward(INDArray dLogitsBTV) {
        owner.claim();
        if (acts == null) {
            throw new IllegalStateException("backward needs a forward pass first");
        }
        if (dLogitsBTV.length() != (long) B * T * cfg.vocabSize()) {
            throw new IllegalArgumentException("dLogits must be [" + B + "," + T + "," + cfg.vocabSize() + "]");
        }
        backwardFrom(dLogitsBTV, null);
    }

    /** The backward pass from a full logits gradient [B,T,V], or (row-restricted unembedding) its rows [r, V]. */
    private void backwardFrom(INDArray dLogitsBTV, INDArray dRows) {
        int C = cfg.dModel(), H = cfg.nHeads(), KV = cfg.nKvHeads(), D = cfg.headDim(), M = cfg.dMlp();
        int n = B * T;
        boolean llama = cfg.family() == ModelConfig.Family.LLAMA;
        Acts a = acts;
        INDArray dl = dLogitsBTV == null ? null : dLogitsBTV.reshape('c', n, cfg.vocabSize());
        if (dl != null && dl.ordering() != 'c') {
            dl = dl.dup('c');
        }
        if (a.dx == null) {
            org.tinysql.tensor.Arena z = a.arena;
            a.dx = z.zeros(n, C);
            a.dNorm = z.zeros(n, C);
            a.dPost = z.zeros(n, M);
            a.dPre = z.zeros(n, M);
            a.dPreLin = llama ? z.zeros(n, M) : null;
            a.dz = z.zeros(n, (long) H * D);
            a.dq = z.zeros(n, (long) H * D);
            a.dk = z.zeros(n, (long) KV * D);
            a.dv = z.zeros(n, (long) KV * D);
            a.dqr = llama ? z.zeros(n, (long) H * D) : null;
            a.dkr = llama ? z.zeros(n, (long) KV * D) : null;
            a.dPat = z.zeros(B, H, T, T);
            a.dScores = z.zeros(B, H, T, T);
        }
        INDArray dx = a.dx, dNorm = a.dNorm, dPost = a.dPost, dPre = a.dPre, dPreLin = a.dPreLin, dz = a.dz, dq = a.dq;
        INDArray dk = a.dk, dv = a.dv, dqr = a.dqr, dkr = a.dkr, dPat = a.dPat, dScores = a.dScores;
        clear(dx);
        clear(dNorm);
        if (logitRows == null) {
            k.linearBackward(dl, a.lnFinal, params.unembed(), dNorm, cfg.tiedEmbeddings() ? gw("embed.W_E") : gw("unembed.W_U"), null);
        } else if (dRows != null) {
            unembedRowsBackward(a, dRows, dNorm);
        } else {
            INDArray g = gatherRows(dl);
            unembedRowsBackward(a, g, dNorm);
            g.close();
        }
        bwdHook("ln_final.hook_normalized", dNorm, B, T, C);
        normBackward("ln_final", dNorm, a.residFinal, a.lnfMean, a.lnfRstd, dx);
        float scale = cfg.scaleScores() ? (float) (1.0 / Math.sqrt(D)) : 1f;
        for (int i = cfg.nLayers() - 1; i >= 0; i--) {
            Layer l = a.layers[i];
            String p = "blocks." + i + ".";
            bwdHook(p + "hook_resid_post", dx, B, T, C);
            // MLP: dx is also the gradient of hook_mlp_out.
            INDArray dMlpOut = hooks.hasBackward(p + "hook_mlp_out") ? dx.dup() : dx;
            bwdHook(p + "hook_mlp_out", dMlpOut, B, T, C);
            clear(dPost);
            k.linearBackward(dMlpOut, l.post, params.get(p + "mlp.W_out"), dPost, gw(p + "mlp.W_out"), gwo(p + "mlp.b_out"));
            bwdHook(p + "mlp.hook_post", dPost, B, T, M);
            clear(dPre);
            clear(dNorm);
            if (llama) {
                clear(dPreLin);
                k.swigluBackward(dPost, l.pre, l.preLinear, dPre, dPreLin);
                bwdHook(p + "mlp.hook_pre", dPre, B, T, M);
                bwdHook(p + "mlp.hook_pre_linear", dPreLin, B, T, M);
                k.linearBackward(dPre, l.ln2, params.get(p + "mlp.W_gate"), dNorm, gw(p + "mlp.W_gate"), null);
                k.linearBackward(dPreLin, l.ln2, params.get(p + "mlp.W_in"), dNorm, gw(p + "mlp.W_in"), null);
            } else {
                k.geluBackward(dPost, l.pre, dPre);
                bwdHook(p + "mlp.hook_pre", dPre, B, T, M);
                k.linearBackward(dPre, l.ln2, params.get(p + "mlp.W_in"), dNorm, gw(p + "mlp.W_in"), gwo(p + "mlp.b_in"));
            }
            bwdHook(p + "ln2.hook_normalized", dNorm, B, T, C);
            if (l.mlpIn != null) {
                INDArray dIn = zeros(n, C);
                normBackward(p + "ln2", dNorm, l.mlpIn, l.ln2Mean, l.ln2Rstd, dIn);
                bwdHook(p + "hook_mlp_in", dIn, B, T, C);
                add(dx, dIn, dx);
                dIn.close();
            } else {
                normBackward(p + "ln2", dNorm, l.residMid, l.ln2Mean, l.ln2Rstd, dx);
            }
            bwdHook(p + "hook_resid_mid", dx, B, T, C);
            // Attention.
            INDArray dAttnOut = hooks.hasBackward(p + "hook_attn_out") ? dx.dup() : dx;
            bwdHook(p + "hook_attn_out", dAttnOut, B, T, C);
            clear(dz);
            if (hooks.hasBackward(p + "attn.hook_result")) {
                k.linearBackward(dAttnOut, l.z, params.get(p + "attn.W_O"), null, null, gwo(p + "attn.b_O"));
                perHead.resultsBackward(hooks, p + "attn.hook_result", p, dAttnOut, l.z, dz, gw(p + "attn.W_O"), B, T);
            } else {
                k.linearBackward(dAttnOut, l.z, params.get(p + "attn.W_O"), dz, gw(p + "attn.W_O"), gwo(p + "attn.b_O"));
            }
            bwdHook(p + "attn.hook_z", dz, B, T, H, D);
            clear(dv);
            k.attentionApplyBackward(dz, l.pattern, l.v, H, KV, dPat, dv);
            bwdHook(p + "attn.hook_pattern", dPat, B, H, T, T);
            k.softmaxBackward(dPat, l.pattern, dScores);
            bwdHook(p + "attn.hook_attn_scores", dScores, B, H, T, T);
            clear(dq);
            clear(dk);
            if (llama) {
                clear(dqr);
                clear(dkr);
                k.attentionScoresBackward(dScores, l.qRot, l.kRot, H, KV, scale, dqr, dkr);
                bwdHook(p + "attn.hook_rot_q", dqr, B, T, H, D);
                bwdHook(p + "attn.hook_rot_k", dkr, B, T, KV, D);
                k.ropeBackward(dqr, H, pos, invFreq, dq);
                k.ropeBackward(dkr, KV, pos, invFreq, dk);
            } else {
                k.attentionScoresBackward(dScores, l.q, l.k, H, KV, scale, dq, dk);
            }
            bwdHook(p + "attn.hook_q", dq, B, T, H, D);
            bwdHook(p + "attn.hook_k", dk, B, T, KV, D);
            bwdHook(p + "attn.hook_v", dv, B, T, KV, D);
            clear(dNorm);
            INDArray[] dAct = {dq, dk, dv};
            for (int w = 0; w < 3; w++) {
                String up = QKV[w].toUpperCase();
                if (l.split[w] != null) {
                    perHead.backward(hooks, p + "hook_" + QKV[w] + "_input", l.split[w], p, dAct[w], dx, paramGrads ? gradients() : null, B, T);
                } else {
                    k.linearBackward(dAct[w], l.ln1, params.get(p + "attn.W_" + up), dNorm, gw(p + "attn.W_" + up), gwo(p + "attn.b_" + up));
                }
            }
            bwdHook(p + "ln1.hook_normalized", dNorm, B, T, C);
            normBackward(p + "ln1", dNorm, l.residPre, l.ln1Mean, l.ln1Rstd, dx);
            bwdHook(p + "hook_resid_pre", dx, B, T, C);
        }
        bwdHook("hook_embed", dx, B, T, C);
        if (paramGrads) {
            k.embeddingBackward(dx, ids, gw("embed.W_E"));
        }
        if (!llama) {
            bwdHook("hook_pos_embed", dx, B, T, C);
            int[] p = new int[n];
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    p[b * T + t] = pos[b][t];
                }
            }
            if (paramGrads) {
                k.embeddingBackward(dx, p, gw("pos_embed.W_pos"));
            }
        }
    }

    private void normBackward(String prefix, INDArray dy, INDArray x, float[] mean, float[] rstd, INDArray dx) {
        if (cfg.family() == ModelConfig.Family.GPT) {
            k.layerNormBackward(dy, x, params.get(prefix + ".w"), mean, rstd, dx, gw(prefix + ".w"), gw(prefix + ".b"));
        } else {
            k.rmsNormBackward(dy, x, params.get(prefix + ".w"), rstd, dx, gw(prefix + ".w"));
        }
    }

    private void bwdHook(String name, INDArray grad, long... shape) {
        if (hooks.hasBackward(name)) {
            hooks.fireBackward(name, grad.reshape('c', shape));
        }
    }

    private static void clear(INDArray a) {
        fb(a).put(0, new float[(int) a.length()]);
    }

    /** Sets every parameter gradient to zero. */
    public void zeroGrad() {
        owner.claim();
        gradients().zero();
    }

    /**
     * Key/value cache for incremental decoding: per layer k and v [B, capacity, KV, D] (after RoPE for LLaMA), the
     * key mask [B][capacity] and the number of filled positions.
     */
    public static final class KvCache implements AutoCloseable {
        final INDArray[] k;
        final INDArray[] v;
        final int[][] keyMask;
        final int batch;
        final int capacity;
        int length;

        KvCache(ModelConfig cfg, int batch, int capacity) {
            this.batch = batch;
            this.capacity = capacity;
            k = new INDArray[cfg.nLayers()];
            v = new INDArray[cfg.nLayers()];
            for (int i = 0; i < cfg.nLayers(); i++) {
                k[i] = zeros(batch, capacity, cfg.nKvHeads(), cfg.headDim());
                v[i] = zeros(batch, capacity, cfg.nKvHeads(), cfg.headDim());
            }
            keyMask = new int[batch][capacity];
        }

        public int length() {
            return length;
        }

        public int capacity() {
            return capacity;
        }

        /** Frees the cache's off-heap memory now. */
        @Override
        public void close() {
            for (int i = 0; i < k.length; i++) {
                k[i].close();
                v[i].close();
            }
        }
    }

    /** A new, empty KV cache for {@code batch} sequences of up to {@code capacity} tokens. */
    public KvCache newCache(int batch, int capacity) {
        if (cfg.family() == ModelConfig.Family.GPT && capacity > cfg.maxPositions()) {
            throw new IllegalArgumentException("capacity " + capacity + " exceeds max_position_embeddings " + cfg.maxPositions());
        }
        return new KvCache(cfg, batch, capacity);
    }

    /**
     * Incremental forward: runs {@code tokens} [B][Tq] at the next positions of {@code cache}, appends their keys and
     * values, and returns the logits [B, Tq, V] (a fresh array). {@code mask} [B][Tq] marks padding (0) among the new
     * tokens; {@code positions} [B][Tq] are their position ids. Hooks are not run on this path.
     */
    public INDArray forwardCached(int[][] tokens, int[][] mask, int[][] positions, KvCache cache) {
        owner.claim();
        int b = tokens.length;
        int tq = tokens[0].length;
        if (b != cache.batch) {
            throw new IllegalArgumentException("batch " + b + " does not match the cache's " + cache.batch);
        }
        if (cache.length + tq > cache.capacity) {
            throw new IllegalArgumentException("KV cache full: " + cache.length + " + " + tq + " > " + cache.capacity);
        }
        int n = b * tq;
        int[] flat = new int[n];
        int[] flatPos = new int[n];
        for (int i = 0; i < b; i++) {
            System.arraycopy(tokens[i], 0, flat, i * tq, tq);
            System.arraycopy(positions[i], 0, flatPos, i * tq, tq);
            for (int t = 0; t < tq; t++) {
                cache.keyMask[i][cache.length + t] = mask[i][t];
            }
        }
        try (org.tinysql.tensor.Arena z = new org.tinysql.tensor.Arena()) {
            return cachedPass(z, flat, flatPos, positions, cache, b, tq);
        }
    }

    private INDArray cachedPass(org.tinysql.tensor.Arena z, int[] flat, int[] flatPos, int[][] positions, KvCache cache, int b, int tq) {
        int C = cfg.dModel(), H = cfg.nHeads(), KV = cfg.nKvHeads(), D = cfg.headDim(), M = cfg.dMlp();
        int n = b * tq;
        boolean llama = cfg.family() == ModelConfig.Family.LLAMA;
        INDArray x = z.zeros(n, C);
        k.embedding(flat, params.get("embed.W_E"), x);
        if (!llama) {
            INDArray pe = z.zeros(n, C);
            k.embedding(flatPos, params.get("pos_embed.W_pos"), pe);
            add(x, pe, x);
        }
        INDArray h = z.zeros(n, C), q = z.zeros(n, (long) H * D), kk = z.zeros(n, (long) KV * D), vv = z.zeros(n, (long) KV * D);
        INDArray scores = z.zeros(b, H, tq, cache.capacity), pat = z.zeros(b, H, tq, cache.capacity), zz = z.zeros(n, (long) H * D);
        INDArray attn = z.zeros(n, C), pre = z.zeros(n, M), lin = llama ? z.zeros(n, M) : null, post = z.zeros(n, M), out = z.zeros(n, C);
        float[] mean = new float[n], rstd = new float[n];
        float scale = cfg.scaleScores() ? (float) (1.0 / Math.sqrt(D)) : 1f;
        for (int i = 0; i < cfg.nLayers(); i++) {
            String p = "blocks." + i + ".";
            normPlain(p + "ln1", x, h, mean, rstd);
            k.linear(h, params.get(p + "attn.W_Q"), params.opt(p + "attn.b_Q"), q);
            k.linear(h, params.get(p + "attn.W_K"), params.opt(p + "attn.b_K"), kk);
            k.linear(h, params.get(p + "attn.W_V"), params.opt(p + "attn.b_V"), vv);
            if (llama) {
                k.rope(q, H, positions, invFreq, q);
                k.rope(kk, KV, positions, invFreq, kk);
            }
            FloatBuffer kc = fb(cache.k[i]), vc = fb(cache.v[i]), kb = fb(kk), vb = fb(vv);
            int row = KV * D;
            for (int bi = 0; bi < b; bi++) {
                for (int t = 0; t < tq; t++) {
                    int dst = (bi * cache.capacity + cache.length + t) * row;
                    int src = (bi * tq + t) * row;
                    for (int e = 0; e < row; e++) {
                        kc.put(dst + e, kb.get(src + e));
                        vc.put(dst + e, vb.get(src + e));
                    }
                }
            }
            k.attentionScores(q, cache.k[i], H, KV, cache.keyMask, cfg.localWindows()[i], scale, cache.length, scores);
            k.softmax(scores, pat);
            k.attentionApply(pat, cache.v[i], H, KV, zz);
            k.linear(zz, params.get(p + "attn.W_O"), params.opt(p + "attn.b_O"), attn);
            add(x, attn, x);
            normPlain(p + "ln2", x, h, mean, rstd);
            if (llama) {
                k.linear(h, params.get(p + "mlp.W_gate"), null, pre);
                k.linear(h, params.get(p + "mlp.W_in"), null, lin);
                k.swiglu(pre, lin, post);
            } else {
                k.linear(h, params.get(p + "mlp.W_in"), params.opt(p + "mlp.b_in"), pre);
                k.gelu(pre, post);
            }
            k.linear(post, params.get(p + "mlp.W_out"), params.opt(p + "mlp.b_out"), out);
            add(x, out, x);
        }
        normPlain("ln_final", x, h, mean, rstd);
        INDArray logits = zeros(n, cfg.vocabSize());
        k.linear(h, params.unembed(), null, logits);
        cache.length += tq;
        return logits.reshape('c', b, tq, cfg.vocabSize());
    }

    private void normPlain(String prefix, INDArray x, INDArray y, float[] mean, float[] rstd) {
        if (cfg.family() == ModelConfig.Family.GPT) {
            k.layerNorm(x, params.get(prefix + ".w"), params.get(prefix + ".b"), y, mean, rstd, cfg.normEps());
        } else {
            k.rmsNorm(x, params.get(prefix + ".w"), y, rstd, cfg.normEps());
        }
    }

    /**
     * Runs a forward pass and returns copies of the activations whose hook names pass {@code filter}, in
     * TransformerLens shapes, plus the logits under "logits".
     */
    public Map<String, INDArray> runWithCache(int[][] tokens, int[][] attentionMask, Predicate<String> filter) {
        owner.claim();
        Map<String, INDArray> cache = new LinkedHashMap<>();
        java.util.List<Hooks.Handle> handles = new java.util.ArrayList<>();
        for (String name : HookPoints.names(cfg)) {
            if (filter.test(name)) {
                handles.add(hooks.addForward(name, (act, nm) -> {
                    cache.put(nm, act.dup('c'));
                    return null;
                }));
            }
        }
        try {
            INDArray logits = forward(tokens, attentionMask);
            cache.put("logits", logits.dup('c'));
        } finally {
            handles.forEach(Hooks.Handle::close);
        }
        return cache;
    }

    /** Runs a forward pass with extra forward hooks that are removed afterwards; returns a copy of the logits. */
    public INDArray runWithHooks(int[][] tokens, int[][] attentionMask, Map<String, Hooks.Forward> fwdHooks) {
        owner.claim();
        java.util.List<Hooks.Handle> handles = new java.util.ArrayList<>();
        try {
            fwdHooks.forEach((name, h) -> handles.add(hooks.addForward(name, h)));
            return forward(tokens, attentionMask).dup('c');
        } finally {
            handles.forEach(Hooks.Handle::close);
        }
    }
}
