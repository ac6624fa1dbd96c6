package org.tinysql.interp.sae;

/**
 * Sparse latent activations of a batch in CSR form: row r's active latents are {@code idx[start[r]..start[r+1])}
 * with values {@code val[...]}.
 */
public final class Codes {
    /** The number of rows (B*T positions). */
    public final int rows;
    /** [rows + 1] offsets into {@code idx} and {@code val}; {@code start[rows]} is the entry count. */
    public final int[] start;
    /** [nnz] the latent index of each entry, row by row. */
    public final int[] idx;
    /** [nnz] the activation of each entry. */
    public final float[] val;

    Codes(int rows, int[] start, int[] idx, float[] val) {
        this.rows = rows;
        this.start = start;
        this.idx = idx;
        this.val = val;
    }

    /** Builds CSR from per-row lists. */
    static Codes of(int[][] rowIdx, float[][] rowVal) {
        int n = rowIdx.length;
        int[] start = new int[n + 1];
        for (int r = 0; r < n; r++) {
            start[r + 1] = start[r] + rowIdx[r].length;
        }
        int[] idx = new int[start[n]];
        float[] val = new float[start[n]];
        for (int r = 0; r < n; r++) {
            System.arraycopy(rowIdx[r], 0, idx, start[r], rowIdx[r].length);
            System.arraycopy(rowVal[r], 0, val, start[r], rowVal[r].length);
        }
        return new Codes(n, start, idx, val);
    }

    /**
     * Number of active (row, latent) entries.
     *
     * @return the entry count
     */
    public int nnz() {
        return idx.length;
    }

    /**
     * Mean active latents per row (L0).
     *
     * @return nnz / rows, 0 for no rows
     */
    public double l0() {
        return rows == 0 ? 0 : nnz() / (double) rows;
    }

    /**
     * Dense [rows, dSae] copy.
     *
     * @param dSae the number of latents, above every index in {@code idx}
     * @return a new row-major array of rows*dSae values, zero where inactive
     */
    public float[] dense(int dSae) {
        float[] d = new float[rows * dSae];
        for (int r = 0; r < rows; r++) {
            for (int e = start[r]; e < start[r + 1]; e++) {
                d[r * dSae + idx[e]] = val[e];
            }
        }
        return d;
    }
}
