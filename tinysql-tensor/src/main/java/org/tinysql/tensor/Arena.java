package org.tinysql.tensor;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Owns a group of off-heap arrays and frees them together on {@link #close()}, instead of waiting for the garbage
 * collector to notice them (ND4J memory is outside the Java heap, so the GC does not feel its pressure). An arena over
 * an {@link ArrayPool} takes its {@link #zeros} from the pool and gives them back on close.
 */
public final class Arena implements AutoCloseable {
    private final List<INDArray> arrays = new ArrayList<>();
    /** The backend that allocates, or null for plain host arrays. */
    private final Kernels backend;
    /** Where {@link #zeros} come from and return to, or null. */
    private final ArrayPool pool;
    private final List<INDArray> pooled = new ArrayList<>();

    /** An arena of host arrays. */
    public Arena() {
        this((Kernels) null);
    }

    /** An arena whose arrays {@code backend} allocates (see {@link Kernels#zeros}). */
    public Arena(Kernels backend) {
        this.backend = backend;
        this.pool = null;
    }

    /** An arena whose {@link #zeros} are recycled arrays of {@code pool} (zeroed), given back on close. */
    public Arena(ArrayPool pool) {
        this.backend = pool.kernels();
        this.pool = pool;
    }

    /** A zero-filled FLOAT array owned by this arena. */
    public INDArray zeros(long... shape) {
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

    /** Takes ownership of an array created elsewhere. */
    public INDArray own(INDArray a) {
        arrays.add(a);
        return a;
    }

    /** Bytes of off-heap memory held by this arena's arrays. */
    public long bytes() {
        long n = 0;
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
