package org.tinysql.tensor;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The compute kernels of the transformer, each a forward/backward pair (llm.c style). All arrays are FLOAT,
 * contiguous, row-major. Backward kernels ACCUMULATE (+=) into parameter gradients and into input gradients,
 * so a gradient that fans in from several places is summed without extra buffers; callers zero them first.
 *
 * <p>Shape legend: B batch, T time, C channels (d_model), H query heads, KV key/value heads, D head dim,
 * V vocabulary, M MLP width, N = B*T rows. This interface is what a CUDA backend implements later.
 */
public interface Kernels extends AttentionKernels {

    /**
     * y[N,M] = x[N,K] W[M,K]^T (+ b[M]).
     * @param x the input rows [N, K]
     * @param w the weight [M, K] (PyTorch nn.Linear layout: one row per output feature)
     * @param b the bias [M], or null for none
     * @param y the output [N, M], overwritten
     */
    void linear(INDArray x, INDArray w, INDArray b, INDArray y);

    /**
     * dx[N,K] += dy W; dW[M,K] += dy^T x; db[M] += colsum(dy). Any of dx, dW, db may be null.
     * @param dy the gradient of the output [N, M]
     * @param x the forward input [N, K]
     * @param w the weight [M, K]
     * @param dx the input gradient [N, K] to accumulate into, or null when not wanted
     * @param dw the weight gradient [M, K] to accumulate into, or null when not wanted
     * @param db the bias gradient [M] to accumulate into, or null when not wanted (or the layer has no bias)
     */
    void linearBackward(INDArray dy, INDArray x, INDArray w, INDArray dx, INDArray dw, INDArray db);

    /**
     * A zero-filled FLOAT array of this backend: every activation, cache and statistics buffer of a model is
     * allocated here, so a device backend owns them (host copies only where a caller asks for values).
     * @param shape the dimensions of the array, e.g. {@code B*T, C}
     * @return a new zero-filled FLOAT array of that shape, allocated by this backend
     */
    INDArray zeros(long... shape);

    /**
     * y = (x - mean) * rstd * w + b over the last dim C; mean[N], rstd[N] (arrays of this backend) are saved for
     * backward.
     * @param x the input rows [N, C]
     * @param w the scale [C]
     * @param b the shift [C]
     * @param y the output [N, C], overwritten
     * @param mean receives the mean of each row [N]
     * @param rstd receives 1 / sqrt(variance + eps) of each row [N]
     * @param eps the epsilon added to the variance
     */
    void layerNorm(INDArray x, INDArray w, INDArray b, INDArray y, INDArray mean, INDArray rstd, double eps);

    /**
     * dx += d(LayerNorm)/dx^T dy; dw, db accumulate (either may be null: not wanted).
     * @param dy the gradient of the output [N, C]
     * @param x the forward input [N, C]
     * @param w the scale [C]
     * @param mean the row means [N] saved by {@link #layerNorm}
     * @param rstd the reciprocal standard deviations [N] saved by {@link #layerNorm}
     * @param dx the input gradient [N, C] to accumulate into
     * @param dw the scale gradient [C] to accumulate into, or null
     * @param db the shift gradient [C] to accumulate into, or null
     */
    void layerNormBackward(INDArray dy, INDArray x, INDArray w, INDArray mean, INDArray rstd, INDArray dx, INDArray dw, INDArray db);

    /**
     * y = x * rstd * w with rstd[N] = 1/sqrt(mean(x^2) + eps).
     * @param x the input rows [N, C]
     * @param w the scale [C]
     * @param y the output [N, C], overwritten
     * @param rstd receives the reciprocal root mean square of each row [N]
     * @param eps the epsilon added to the mean square
     */
    void rmsNorm(INDArray x, INDArray w, INDArray y, INDArray rstd, double eps);

    /**
     * dx += d(RMSNorm)/dx^T dy; dw accumulates (may be null).
     * @param dy the gradient of the output [N, C]
     * @param x the forward input [N, C]
     * @param w the scale [C]
     * @param rstd the reciprocal root mean squares [N] saved by {@link #rmsNorm}
     * @param dx the input gradient [N, C] to accumulate into
     * @param dw the scale gradient [C] to accumulate into, or null
     */
    void rmsNormBackward(INDArray dy, INDArray x, INDArray w, INDArray rstd, INDArray dx, INDArray dw);

    /**
     * GELU, tanh form ("gelu_new").
     * @param x the pre-activation [N, M]
     * @param y the output [N, M], overwritten
     */
    void gelu(INDArray x, INDArray y);

    /**
     * dx += GELU'(x) * dy elementwise (the gradient of {@link #gelu}).
     * @param dy the gradient of the output [N, M]
     * @param x the forward input [N, M]
     * @param dx the input gradient [N, M] to accumulate into
     */
    void geluBackward(INDArray dy, INDArray x, INDArray dx);

