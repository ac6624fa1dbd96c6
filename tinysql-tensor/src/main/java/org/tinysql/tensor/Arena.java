package org.tinysql.tensor;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Owns a group of off-heap arrays and frees them together on {@link #close()}, instead of waiting for the garbage
 * collector to notice them (ND4J memory is outside the Java heap, so the GC does not feel its pressure). An arena over
 * an {@link ArrayPool} takes its {@link #zeros} from the pool and gives them back on close. A {@link #slab} arena
 * carves its arrays as views out of a few large buffers that {@link #rewind} hands out again (see {@link Slab}): the
 * arrays of a model pass whose shape changes every step then cost no allocation.
 */
public final class Arena implements AutoCloseable {
    private final List<INDArray> arrays = new ArrayList<>();
    /** The backend that allocates, or null for plain host arrays. */
    private final Kernels backend;
    /** Where {@link #zeros} come from and return to, or null. */
    private final ArrayPool pool;
    private final List<INDArray> pooled = new ArrayList<>();
    /** Where {@link #zeros} and {@link #carve} come from in a slab arena, or null. */
    private final Slab slab;

    /** An arena of host arrays. */
    public Arena() {
        this((Kernels) null);
    }

    /**
     * An arena whose arrays {@code backend} allocates (see {@link Kernels#zeros}).
     * @param backend the backend that allocates the arrays, or null for plain host arrays
     */
    public Arena(Kernels backend) {
        this(backend, null, null);
    }

    /**
     * An arena whose {@link #zeros} are recycled arrays of {@code pool} (zeroed), given back on close.
     * @param pool the pool the arrays come from and return to; its backend allocates new ones
     */
    public Arena(ArrayPool pool) {
        this(pool.kernels(), pool, null);
    }

    private Arena(Kernels backend, ArrayPool pool, Slab slab) {
        this.backend = backend;
        this.pool = pool;
        this.slab = slab;
    }

    /**
     * An arena whose arrays are dense row-major views (with an offset) of large buffers of {@code backend}, which
     * {@link #rewind} keeps for the next arrays; {@link #close} frees them.
     * @param backend the backend that allocates the buffers
     * @return a new, empty slab arena
     */
    public static Arena slab(Kernels backend) {
        return new Arena(backend, null, new Slab(backend));
    }

    /**
     * A zero-filled FLOAT array owned by this arena.
     * @param shape the dimensions of the array
     * @return a zero-filled array, valid until {@link #rewind} or {@link #close}
     */
    public INDArray zeros(long... shape) {
        if (slab != null) {
            return slab.carve(shape, true);
        }
        if (pool != null) {
            INDArray a = pool.take(shape);
            backend.zero(a);
            pooled.add(a);
            return a;
        }
        INDArray a = backend != null ? backend.zeros(shape) : Buffers.zeros(shape);
        arrays.add(a);
        return a;
    }

    /**
     * A FLOAT array owned by this arena holding arbitrary values, for an output that is overwritten before it is
     * read: a slab arena skips clearing memory that an earlier round used, a pool arena hands out a released array
     * as it is, a plain arena allocates (zeros).
     * @param shape the dimensions of the array
     * @return an array of unspecified values, valid until {@link #rewind} or {@link #close}
     */
    public INDArray carve(long... shape) {
        if (slab != null) {
            return slab.carve(shape, false);
        }
        if (pool != null) {
            INDArray a = pool.take(shape);
            pooled.add(a);
            return a;
        }
        return zeros(shape);
    }

    /**
     * Gives up every array handed out so far, whose memory the next ones reuse: a slab arena keeps its buffers
     * (growing them when the last round did not fit, see {@link Slab#rewind}); the others free their arrays (or give
     * them back to the pool) as {@link #close} does.
     */
    public void rewind() {
        if (slab != null) {
            slab.rewind();
        }
        release();
    }

    /**
     * Takes ownership of an array created elsewhere.
     * @param a an array nobody else will close; freed with this arena
     * @return {@code a}
     */
    public INDArray own(INDArray a) {
        arrays.add(a);
        return a;
    }

    /**
     * Bytes of off-heap memory held by this arena's arrays.
     * @return the bytes of the slab buffers, pooled arrays and open owned arrays
     */
    public long bytes() {
        long n = slab == null ? 0 : slab.bytes();
        for (INDArray a : pooled) {
            n += a.length() * a.dataType().width();
        }
        for (INDArray a : arrays) {
            if (!a.wasClosed()) {
                n += a.length() * a.dataType().width();
            }
        }
        return n;
    }

    @Override
    public void close() {
        if (slab != null) {
            slab.close();
        }
        release();
    }

    private void release() {
        for (INDArray a : arrays) {
            if (!a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
        arrays.clear();
        if (pool != null) {
            pooled.forEach(pool::give);
            pooled.clear();
        }
    }
}
