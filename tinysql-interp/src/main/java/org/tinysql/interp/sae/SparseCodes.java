package org.tinysql.interp.sae;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.Kernels;

/**
 * Sparse latent activations of a batch in backend arrays (CSR, as the sparse {@link Kernels} methods read them):
 * start [rows + 1] and idx [capacity] INT, val [capacity] FLOAT; row r's active latents are idx[start[r]..start[r+1]).
 * The arrays grow as needed and are reused between batches; {@link #toCodes()} copies them to the host.
 */
public final class SparseCodes implements AutoCloseable {
    private final Kernels kernels;
    private int rows = -1;
    private int nnz;
    private INDArray start;
    private INDArray idx;
    private INDArray val;

    SparseCodes(Kernels kernels) {
        this.kernels = kernels;
    }

    /** Room for {@code rows} rows and {@code capacity} entries (contents undefined until a kernel writes them). */
    void ensure(int rows, long capacity) {
        if (this.rows != rows) {
            free(start);
            start = kernels.zerosInt(rows + 1);
            this.rows = rows;
        }
        if (idx == null || idx.length() < capacity) {
            free(idx);
            free(val);
            long cap = Math.max(capacity, 1);
            idx = kernels.zerosInt(cap);
            val = kernels.zeros(cap);
        }
    }

    /** Grows idx and val to at least {@code capacity} entries (by a quarter more, to avoid regrowing). */
    void grow(long capacity) {
        ensure(rows, capacity + capacity / 4);
    }

    void setNnz(int nnz) {
        this.nnz = nnz;
    }

    /** Codes of host {@link Codes}. */
    static SparseCodes of(Kernels kernels, Codes c) {
        SparseCodes s = new SparseCodes(kernels);
        s.ensure(c.rows, c.nnz());
        Buffers.ib(s.start).put(0, c.start);
        Buffers.ib(s.idx).put(0, c.idx);
        Buffers.fb(s.val).put(0, c.val);
        s.nnz = c.nnz();
        return s;
    }

    /**
     * The number of rows of the last batch encoded.
     *
     * @return the row count, -1 before the first batch
     */
    public int rows() {
        return rows;
    }

    /**
     * Number of active (row, latent) entries.
     *
     * @return the entry count of the last batch
     */
    public int nnz() {
        return nnz;
    }

    /**
     * Mean active latents per row (L0).
     *
     * @return nnz / rows, 0 before the first batch
     */
    public double l0() {
        return rows <= 0 ? 0 : nnz / (double) rows;
    }

    INDArray start() {
        return start;
    }

    INDArray idx() {
        return idx;
    }

    INDArray val() {
        return val;
    }

    /**
     * A host copy (the codes are a small result: about k entries per row).
     *
     * @return a new {@link Codes} with the same rows and entries
     */
    public Codes toCodes() {
        int[] st = new int[rows + 1];
        int[] ix = new int[nnz];
        float[] v = new float[nnz];
        Buffers.ib(start).get(0, st);
        Buffers.ib(idx).get(0, ix, 0, nnz);
        Buffers.fb(val).get(0, v, 0, nnz);
        return new Codes(rows, st, ix, v);
    }

    private static void free(INDArray a) {
        if (a != null && !a.wasClosed() && a.closeable()) {
            a.close();
        }
    }

    @Override
    public void close() {
        free(start);
        free(idx);
        free(val);
        start = idx = val = null;
        rows = -1;
    }
}