    /**
     * out = silu(gate) * up.
     * @param gate the gate projection [N, M]
     * @param up the up projection [N, M]
     * @param out the output [N, M], overwritten
     */
    void swiglu(INDArray gate, INDArray up, INDArray out);

    /**
     * The gradient of {@link #swiglu}: dgate += dout * up * silu'(gate), dup += dout * silu(gate), elementwise.
     * @param dout the gradient of the output [N, M]
     * @param gate the forward gate projection [N, M]
     * @param up the forward up projection [N, M]
     * @param dgate the gate gradient [N, M] to accumulate into
     * @param dup the up gradient [N, M] to accumulate into
     */
    void swigluBackward(INDArray dout, INDArray gate, INDArray up, INDArray dgate, INDArray dup);

    /**
     * out[N,C] = table[ids[n]] (rows gathered).
     * @param ids the token ids [N], each in [0, V)
     * @param table the embedding table [V, C]
     * @param out the gathered rows [N, C], overwritten
     */
    void embedding(int[] ids, INDArray table, INDArray out);

    /**
     * dtable[ids[n]] += dout[n].
     * @param dout the gradient of the gathered rows [N, C]
     * @param ids the token ids [N] the forward gathered
     * @param dtable the table gradient [V, C] to accumulate into
     */
    void embeddingBackward(INDArray dout, int[] ids, INDArray dtable);

    /**
     * Mean cross-entropy of logits[N,V] against targets[N] (-100 = ignore). When dlogits is not null it receives
     * (softmax - onehot) * gradScale / count for the counted rows and 0 elsewhere. Returns {sum of losses, count}.
     * @param logits the logits [N, V]
     * @param targets the target token id of each row [N], or -100 to leave the row out
     * @param dlogits receives the logit gradient [N, V] (overwritten), or null for the loss only
     * @param gradScale the factor on the gradient (e.g. 1 / gradient-accumulation steps)
     * @return a two-element array: the summed loss over counted rows (nats) and the number of counted rows
     */
    double[] crossEntropy(INDArray logits, int[] targets, INDArray dlogits, float gradScale);

