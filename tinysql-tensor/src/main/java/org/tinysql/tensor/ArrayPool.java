package org.tinysql.tensor;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Released arrays of a backend by shape, handed out again instead of allocating fresh ones: a model's activation
 * caches (their copies) and per-head hook arrays (an {@link Arena} over this pool) come from here and return here
 * when closed, so runs in steady state allocate (and page-fault) nothing new. Bounded by {@link #MAX_BYTES}; the
 * least recently released shapes are freed first. {@link #take} hands out old values: callers overwrite them.
 */
public final class ArrayPool {
    static final long MAX_BYTES = 512L << 20;
    private final long maxBytes;

    private final Kernels kernels;
    private final LinkedHashMap<List<Long>, ArrayDeque<INDArray>> free = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    /**
     * An empty pool.
     * @param kernels the backend that allocates the arrays the pool cannot supply
     */
    public ArrayPool(Kernels kernels) {
        this(kernels, MAX_BYTES);
    }

    /**
     * An empty pool that keeps at most {@code maxBytes} of released arrays.
     * @param kernels the backend that allocates the arrays the pool cannot supply
     * @param maxBytes the most bytes of released arrays kept; beyond, the least recently released are freed
     */
    public ArrayPool(Kernels kernels, long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative, got " + maxBytes);
        }
        this.kernels = kernels;
        this.maxBytes = maxBytes;
    }

    /**
     * The backend whose arrays this pool holds.
     * @return the backend given at construction
     */
    public Kernels kernels() {
        return kernels;
    }

    /**
     * A FLOAT array of {@code shape}: a released one (not zeroed), or a new one.
     * @param shape the dimensions of the array
     * @return an array of that shape; the caller owns it until it gives it back
     */
    public synchronized INDArray take(long... shape) {
        ArrayDeque<INDArray> q = free.get(key(shape));
        INDArray a = q == null ? null : q.pollLast();
        if (a == null) {
            return kernels.zeros(shape);
        }
        bytes -= size(a);
        return a;
    }

    /**
     * Takes back an array from {@link #take} that its holder no longer uses.
     * @param a an array from {@link #take}; not used by the caller afterwards (closed arrays are ignored)
     */
    public synchronized void give(INDArray a) {
        if (a.wasClosed()) {
            return;
        }
        free.computeIfAbsent(key(a.shape()), k -> new ArrayDeque<>()).addLast(a);
        bytes += size(a);
        var it = free.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Map.Entry<List<Long>, ArrayDeque<INDArray>> e = it.next();
            while (bytes > maxBytes && !e.getValue().isEmpty()) {
                INDArray x = e.getValue().pollFirst();
                bytes -= size(x);
                if (x.closeable()) {
                    x.close();
                }
            }
            if (e.getValue().isEmpty()) {
                it.remove();
            }
        }
    }

    /**
     * Frees every released array now (instead of when the pool is collected): the pool stays usable and allocates
     * afresh. Arrays handed out and not given back are not affected.
     */
    public synchronized void clear() {
        for (ArrayDeque<INDArray> q : free.values()) {
            for (INDArray a : q) {
                if (a.closeable()) {
                    a.close();
                }
            }
        }
        free.clear();
        bytes = 0;
    }

    /**
     * Bytes held by released arrays.
     * @return the bytes of the arrays waiting in the pool
     */
    public synchronized long bytes() {
        return bytes;
    }

    private static long size(INDArray a) {
        return a.length() * a.dataType().width();
    }

    private static List<Long> key(long[] shape) {
        return Arrays.stream(shape).boxed().toList();
    }
}
