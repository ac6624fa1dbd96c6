package org.tinysql.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.ArrayPool;
import org.tinysql.tensor.CpuKernels;
import org.tinysql.tensor.Kernels;

/**
 * A decoder-only transformer (GPT-Neo, GPT-2, Llama, Qwen2 checkpoints) with hand-written forward and backward
 * passes and TransformerLens hook points on every activation. This class is the facade; the work is done by
 * {@link ForwardPass} (embeddings, {@link Block}s, final norm, {@link Unembedding}), {@link BackwardPass} and
 * {@link ModelOps}, over buffers from a {@link BufferPool}; see docs/ARCHITECTURE.md.
 *
 * <p>The activations of the last forward are kept for {@link #backward}; logits returned by {@link #forward} are a
 * view of an internal buffer, valid until the next forward. So the object is not thread-safe: it belongs to the
 * thread that last ran it until that thread calls {@link #release()} or ends, and a call from another thread
 * meanwhile throws {@link java.util.ConcurrentModificationException} (after waiting up to a second for the owner to
 * end). Use one instance per thread; {@code new Transformer(model.parameters())} shares the weights.
 */
public final class Transformer {
    private final ModelConfig cfg;
    private final Parameters params;
    private final Kernels kernels;
    private final ModelOps ops;
    private final Hooks hooks;
    private final BufferPool pool;
    private final ArrayPool arrayPool;
    private final ForwardPass forwardPass;
    private final BackwardPass backwardPass;
    private final Unembedding unembedding;
    private final ThreadOwner owner = new ThreadOwner();
    private Parameters grads;
    private boolean paramGrads = true;
    private int[] logitRows;
    /** The last forward pass (what backward differentiates), or null. */
    private Pass last;
    private boolean lossGradReady;
    /** Arrays of the per-head hook points (recycled), given back at the next forward unless a cache took them. */
    private Arena hookArena;

    /**
     * A model over these weights on the CPU backend ({@link CpuKernels}); the weights are shared, not copied.
     * @param params the weights and their config
     */
    public Transformer(Parameters params) {
        this(params, new CpuKernels());
    }

    /**
     * A model over these weights on a given compute backend; the weights are shared, not copied.
     * @param params the weights and their config, arrays that {@code kernels} can read
     * @param kernels the backend every pass of this model runs on
     */
    public Transformer(Parameters params, Kernels kernels) {
        this.cfg = params.config();
        this.params = params;
        this.kernels = kernels;
        this.ops = new ModelOps(params, kernels);
        this.hooks = new Hooks(cfg);
        this.pool = new BufferPool(cfg, kernels);
        this.arrayPool = new ArrayPool(kernels);
        this.hookArena = new Arena(arrayPool);
        PerHeadHooks perHead = new PerHeadHooks(ops);
        Block block = new Block(ops, perHead);
        this.unembedding = new Unembedding(ops);
        this.forwardPass = new ForwardPass(ops, block, unembedding);
        this.backwardPass = new BackwardPass(ops, perHead, block, unembedding);
    }

    /**
     * Loads a HuggingFace checkpoint folder (config.json + safetensors).
     * @param dir the checkpoint folder
     * @return a model on the CPU backend
     * @throws IOException when a file cannot be read or the checkpoint is invalid ({@code CheckpointFormatException})
     */
    public static Transformer fromPretrained(Path dir) throws IOException {
        return new Transformer(HfCheckpoint.load(dir));
    }

    /**
     * The shape and components of this model.
     * @return the config of {@link #parameters()}
     */
    public ModelConfig config() {
        return cfg;
    }

    /**
     * The weights this model runs (shared with other instances made from them).
     * @return the live parameters: changes to them change this model
     */
    public Parameters parameters() {
        return params;
    }

    /**
     * The compute backend this model runs on.
     * @return the backend given at construction ({@link CpuKernels} by default)
     */
    public Kernels kernels() {
        return kernels;
    }

