package org.tinysql.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Kernels;

/**
 * The unembedding (logits = ln_final(x) W_U^T) and the causal-LM loss, on every row or on selected rows only:
 * metrics that read one position per sequence, and losses whose labels cover only the response, skip most of the
 * vocabulary GEMM. Rows are flat indices b*T + t. Shape legend: N = B*T rows, r selected rows, C d_model, V vocab.
 */
final class Unembedding {
    private final ModelConfig cfg;
    private final ModelOps ops;
    private final Kernels kernels;
    /**
     * The gathered rows of a row-restricted pass and their gradients [r, C] (and [r, V]), needed only within one
     * call: a slab rewound by each call, so that the changing row count of training batches allocates nothing.
     */
    private final Arena scratch;

    Unembedding(ModelOps ops) {
        this.cfg = ops.config();
        this.ops = ops;
        this.kernels = ops.kernels();
        this.scratch = Arena.slab(kernels);
    }

    /** Fails unless every row is inside [0, n) and listed once. */
    static void checkRows(int[] rows, int b, int t) {
        boolean[] seen = new boolean[b * t];
        for (int r : rows) {
            if (r < 0 || r >= b * t) {
                throw new IllegalArgumentException("logit row " + r + " outside [0, " + (b * t) + ") for a " + b + "x" + t + " batch");
            }
            if (seen[r]) {
                throw new IllegalArgumentException("logit row " + r + " is listed twice");
            }
            seen[r] = true;
        }
    }

    /** A row-restricted pass's logit gradient [r, V] in 'c' order; fails unless its shape matches the pass's rows. */
    static INDArray checkRowGradient(int[] rows, INDArray dRows, int vocab) {
        if (rows == null || dRows.rank() != 2 || dRows.size(0) != rows.length || dRows.size(1) != vocab) {
            throw new IllegalArgumentException("row logit gradients must be [" + (rows == null ? "no logit rows in this run"
                    : rows.length + "," + vocab) + "], got " + java.util.Arrays.toString(dRows.shape()));
        }
        return dRows.ordering() == 'c' ? dRows : dRows.dup('c');
    }

    /**
     * Logits of every row (rows null) into the full logits buffer, or of the selected rows only: gather the normed
     * rows and one small GEMM into {@code rowLogits} [r, V]; the full [N, V] buffer is then neither carved nor
     * written ({@link #fullLogits} fills it when a caller asks for it).
     */
    void forward(ActivationBuffers a, int[] rows) {
        if (rows == null) {
            ops.unembed(a.lnFinal, a.logits());
            a.logitsWritten = null;
            a.logitsCurrent = true;
            return;
        }
        checkRows(rows, a.batch, a.time);
        a.clearRows();
        a.logitsCurrent = false;
        if (rows.length == 0) {
            return; // activations only: no unembedding at all
        }
        a.rowLogits = a.carveRowLogits(rows.length);
        scratch.rewind();
        INDArray x = scratch.carve(rows.length, cfg.dModel());
        kernels.gatherRows(a.lnFinal, rows, x);
        ops.unembed(x, a.rowLogits);
    }

    /**
     * The last pass's logits as a full [N, V] buffer: after a row-restricted pass, the selected rows scattered into
     * it and every other row zero (only rows written by the previous fill are cleared; all of a newly carved buffer).
     */
    INDArray fullLogits(ActivationBuffers a, int[] rows) {
        if (a.logitsCurrent) {
            return a.logits();
        }
        INDArray full = a.logits();
        if (a.logitsWritten == null) {
            kernels.zero(full);
        } else {
            kernels.zeroRows(full, a.logitsWritten);
        }
        if (rows.length > 0) {
            kernels.scatterRows(a.rowLogits, rows, full, false);
        }
        a.logitsWritten = rows.clone();
        a.logitsCurrent = true;
        return full;
    }

    /**
     * Backward into dNorm [N, C] (accumulating) from the full logits' gradient dl [N, V] or, for a row-restricted
     * unembedding, from dRows [r, V] (or the selected rows of dl).
     */
    void backward(ActivationBuffers a, INDArray dl, INDArray dRows, int[] rows, INDArray dNorm, Parameters grads) {
        if (rows == null) {
            ops.unembedBackward(dl, a.lnFinal, dNorm, grads);
            return;
        }
        checkRows(rows, a.batch, a.time);
        if (rows.length == 0) {
            return; // no logits, so no gradient through them
        }
        scratch.rewind();
        INDArray g = dRows;
        if (g == null) {
            g = scratch.carve(rows.length, cfg.vocabSize());
            kernels.gatherRows(dl, rows, g);
        }
        INDArray x = scratch.carve(rows.length, cfg.dModel());
        INDArray dx = scratch.zeros(rows.length, cfg.dModel()); // unembedBackward accumulates into it
        kernels.gatherRows(a.lnFinal, rows, x);
        ops.unembedBackward(g, x, dx, grads);
        kernels.scatterRows(dx, rows, dNorm, true);
    }

    /**
     * Mean cross-entropy of the logits against {@code targets} [N] (-100 ignored); with {@code withGrad} the logits'
     * gradient goes to the buffers {@link #backward} reads (the full one, or the selected rows').
     */
    double loss(ActivationBuffers a, int[] targets, int[] rows, boolean withGrad) {
        double[] r;
        if (rows == null) {
            r = kernels.crossEntropy(a.logits(), targets, withGrad ? a.dLogits() : null, 1f);
        } else {
            // Only the selected rows have logits: every labelled position must be one of them.
            int[] rowTargets = new int[rows.length];
            boolean[] selected = new boolean[targets.length];
            for (int i = 0; i < rows.length; i++) {
                rowTargets[i] = targets[rows[i]];
                selected[rows[i]] = true;
            }
            for (int i = 0; i < targets.length; i++) {
                if (targets[i] != -100 && !selected[i]) {
                    throw new IllegalArgumentException("position " + (i % a.time) + " of sequence " + (i / a.time)
                            + " has a label but no logits: setLogitRows must include every labelled row (b*T + t)");
                }
            }
            a.dRowLogits = withGrad ? a.carveRowGradients(rows.length) : null;
            r = kernels.crossEntropy(a.rowLogits, rowTargets, a.dRowLogits, 1f);
        }
        if (r[1] == 0) {
            throw new IllegalArgumentException("no labels to score: every label is -100");
        }
        return r[0] / r[1];
    }

    /** Flat rows b*T + t whose next-token label is not -100. */
    static int[] labelledRows(int[][] labels) {
        int t = labels[0].length;
        int n = 0;
        for (int[] row : labels) {
            for (int i = 0; i + 1 < t; i++) {
                n += row[i + 1] != -100 ? 1 : 0;
            }
        }
        int[] rows = new int[n];
        n = 0;
        for (int b = 0; b < labels.length; b++) {
            for (int i = 0; i + 1 < t; i++) {
                if (labels[b][i + 1] != -100) {
                    rows[n++] = b * t + i;
                }
            }
        }
        return rows;
    }

    /** targets[b*T + t] = labels[b][t+1] (the last position of each row: -100). */
    static int[] shiftedTargets(int[][] labels) {
        int t = labels[0].length;
        int[] targets = new int[labels.length * t];
        for (int b = 0; b < labels.length; b++) {
            for (int i = 0; i < t; i++) {
                targets[b * t + i] = i + 1 < t ? labels[b][i + 1] : -100;
            }
        }
        return targets;
    }
}
