package org.tinysql.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.ArrayPool;
import org.tinysql.tensor.Kernels;

/**
 * Where the arrays of an {@link ActivationCache} live, so that a run allocates nothing new in steady state. During
 * the forward the cache keeps views of the pass's own buffers (every buffer of a pass is written once per forward,
 * and the backward only reads them). After the forward it settles:
 * <ul>
 *   <li>when the cached activations are a large part of the pass's buffers (a quarter or more: caching every hook
 *   point, as TransformerLens's run_with_cache does), it takes the buffers themselves from the model's
 *   {@link BufferPool} (and the pass's per-head hook arrays): no copy at all, and the model runs its next forward in
 *   another set of buffers; closing the cache hands them back to the pool;</li>
 *   <li>otherwise it copies the views into arrays of the model's {@link ArrayPool}, returned there on close.</li>
 * </ul>
 * Kept gradients are copied into pooled arrays too (backward work buffers are shared between layers).
 */
final class CacheArrays implements AutoCloseable {
    /** Take the pass's buffers when the cached activations are at least 1/ADOPT of their bytes. */
    static final int ADOPT = 4;

    private final BufferPool buffers;
    private final ArrayPool pool;
    private final Kernels kernels;
    final Map<String, INDArray> acts = new LinkedHashMap<>();
    final Map<String, INDArray> grads = new LinkedHashMap<>();
    private final List<INDArray> pooled = new ArrayList<>();
    private ActivationBuffers taken;
    private Arena takenHooks;

    CacheArrays(BufferPool buffers, ArrayPool pool) {
        this.buffers = buffers;
        this.pool = pool;
        this.kernels = pool.kernels();
    }

    /** Keeps a view of a pass's activation (valid until {@link #settle}). */
    void putView(String name, INDArray view) {
        acts.put(name, view);
    }

    /** Keeps a pooled copy of a gradient (replacing an earlier one of the same name). */
    void putGrad(String name, INDArray gradient) {
        INDArray old = grads.put(name, copy(gradient));
        if (old != null) {
            pooled.remove(old);
            pool.give(old);
        }
    }

    /**
     * Right after pass {@code p}'s forward: takes its buffers, or copies the views. Returns whether the cache took the
     * pass's hook arena (the model then needs a new one).
     */
    boolean settle(Pass p) {
        if (acts.isEmpty()) {
            return false;
        }
        long cached = 0;
        for (INDArray a : acts.values()) {
            cached += a.length() * a.dataType().width();
        }
        if (cached * ADOPT >= p.acts.bytes()) {
            buffers.detach(p.acts);
            taken = p.acts;
            takenHooks = p.hookArena;
            return true;
        }
        acts.replaceAll((name, view) -> copy(view));
        return false;
    }

    private INDArray copy(INDArray a) {
        INDArray c = pool.take(a.shape());
        kernels.copy(a, c);
        pooled.add(c);
        return c;
    }

    @Override
    public void close() {
        acts.clear();
        grads.clear();
        pooled.forEach(pool::give);
        pooled.clear();
        if (taken != null) {
            takenHooks.close();
            buffers.recycle(taken);
            taken = null;
            takenHooks = null;
        }
    }
}