    /**
     * The model's norms, projections and unembedding on its own backend (for interpretability code).
     * @return the operations object of this model, sharing its weights and backend
     */
    public ModelOps ops() {
        return ops;
    }

    /**
     * Gradients of every parameter (same names and shapes), allocated on first use.
     * @return the gradient accumulators, shared across calls
     */
    public Parameters gradients() {
        if (grads == null) {
            grads = Parameters.zeros(cfg);
        }
        return grads;
    }

    /** Sets every parameter gradient to zero. */
    public void zeroGrad() {
        owner.claim();
        gradients().zero();
    }

    /**
     * Frees the activation buffers and released arrays this model keeps for its next passes (up to about 1.5 GiB of
     * off-heap memory, otherwise held until the model is garbage-collected): call it when a long-lived program is done
     * with a model, or between phases with very different shapes. The model stays usable; the next pass allocates
     * afresh and cannot be differentiated into the last one's ({@link #backward} needs a new forward).
     */
    public void freeBuffers() {
        owner.claim();
        last = null;
        hookArena.close();
        pool.close();
        arrayPool.clear();
        hookArena = new Arena(arrayPool);
    }

    /** Lets another thread run the model next (see the class comment), once the last forward's results are not needed. */
    public void release() {
        owner.release();
    }

    /**
     * The persistent hook registry (hooks stay until their handle is closed or {@link Hooks#clear()}).
     * @return the registry of this model
     */
    public Hooks hooks() {
        return hooks;
    }

    /**
     * Runs the model over token ids [B][T] with an attention mask [B][T] (1 = real token, 0 = padding key; null =
     * all ones). Several sequences can share a row: number them 1, 2, ... in the mask and pass their positions (see
     * {@link #forward(int[][], int[][], int[][])}); tokens then attend only within their own sequence.
     *
     * <p><b>The result is a view of a buffer that the next forward pass of this model overwrites</b> (no copy, no
     * allocation: analyses run thousands of passes). Read it before the next call, or keep it with {@code dup()}, or
     * call {@link #logits} for an array of your own.
     * @param tokens the token ids [B][T], each in [0, V)
     * @param attentionMask the mask [B][T] (0 padding, else the sequence number within the row), or null for all ones
     * @return the logits [B, T, V], a view valid until the next forward
     */
    public INDArray forward(int[][] tokens, int[][] attentionMask) {
        return forward(tokens, attentionMask, null);
    }

    /**
     * As {@link #forward(int[][], int[][])}, but the logits are a new array that stays valid (one copy of B*T*V
     * floats).
     * @param tokens the token ids [B][T], each in [0, V)
     * @param attentionMask the mask [B][T] (0 padding, else the sequence number within the row), or null for all ones
     * @return the logits [B, T, V], owned by the caller
     */
    public INDArray logits(int[][] tokens, int[][] attentionMask) {
        return forward(tokens, attentionMask, null).dup();
    }

    /**
     * As {@link #forward(int[][], int[][])} with explicit position ids [B][T] (null: 0..T-1).
     * @param tokens the token ids [B][T], each in [0, V)
     * @param attentionMask the mask [B][T] (0 padding, else the sequence number within the row), or null for all ones
     * @param positions the position ids [B][T], or null for 0..T-1 in every row
     * @return the logits [B, T, V], a view valid until the next forward
     */
    public INDArray forward(int[][] tokens, int[][] attentionMask, int[][] positions) {
        return forward(tokens, attentionMask, positions, logitRows);
    }

    private INDArray forward(int[][] tokens, int[][] attentionMask, int[][] positions, int[] rows) {
        ActivationBuffers acts = run(tokens, attentionMask, positions, rows, true);
        return unembedding.fullLogits(acts, rows).reshape('c', acts.batch, acts.time, cfg.vocabSize());
    }

