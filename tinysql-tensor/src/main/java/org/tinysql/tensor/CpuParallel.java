package org.tinysql.tensor;

import static org.tinysql.tensor.CpuArrays.get;
import static org.tinysql.tensor.CpuArrays.put;

import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How the CPU kernels split work over the common fork-join pool: elementwise kernels in blocks of {@link #BLOCK}
 * elements, row-wise kernels (N = B*T rows of width C, M or V) in chunks of {@link #ROW_CHUNK} rows. Both sizes are
 * fixed and per-chunk partial sums are added in chunk order, so results do not depend on the thread count.
 */
final class CpuParallel {

    private CpuParallel() {
    }

    /** A loop body over [from, to). */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** Elements per task of the streaming elementwise kernels (small enough to stay in L2). */
    private static final int BLOCK = 8192;

    /** A loop body over the block [off, off + len) of an elementwise kernel. */
    @FunctionalInterface
    interface Block {
        void run(int off, int len);
    }

    /** Runs {@code body} over [0, n) in blocks of {@link #BLOCK}, in parallel when there is more than one. */
    static void blocks(int n, Block body) {
        int parts = (n + BLOCK - 1) / BLOCK;
        if (parts <= 1) {
            body.run(0, n);
            return;
        }
        IntStream.range(0, parts).parallel().forEach(p -> body.run(p * BLOCK, Math.min(BLOCK, n - p * BLOCK)));
    }

    /** Scratch arrays per thread and slot (see {@link #scratch}). */
    private static final int SLOTS = 6;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[SLOTS][]);

    /**
     * A per-thread array of at least {@code len} floats for slot {@code slot} (0..5) of a block kernel, reused across
     * calls instead of allocating per block (the allocations drove the Java heap of a training run to gigabytes). Its
     * contents are stale: callers read and write exactly [0, len). Kernels do not nest, so a thread never holds two
     * uses of one slot.
     */
    static float[] scratch(int slot, int len) {
        float[][] s = SCRATCH.get();
        if (s[slot] == null || s[slot].length < len) {
            s[slot] = new float[Math.max(len, BLOCK)];
        }
        return s[slot];
    }

    /** Rows per parallel chunk of the row-wise kernels (fixed, so results do not depend on the thread count). */
    static final int ROW_CHUNK = 32;

    /** Number of {@link #ROW_CHUNK}-row chunks covering {@code rows} rows. */
    static int chunks(int rows) {
        return (rows + ROW_CHUNK - 1) / ROW_CHUNK;
    }

    /** Runs {@code body} over row chunks [from, to) of {@link #ROW_CHUNK} rows, in parallel. */
    static void rowChunks(int rows, Range body) {
        int n = chunks(rows);
        if (n == 1) {
            body.run(0, rows);
            return;
        }
        IntStream.range(0, n).parallel().forEach(ch -> body.run(ch * ROW_CHUNK, Math.min(rows, (ch + 1) * ROW_CHUNK)));
    }

    /** target += sum of the per-chunk partials, in chunk order (deterministic). */
    static void accumulate(INDArray target, float[][] parts, int c) {
        if (target == null) {
            return;
        }
        float[] t = get(target);
        for (float[] p : parts) {
            for (int i = 0; i < c; i++) {
                t[i] += p[i];
            }
        }
        put(target, t);
    }
}