    /**
     * c[M,N] = alpha op(a) op(b) + beta c for matrices a and b (op = transpose when asked); c is preallocated. The
     * products of interpretability code (EAP's scores, per-head projections) run here.
     * @param a the left matrix, [M, K] (or [K, M] with {@code transA})
     * @param b the right matrix, [K, N] (or [N, K] with {@code transB})
     * @param c the output [M, N], preallocated; read when beta is not 0
     * @param transA whether to use a transposed
     * @param transB whether to use b transposed
     * @param alpha the factor on the product
     * @param beta the factor on the old c (0 to overwrite it)
     */
    void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, float alpha, float beta);

    /**
     * out = a + b elementwise (out may alias a or b).
     * @param a the first operand
     * @param b the second operand, the same length as a
     * @param out the result, the same length, overwritten
     */
    void add(INDArray a, INDArray b, INDArray out);

    /**
     * out = a - b elementwise (out may alias a or b).
     * @param a the minuend
     * @param b the subtrahend, the same length as a
     * @param out the result, the same length, overwritten
     */
    void sub(INDArray a, INDArray b, INDArray out);

    /**
     * out = a + alpha * b elementwise, rounded as float (out may alias a or b).
     * @param a the first operand
     * @param alpha the factor on b
     * @param b the second operand, the same length as a
     * @param out the result, the same length, overwritten
     */
    void addScaled(INDArray a, float alpha, INDArray b, INDArray out);

    /**
     * Copies an array's values, in row-major order, into host memory (a device backend downloads them).
     * @param src a dense row-major array of at most {@code dst.length} values
     * @param dst the Java array to overwrite from index 0
     */
    void read(INDArray src, float[] dst);

    /**
     * dst = src elementwise (same length; shapes may differ).
     * @param src the array to read
     * @param dst the array to overwrite, the same length as src
     */
    default void copy(INDArray src, INDArray dst) {
        copyColumns(src.reshape('c', 1, src.length()), 0, dst.reshape('c', 1, dst.length()), 0, (int) src.length(), false);
    }

    /**
     * A strided 2-D copy: dst[r, dstCol + j] = src[r, srcCol + j] (or += with {@code accumulate}) for j &lt; width and
     * every row r. Both arrays are read as [size(0), length / size(0)] matrices with the same number of rows: one head's
     * columns of a [N, H*D] activation, or one position's of a [B, T*C] view of [B,T,C].
     * @param src the source, read as [R, length / R]
     * @param srcCol the first source column
     * @param dst the destination, read as [R, length / R] with the same R
     * @param dstCol the first destination column
     * @param width the number of columns to copy
     * @param accumulate true to add into dst instead of overwriting it
     */
    void copyColumns(INDArray src, int srcCol, INDArray dst, int dstCol, int width, boolean accumulate);

    /**
     * out[k] = the sum over rows r and the columns j of block k (columns [k*width, (k+1)*width)) of a[r, j] b[r, j],
     * for a and b read as [size(0), W] and out [W / width]; accumulated in double, rounded once. Per-position sums of
     * a [B, T*C] view (width C), per-head sums of [N, H*D] (width D), per-row dot products of a [1, N*W] view (width W).
     * @param a the first operand, read as [size(0), W]
     * @param b the second operand, the same shape as a
     * @param width the number of columns per block; divides W
     * @param out the block sums [W / width], overwritten
     */
    void blockDots(INDArray a, INDArray b, int width, INDArray out);

    /**
     * dst[W] = the mean of rows {@code rows} of src [N, W], accumulated in double (rows in the given order).
     * @param src the rows [N, W]
     * @param rows the row indices to average, each in [0, N)
     * @param dst the mean row [W], overwritten
     */
    void meanRows(INDArray src, int[] rows, INDArray dst);

    /**
     * Sets every element of a to zero.
     * @param a the array to clear
     */
    void zero(INDArray a);

    /**
     * Sets rows {@code rows} of a [N, W] to zero.
     * @param a the array [N, W] to clear rows of
     * @param rows the row indices to clear, each in [0, N)
     */
    void zeroRows(INDArray a, int[] rows);

    /**
     * dst[i, :] = src[rows[i], :] for src [N, W] and dst [rows.length, W].
     * @param src the rows [N, W]
     * @param rows the source row of each output row, each in [0, N)
     * @param dst the gathered rows [rows.length, W], overwritten
     */
    void gatherRows(INDArray src, int[] rows, INDArray dst);

    /**
     * dst[rows[i], :] = src[i, :] (or += with {@code accumulate}) for src [rows.length, W] and dst [N, W].
     * @param src the rows [rows.length, W] to write
     * @param rows the destination row of each source row, each in [0, N)
     * @param dst the destination [N, W]
     * @param accumulate true to add into dst instead of overwriting its rows
     */
    void scatterRows(INDArray src, int[] rows, INDArray dst, boolean accumulate);

    /**
     * out = scale * x + alpha * row, with row [W] repeated over the rows of x [N, W] (null: no row term); out may
     * alias x.
     * @param x the input [N, W]
     * @param scale the factor on x
     * @param row the row [W] to add to every row, or null for none
     * @param alpha the factor on row
     * @param out the result [N, W], overwritten
     */
    void scaleAddRow(INDArray x, float scale, INDArray row, float alpha, INDArray out);

    /**
     * out = exp(x) elementwise (out may alias x).
     * @param x the input
     * @param out the result, the same length, overwritten
     */
    void exp(INDArray x, INDArray out);

    /**
     * The AdamW update of parameter p from gradient g with F32 moments m and v (all the same length), in place.
     * @param p the parameter, updated in place
     * @param g the gradient of p
     * @param m the first moment (F32), updated in place
     * @param v the second moment (F32), updated in place
     * @param step the hyper-parameters and bias corrections of this step
     */
    void adamW(INDArray p, INDArray g, INDArray m, INDArray v, AdamStep step);

    /**
     * norms[j] = the Euclidean norm of row j of w [S, W] (float products summed in double).
     * @param w the rows [S, W]
     * @param norms receives the norm of each row [S], overwritten
     */
    void rowNorms(INDArray w, INDArray norms);

    /**
     * dw[j, :] += scale * dnorms[j] * w[j, :] / norms[j] (the gradient of sum_j dnorms[j] norms[j]; zero-norm rows
     * skipped).
     * @param w the rows [S, W]
     * @param norms the norms [S] that {@link #rowNorms} computed
     * @param dnorms the gradient of the norms [S]
     * @param scale the factor on the gradient
     * @param dw the gradient of w [S, W] to accumulate into
     */
    void rowNormsBackward(INDArray w, INDArray norms, INDArray dnorms, float scale, INDArray dw);

    /**
     * Scales each row of w [S, W] to unit norm (norms below {@code minNorm} count as minNorm).
     * @param w the rows [S, W], normalised in place
     * @param minNorm the smallest norm divided by (guards against zero rows)
     */
    void normalizeRows(INDArray w, double minNorm);

    // ---- Sparse codes (the latents of sparse autoencoders) ----
    // CSR over N rows and S latents: start [N+1] and idx [>= nnz] are INT arrays of this backend (zerosInt), val
    // [>= nnz] FLOAT; row r's entries are [start[r], start[r+1]), in increasing latent order.

    /**
     * A zero-filled INT array of this backend (the row starts and latent indices of sparse codes).
     * @param shape the dimensions of the array
     * @return a new zero-filled INT array of that shape, allocated by this backend
     */
    INDArray zerosInt(long... shape);

    /**
     * Codes of the k largest positive values of each row of pre [N, S] (only latents with allowed[j] != 0 when allowed
     * [S] is given; among equal values the lower latent is kept). idx and val need room for N*k entries. Returns nnz.
     * @param pre the pre-activations [N, S]
     * @param k the number of latents to keep per row
     * @param allowed the mask [S] of latents that may be chosen (non-zero allowed), or null for all
     * @param start receives the CSR row starts [N+1]
     * @param idx receives the latent indices, room for N*k entries
     * @param val receives the values, room for N*k entries
     * @return nnz, the number of entries written
     */
    int topK(INDArray pre, int k, INDArray allowed, INDArray start, INDArray idx, INDArray val);

    /**
     * Codes of the entries pre[r, j] &gt; th[j] (th [S], or the scalar when th is null). Returns nnz; when idx or val
     * are shorter than nnz, only start is written (grow them and ask again).
     * @param pre the pre-activations [N, S]
     * @param th the per-latent thresholds [S], or null to use {@code scalar}
     * @param scalar the threshold of every latent when th is null
     * @param start receives the CSR row starts [N+1]
     * @param idx receives the latent indices, when it has room for nnz entries
     * @param val receives the values, when it has room for nnz entries
     * @return nnz, the number of entries above threshold (written only when idx and val have room)
     */
    int selectAbove(INDArray pre, INDArray th, float scalar, INDArray start, INDArray idx, INDArray val);

    /**
     * BatchTopK's cut over all values of a: {t, m} with t the k-th largest positive value (0 when there are at most k
     * positive values: then every positive value is above it) and m the smallest value above t (Float.MAX_VALUE when
     * none). BatchTopK keeps the values at or above t (k of them when t is not tied). A small result, read back.
     * @param a the values, any shape
     * @param k the number of values to keep
     * @return {@code {t, m}}, a new two-element host array
     */
    float[] kthLargestPositive(INDArray a, int k);

    /**
     * out[r, :] = bias + sum over row r's entries of val[e] w[idx[e], :] (bias [W] or null) for w [S, W], out [N, W].
     * @param start the CSR row starts [N+1]
     * @param idx the latent indices [nnz]
     * @param val the values [nnz]
     * @param w the decoder [S, W]
     * @param bias the bias [W], or null for none
     * @param out the decoded rows [N, W], overwritten
     */
    void sparseDecode(INDArray start, INDArray idx, INDArray val, INDArray w, INDArray bias, INDArray out);

    /**
     * out[e] = a[r, :] . w[idx[e], :] (+ scale * add[idx[e]] when add [S] is given) for each entry e of row r;
     * out [>= nnz].
     * @param start the CSR row starts [N+1]
     * @param idx the latent indices [nnz]
     * @param a the rows [N, W]
     * @param w the latent directions [S, W]
     * @param add a per-latent term [S], or null for none
     * @param scale the factor on add
     * @param out receives one dot product per entry [at least nnz], overwritten
     */
    void sparseDots(INDArray start, INDArray idx, INDArray a, INDArray w, INDArray add, float scale, INDArray out);

    /**
     * dw[idx[e], :] += coef[e] x[r, :] and colsum[idx[e]] += coef[e] (colsum may be null) for each entry e of row r.
     * @param start the CSR row starts [N+1]
     * @param idx the latent indices [nnz]
     * @param coef the coefficient of each entry [nnz]
     * @param x the rows [N, W]
     * @param dw the gradient [S, W] to accumulate into
     * @param colsum the per-latent sums [S] to accumulate into, or null
     */
    void sparseOuter(INDArray start, INDArray idx, INDArray coef, INDArray x, INDArray dw, INDArray colsum);

    /**
     * JumpReLU's straight-through threshold gradient over pre [N, S] with thresholds th [S] and bandwidth eps: for
     * each (r, j) with |pre - th[j]| &lt; eps / 2, g_j += -(th[j] / eps) (dout[r, :] . w[j, :]) - l0Grad (summed in
     * double over r); then dLogThreshold[j] += g_j th[j].
     * @param pre the pre-activations [N, S]
     * @param th the thresholds [S] (positive)
     * @param bandwidth eps, the width of the straight-through window around each threshold
     * @param dout the gradient of the decoded output [N, W]
     * @param w the decoder [S, W]
     * @param l0Grad the L0 term subtracted per in-window entry, e.g. lambda / (N * eps) for an L0 penalty lambda
     * @param dLogThreshold the log-threshold gradient [S] to accumulate into
     */
    void jumpReluThresholdBackward(INDArray pre, INDArray th, float bandwidth, INDArray dout, INDArray w, double l0Grad,
                                   INDArray dLogThreshold);
}