    /** The forward pass, logits left where the unembedding wrote them; tiled: attention on AttentionSpans' tiles. */
    private ActivationBuffers run(int[][] tokens, int[][] attentionMask, int[][] positions, int[] rows, boolean tiled) {
        owner.claim();
        int b = tokens.length;
        int t = Pass.checkTokens(cfg, tokens);
        int[][] mask = attentionMask != null ? attentionMask : Pass.ones(b, t);
        if (mask.length != b || mask[0].length != t) {
            throw new IllegalArgumentException("attention mask is " + mask.length + "x" + mask[0].length + ", tokens are " + b + "x" + t);
        }
        ActivationBuffers acts = pool.get(b, t, t, null); // this pass replaces the last: its buffers are free
        hookArena.close();
        hookArena = new Arena(arrayPool);
        lossGradReady = false;
        last = new Pass(tokens, mask, positions != null ? positions : Pass.range(b, t), acts, hooks, hookArena, null, rows, tiled);
        forwardPass.run(last, rows);
        return acts;
    }

    /**
     * A training or validation step's forward and loss in one: logits only of the rows with a label (the response
     * tokens; no [B*T, V] buffer), then the HuggingFace causal-LM loss of {@link #loss}; with {@code withGrad},
     * {@link #backward()} follows. {@link #setLogitRows} does not apply.
     * @param tokens the token ids [B][T], each in [0, V)
     * @param attentionMask the mask [B][T] (0 padding, else the sequence number within the row), or null for all ones
     * @param positions the position ids [B][T], or null for 0..T-1 in every row
     * @param labels the labels [B][T], aligned with tokens (-100 = not scored); at least one must be scored
     * @param withGrad whether to fill the logits' gradient for {@link #backward()}
     * @return the mean cross-entropy over the scored tokens, in nats
     */
    public double forwardLoss(int[][] tokens, int[][] attentionMask, int[][] positions, int[][] labels, boolean withGrad) {
        int[] rows = labelledRows(labels);
        if (rows.length == 0) {
            throw new IllegalArgumentException("no labels to score: every label is -100");
        }
        run(tokens, attentionMask, positions, rows, true);
        return loss(labels, withGrad);
    }

    /**
     * Restricts the unembedding to some rows of the next forward passes (flat indices b*T + t; null = all rows, the
     * default). Logits of other rows are left at zero and {@link #backward(INDArray)} reads only these rows of the
     * logits' gradient: metrics that read one position per sequence skip most of the vocabulary GEMM.
     * @param rows the flat row indices b*T + t to unembed, or null for every row; copied
     */
    public void setLogitRows(int[] rows) {
        owner.claim();
        this.logitRows = rows == null ? null : rows.clone();
    }

    /**
     * Flat rows b*T + t whose next-token label (labels[b][t+1]) is not -100: the rows a loss needs logits for. Pass
     * them to {@link #setLogitRows} before the forward, and the unembedding skips every prompt and padding row.
     * @param labels the labels [B][T], aligned with the tokens (-100 = not scored)
     * @return the flat row indices, in increasing order
     */
    public static int[] labelledRows(int[][] labels) {
        return Unembedding.labelledRows(labels);
    }

    /**
     * HuggingFace causal-LM loss of the last forward: mean cross-entropy of logits[:, t] against labels[:, t+1]
     * (-100 ignored). With {@code withGrad}, fills the logits' gradient buffer for {@link #backward()}.
     * @param labels the labels [B][T] of the last forward's tokens (-100 = not scored)
     * @param withGrad whether to fill the logits' gradient for {@link #backward()}
     * @return the mean cross-entropy over the scored tokens, in nats
     */
    public double loss(int[][] labels, boolean withGrad) {
        owner.claim();
        Pass p = lastPass();
        if (labels.length != p.batch || labels[0].length != p.time) {
            throw new IllegalArgumentException("labels are " + labels.length + "x" + labels[0].length + ", the last forward was "
                    + p.batch + "x" + p.time);
        }
        lossGradReady = false;
        double loss = unembedding.loss(p.acts, Unembedding.shiftedTargets(labels), p.logitRows, withGrad);
        lossGradReady = withGrad;
        return loss;
    }

