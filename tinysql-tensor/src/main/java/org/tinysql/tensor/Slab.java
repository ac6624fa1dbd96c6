package org.tinysql.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The memory of a slab {@link Arena}: arrays are dense row-major views (with an offset) carved one after the other
 * out of a few large flat FLOAT chunks, and {@link #rewind} makes all of that memory available again. A model whose
 * batch shape changes every step then re-carves memory that is already allocated and touched: allocating and
 * zeroing hundreds of MB per step (the operating system's page faults included) cost more than the pass itself.
 *
 * <p>A round (the carves between two rewinds) that asks for more than the chunks hold gets the rest as ordinary
 * arrays; the next rewind then replaces everything by chunks a quarter larger than the larger of that round's demand
 * and the old capacity, so growing shapes reallocate only a logarithmic number of times. Chunks hold at most
 * {@link #MAX_CHUNK} floats, because {@link Buffers#fb} reads ND4J buffers through NIO buffers indexed by int.
 *
 * <p>Carved memory holds whatever the last round left there unless zeroing is asked for; then only the part that
 * was ever carved before is cleared (memory the backend allocated is zero already).
 *
 * <p>A view is an ND4J array object with its own native shape information, and making one costs several
 * microseconds (two native allocations): a round that carves what the last round carved (decoding carves the same
 * few arrays every step) gets the very same view objects back from a memo keyed by chunk, offset and shape. That is
 * safe because views are never closed (closing an ND4J view does nothing) nor reshaped in place, and their memory is
 * the same; the memo holds at most {@link #MAX_VIEWS} views and is cleared when the chunks are freed.
 */
final class Slab {
    /** The most floats in one chunk (1 GiB). */
    static final long MAX_CHUNK = 1L << 28;

    private final Kernels backend;
    /** The most floats in one chunk ({@link #MAX_CHUNK}, smaller in tests). */
    private final long maxChunk;
    private final List<INDArray> chunks = new ArrayList<>();
    /** Per chunk: floats from its start that may hold values (beyond: still the backend's zeros). */
    private final List<Long> dirty = new ArrayList<>();
    /** Arrays of this round that did not fit in the chunks (or in any chunk: larger than MAX_CHUNK, or empty). */
    private final List<INDArray> overflow = new ArrayList<>();
    /** Whether a piece that a chunk could hold overflowed this round: the next rewind grows the chunks. */
    private boolean grow;
    /** The chunk carved from now, and floats of it used this round. */
    private int current;
    private long used;
    /** Floats carved this round (in chunks or not). */
    private long demand;
    /** Views handed out before, by where and what they are (see the class notes). */
    private final Map<ViewKey, INDArray> views = new HashMap<>();
    /** The most views the memo keeps; beyond, it starts again (training on packed batches meets many shapes). */
    static final int MAX_VIEWS = 4096;

    /** A view's identity: its chunk, first float and shape. */
    private record ViewKey(int chunk, long start, long[] shape) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ViewKey k && k.chunk == chunk && k.start == start && Arrays.equals(k.shape, shape);
        }

        @Override
        public int hashCode() {
            return (Long.hashCode(start) * 31 + chunk) * 31 + Arrays.hashCode(shape);
        }
    }

    Slab(Kernels backend) {
        this(backend, MAX_CHUNK);
    }

    Slab(Kernels backend, long maxChunk) {
        this.backend = backend;
        this.maxChunk = maxChunk;
    }

    /** A view of {@code shape} in this round's memory; zero-filled when {@code zero}, else holding arbitrary values. */
    INDArray carve(long[] shape, boolean zero) {
        long len = 1;
        for (long s : shape) {
            len *= s;
        }
        if (len == 0 || len > maxChunk) {
            INDArray a = backend.zeros(shape);
            overflow.add(a);
            return a;
        }
        demand += len;
        while (current < chunks.size() && used + len > chunks.get(current).length()) {
            current++;
            used = 0;
        }
        if (current == chunks.size()) {
            INDArray a = backend.zeros(shape);
            overflow.add(a);
            grow = true;
            return a;
        }
        long start = used;
        used += len;
        INDArray chunk = chunks.get(current);
        long wasDirty = dirty.get(current);
        if (zero && start < wasDirty) {
            long end = Math.min(used, wasDirty);
            backend.zero(view(chunk, start, new long[] {end - start}, end - start));
        }
        dirty.set(current, Math.max(wasDirty, used));
        return view(chunk, start, shape, len);
    }

    /**
     * The view of {@code shape} ({@code len} floats) at float {@code start} of the current chunk, from the memo when it
     * has it.
     */
    private INDArray view(INDArray chunk, long start, long[] shape, long len) {
        INDArray v = views.get(new ViewKey(current, start, shape));
        if (v == null) {
            if (views.size() >= MAX_VIEWS) {
                views.clear();
            }
            v = chunk.get(NDArrayIndex.interval(start, start + len)).reshape('c', shape);
            views.put(new ViewKey(current, start, shape.clone()), v); // the caller may reuse its shape array
        }
        return v;
    }

    /**
     * Ends the round: every view carved so far is given up (its memory is the next round's) and the overflow is
     * freed. When a piece overflowed, the chunks are replaced by larger ones (freed first, so the old and the new
     * memory are never held together).
     */
    void rewind() {
        long target = Math.max(demand, capacity());
        boolean replace = grow;
        endRound();
        if (replace) {
            freeChunks();
            for (target += target / 4; target > 0; target -= maxChunk) {
                chunks.add(backend.zeros(Math.min(target, maxChunk)));
                dirty.add(0L);
            }
        }
    }

    /** Floats the chunks hold. */
    long capacity() {
        long n = 0;
        for (INDArray c : chunks) {
            n += c.length();
        }
        return n;
    }

    /** Bytes of memory held: the chunks and this round's overflow. */
    long bytes() {
        long n = capacity();
        for (INDArray a : overflow) {
            n += a.length();
        }
        return n * Float.BYTES;
    }

    /** Frees all memory (views of it must not be used any more); the slab stays usable. */
    void close() {
        endRound();
        freeChunks();
    }

    private void endRound() {
        for (INDArray a : overflow) {
            a.close();
        }
        overflow.clear();
        grow = false;
        current = 0;
        used = 0;
        demand = 0;
    }

    private void freeChunks() {
        views.clear();
        for (INDArray c : chunks) {
            c.close();
        }
        chunks.clear();
        dirty.clear();
    }
}
