package org.tinysql.model;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import org.tinysql.tensor.Kernels;

/**
 * Activation buffers of recent batch shapes, most recently used last. A pass over the shape of a set in the pool
 * reuses it as it is. A pass over a new shape re-carves the most recently used set it may take
 * ({@link ActivationBuffers#recarve}): training on packed batches changes [B, T] nearly every step, and allocating
 * (and page-faulting) a new set each time cost more than a third of a step, while re-carving memory that is
 * already allocated and touched costs nothing once the set's slabs have grown to the largest shape. Bounded by
 * {@link #MAX_SHAPES} shapes and {@link #MAX_BYTES}.
 *
 * <p>An {@link ActivationCache} may take a pass's buffers ({@link #detach}) so that its activations stay valid while
 * the model runs on; it hands them back when it closes ({@link #recycle}). A shape can so hold several sets (at most
 * {@link #MAX_SETS} free ones), and nested or repeated cached runs in steady state allocate nothing.
 */
final class BufferPool implements AutoCloseable {
    static final int MAX_SHAPES = 16;
    static final int MAX_SETS = 4;
    static final long MAX_BYTES = 1L << 30;

    private record Shape(int batch, int time, int keys, boolean recompute) {
        static Shape of(ActivationBuffers a) {
            return new Shape(a.batch, a.time, a.keys, a.recompute);
        }
    }

    private final ModelConfig cfg;
    private final Kernels kernels;
    /** Free sets per shape, the one in use first. */
    private final LinkedHashMap<Shape, ArrayDeque<ActivationBuffers>> shapes = new LinkedHashMap<>(16, 0.75f, true);
    private boolean recompute;

    BufferPool(ModelConfig cfg, Kernels kernels) {
        this.cfg = cfg;
        this.kernels = kernels;
    }

    /** Whether new passes get buffers for activation recomputation (see {@link ActivationBuffers}). */
    synchronized void recompute(boolean on) {
        recompute = on;
    }

    /**
     * The buffers for [b, t] over tk keys: a set of this shape when the pool has one, else the most recently used
     * set other than {@code keep} re-carved for it (a new set when there is none). {@code keep} (or null) is a set
     * whose values are still needed, e.g. the last forward's while decoding runs before its backward.
     */
    synchronized ActivationBuffers get(int b, int t, int tk, ActivationBuffers keep) {
        Shape key = new Shape(b, t, tk, recompute);
        ArrayDeque<ActivationBuffers> sets = shapes.get(key);
        if (sets != null && !sets.isEmpty()) {
            return sets.peekFirst();
        }
        ActivationBuffers old = latest(keep);
        ActivationBuffers a;
        if (old != null) {
            detach(old);
            a = old.recarve(b, t, tk, recompute);
        } else {
            a = new ActivationBuffers(cfg, kernels, b, t, tk, recompute);
        }
        shapes.computeIfAbsent(key, k -> new ArrayDeque<>()).addFirst(a);
        trim(a);
        return a;
    }

    /** The first set of the most recently used shape that has one other than {@code keep}, or null. */
    private ActivationBuffers latest(ActivationBuffers keep) {
        ActivationBuffers found = null;
        for (ArrayDeque<ActivationBuffers> q : shapes.values()) {
            for (ActivationBuffers x : q) {
                if (x != keep) {
                    found = x;
                    break;
                }
            }
        }
        return found;
    }

    /** Removes {@code a} from the pool: its holder owns it until {@link #recycle}. */
    synchronized void detach(ActivationBuffers a) {
        ArrayDeque<ActivationBuffers> sets = shapes.get(Shape.of(a));
        if (sets != null && sets.remove(a) && sets.isEmpty()) {
            shapes.remove(Shape.of(a));
        }
    }

    /** Takes back buffers from {@link #detach} (after the set in use of their shape, or freed beyond the bounds). */
    synchronized void recycle(ActivationBuffers a) {
        shapes.computeIfAbsent(Shape.of(a), k -> new ArrayDeque<>()).addLast(a);
        trim(null);
    }

    /** Frees least recently used sets (never {@code keep}) until within the bounds. */
    private void trim(ActivationBuffers keep) {
        long total = 0;
        int sets = 0;
        for (ArrayDeque<ActivationBuffers> q : shapes.values()) {
            while (q.size() > MAX_SETS) {
                q.pollLast().close();
            }
            for (ActivationBuffers x : q) {
                total += x.bytes();
            }
            sets += q.isEmpty() ? 0 : 1;
        }
        var it = shapes.values().iterator();
        while ((total > MAX_BYTES || sets > MAX_SHAPES) && it.hasNext()) {
            ArrayDeque<ActivationBuffers> q = it.next();
            boolean had = !q.isEmpty();
            for (var qi = q.iterator(); qi.hasNext(); ) {
                ActivationBuffers x = qi.next();
                if (x != keep) {
                    total -= x.bytes();
                    x.close();
                    qi.remove();
                }
            }
            if (q.isEmpty()) {
                it.remove();
                sets -= had ? 1 : 0;
            }
        }
    }

    @Override
    public synchronized void close() {
        shapes.values().forEach(q -> q.forEach(ActivationBuffers::close));
        shapes.clear();
    }
}