    /** Back-propagates the gradient filled by {@link #loss(int[][], boolean)} into {@link #gradients()} (accumulating). */
    public void backward() {
        owner.claim();
        if (!lossGradReady) {
            throw new IllegalStateException("call loss(labels, true) (or backward(dLogits)) after a forward first");
        }
        Pass p = lastPass();
        if (p.logitRows != null) {
            backwardPass.run(p, null, p.acts.dRowLogits, p.logitRows, paramGrads ? gradients() : null);
        } else {
            backward(p.acts.dLogits().reshape('c', p.batch, p.time, cfg.vocabSize()));
        }
    }

    /**
     * Whether {@link #backward} accumulates parameter gradients (default true). Interpretability passes that only
     * need activation gradients (attribution patching, EAP) turn it off: the backward then skips every dW GEMM.
     * @param on true to accumulate parameter gradients, false to compute activation gradients only
     */
    public void setParameterGradients(boolean on) {
        owner.claim();
        this.paramGrads = on;
    }

    /**
     * Activation recomputation (gradient checkpointing) per block, off by default: passes keep only each block's
     * input and the backward recomputes the rest, so a training step holds one block's activations instead of all.
     * For training only: a pass with hooks is refused while it is on.
     * @param on true to recompute block activations in the backward, false to keep them all
     */
    public void setRecompute(boolean on) {
        owner.claim();
        pool.recompute(on);
    }

    /**
     * Back-propagates a gradient of the logits [B,T,V] (e.g. of an interpretability metric); grads accumulate.
     * @param dLogitsBTV the gradient of the metric with respect to the last forward's logits, [B, T, V]
     */
    public void backward(INDArray dLogitsBTV) {
        owner.claim();
        Pass p = lastPass();
        if (dLogitsBTV.length() != (long) p.rows() * cfg.vocabSize()) {
            throw new IllegalArgumentException("dLogits must be [" + p.batch + "," + p.time + "," + cfg.vocabSize() + "]");
        }
        INDArray dl = dLogitsBTV.reshape('c', p.rows(), cfg.vocabSize());
        backwardPass.run(p, dl.ordering() == 'c' ? dl : dl.dup('c'), null, p.logitRows, paramGrads ? gradients() : null);
    }

    private void backwardRows(Pass p, INDArray dRows) {
        backwardPass.run(p, null, Unembedding.checkRowGradient(p.logitRows, dRows, cfg.vocabSize()), p.logitRows,
                paramGrads ? gradients() : null);
    }

    /** The logits of a {@link #run}'s pass: every row [B,T,V] (filled on first use after a row-restricted pass). */
    INDArray logitsOf(Pass p) {
        checkLast(p, "read this run's logits");
        return unembedding.fullLogits(p.acts, p.logitRows).reshape('c', p.batch, p.time, cfg.vocabSize());
    }

    /** The last pass's activation buffers (tests). */
    ActivationBuffers lastBuffers() {
        return lastPass().acts;
    }

    private Pass lastPass() {
        if (last == null) {
            throw new IllegalStateException("backward needs a forward pass first");
        }
        return last;
    }

    /**
     * A new, empty KV cache for {@code batch} sequences of up to {@code capacity} tokens.
     * @param batch B, the number of sequences decoded together
     * @param capacity the most tokens (prompt and generated) each sequence may hold
     * @return a new cache on this model's backend
     */
    public KvCache newCache(int batch, int capacity) {
        return new KvCache(cfg, kernels, batch, capacity);
    }

    /**
     * Incremental forward: runs {@code tokens} [B][Tq] at the next positions of {@code cache}, appends their keys and
     * values, and returns the logits [B, Tq, V] (a fresh array). {@code mask} [B][Tq] marks padding (0) among the new
     * tokens; {@code positions} [B][Tq] are their position ids. The same blocks as {@link #forward}; the registered
     * hooks run on this path only if all are {@link Hooks.PositionalForward} (see {@link Hooks#decodable()}).
     * @param tokens the new token ids [B][Tq]
     * @param mask the padding mask [B][Tq] of the new tokens (0 = padding)
     * @param positions the position ids [B][Tq] of the new tokens
     * @param cache the cache of the earlier tokens, extended by these
     * @return the logits [B, Tq, V], a fresh array
     */
    public INDArray forwardCached(int[][] tokens, int[][] mask, int[][] positions, KvCache cache) {
        ActivationBuffers acts = runCached(tokens, mask, positions, cache, null);
        return acts.logits().reshape('c', acts.batch, acts.time, cfg.vocabSize()).dup('c');
    }

    /**
     * As {@link #forwardCached}, returning only the logits of each row's last new token [B, V] (a fresh array): what
     * decoding needs, without the unembedding of every prompt position.
     * @param tokens the new token ids [B][Tq]
     * @param mask the padding mask [B][Tq] of the new tokens (0 = padding)
     * @param positions the position ids [B][Tq] of the new tokens
     * @param cache the cache of the earlier tokens, extended by these
     * @return the logits [B, V] of each row's last new token, a fresh array
     */
    public INDArray forwardCachedLast(int[][] tokens, int[][] mask, int[][] positions, KvCache cache) {
        return runCached(tokens, mask, positions, cache, Pass.lastRows(tokens.length, Pass.checkTokens(cfg, tokens))).rowLogits.dup('c');
    }

    /**
     * As {@link #forwardCachedLast}, copying the logits [B, V] into {@code out} (row-major, at least B*V floats) instead
     * of a new array: the decoding loop's step, which then allocates nothing.
     */
    void forwardCachedLast(int[][] tokens, int[][] mask, int[][] positions, KvCache cache, float[] out) {
        kernels.read(runCached(tokens, mask, positions, cache, Pass.lastRows(tokens.length, Pass.checkTokens(cfg, tokens))).rowLogits,
                out);
    }

    private ActivationBuffers runCached(int[][] tokens, int[][] mask, int[][] positions, KvCache cache, int[] rows) {
        owner.claim();
        int tq = Pass.checkTokens(cfg, tokens);
        cache.begin(mask);
        // The last forward stays differentiable unless its own set serves this shape.
        ActivationBuffers acts = pool.get(tokens.length, tq, cache.capacity(), last == null ? null : last.acts);
        if (last != null && last.acts == acts) {
            last = null; // these buffers are about to change: the earlier forward can no longer be differentiated
        }
        // Positional hooks run on this path too (a plain hook would misread the new positions as the whole sequence);
        // their per-head arrays live in an arena of this pass only, since the last full pass may still be differentiated
        boolean hooked = !hooks.isEmpty() && hooks.decodable();
        try (Arena arena = hooked ? new Arena(arrayPool) : null) {
            forwardPass.run(new Pass(tokens, mask, positions, acts, hooked ? hooks : null, arena, cache, rows, false), rows);
        }
        cache.advance(tq);
        return acts;
    }

    /**
     * Runs the forward pass a {@link RunSpec} describes (its edits active for this run only) and returns the
     * activations it asked for, valid until the cache is closed (close it: its arrays are recycled, see
     * {@link CacheArrays}); {@link ActivationCache#backward} then runs this pass's backward.
     * @param spec the tokens, the hook points to cache and keep gradients of, and the edits of this run
     * @return the cache of the run; the caller must close it
     */
    public ActivationCache run(RunSpec spec) {
        owner.claim();
        ActivationCache cache = new ActivationCache(this, spec, new CacheArrays(pool, arrayPool));
        List<Hooks.Handle> handles = new ArrayList<>();
        try {
            spec.edits().forEach((name, edits) -> edits.forEach(e -> handles.add(hooks.addForward(name, e))));
            for (String name : HookPoints.names(cfg)) {
                if (spec.caches(name)) {
                    handles.add(hooks.addForward(name, (a, nm) -> {
                        cache.put(nm, a);
                        return null;
                    }));
                }
            }
            // attention on the mask's tiles only, unless this run's backward reads the scores or patterns
            boolean tiled = HookPoints.names(cfg).stream().filter(HookName::isAttentionArray)
                    .noneMatch(n -> spec.keepsGrad(n) || spec.gradEdits().containsKey(n));
            run(spec.tokens(), spec.mask(), spec.positions(), spec.logitRows(), tiled);
            hookArena = cache.finishForward(last) ? new Arena(arrayPool) : hookArena; // the cache took the hook arrays
            return cache;
        } catch (RuntimeException | Error e) {
            cache.close();
            throw e;
        } finally {
            handles.forEach(Hooks.Handle::close);
        }
    }

    /** Fails unless {@code p} is still the last forward pass (its buffers unchanged). */
    void checkLast(Pass p, String what) {
        if (p != last) {
            throw new IllegalStateException("cannot " + what + ": the model ran another forward pass since this run");
        }
    }

    /** The backward of a {@link #run} from [B,T,V] (or, with {@code rowsOnly}, the spec's logit rows' [r, V]) logit gradients. */
    void backward(ActivationCache cache, INDArray dLogits, boolean rowsOnly) {
        owner.claim();
        Pass p = cache.pass();
        checkLast(p, "run this run's backward");
        RunSpec spec = cache.spec();
        List<Hooks.Handle> handles = new ArrayList<>();
        boolean before = paramGrads;
        try {
            spec.gradEdits().forEach((name, edits) -> edits.forEach(e -> handles.add(hooks.addBackward(name, e))));
            for (String name : HookPoints.names(cfg)) {
                if (spec.keepsGrad(name)) {
                    handles.add(hooks.addBackward(name, (g, nm) -> {
                        cache.putGrad(nm, g);
                        return null;
                    }));
                }
            }
            paramGrads = spec.parameterGradients();
            if (rowsOnly) {
                backwardRows(p, dLogits);
            } else {
                backward(dLogits);
            }
        } finally {
            paramGrads = before;
            handles.forEach(Hooks.Handle::close);
        }
    }

    /** Fresh copies of a forward's activations whose hook names pass {@code filter} (TransformerLens shapes), and its
     * "logits"; {@link #run(RunSpec)} copies nothing and recycles its arrays (prefer it).
     * @param tokens the token ids [B][T], each in [0, V)
     * @param attentionMask the mask [B][T] (0 = padding), or null for all ones
     * @param filter selects the hook names to copy (see {@link HookName})
     * @return hook name to a fresh copy of its activation, in forward order, then "logits" [B, T, V]
     */
    public Map<String, INDArray> runWithCache(int[][] tokens, int[][] attentionMask, Predicate<String> filter) {
        Map<String, INDArray> cache = new LinkedHashMap<>();
        Map<String, Hooks.Forward> keep = new LinkedHashMap<>();
        HookPoints.names(cfg).stream().filter(filter).forEach(name -> keep.put(name, (act, nm) -> {
            cache.put(nm, act.dup('c'));
            return null;
        }));
        cache.put("logits", runWithHooks(tokens, attentionMask, keep));
        return cache;
    }

    /**
     * Runs a forward pass with extra forward hooks that are removed afterwards; returns a copy of the logits.
     * @param tokens the token ids [B][T], each in [0, V)
     * @param attentionMask the mask [B][T] (0 = padding), or null for all ones
     * @param fwdHooks hook name to the forward hook to run there
     * @return a fresh copy of the logits [B, T, V]
     */
    public INDArray runWithHooks(int[][] tokens, int[][] attentionMask, Map<String, Hooks.Forward> fwdHooks) {
        owner.claim();
        List<Hooks.Handle> handles = new ArrayList<>();
        try {
            fwdHooks.forEach((name, h) -> handles.add(hooks.addForward(name, h)));
            return forward(tokens, attentionMask).dup('c');
        } finally {
            handles.forEach(Hooks.Handle::close);
        }
    }
}
