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
public interface Kernels {

    /** y[N,M] = x[N,K] W[M,K]^T (+ b[M]). */
    void linear(INDArray x, INDArray w, INDArray b, INDArray y);

    /** dx[N,K] += dy W; dW[M,K] += dy^T x; db[M] += colsum(dy). Any of dx, dW, db may be null. */
    void linearBackward(INDArray dy, INDArray x, INDArray w, INDArray dx, INDArray dw, INDArray db);

    /**
     * A zero-filled FLOAT array of this backend: every activation, cache and statistics buffer of a model is
     * allocated here, so a device backend owns them (host copies only where a caller asks for values).
     */
    INDArray zeros(long... shape);

    /** y = (x - mean) * rstd * w + b over the last dim C; mean[N], rstd[N] (arrays of this backend) are saved for backward. */
    void layerNorm(INDArray x, INDArray w, INDArray b, INDArray y, INDArray mean, INDArray rstd, double eps);

    /** dx += d(LayerNorm)/dx^T dy; dw, db accumulate (either may be null: not wanted). */
    void layerNormBackward(INDArray dy, INDArray x, INDArray w, INDArray mean, INDArray rstd, INDArray dx, INDArray dw, INDArray db);

    /** y = x * rstd * w with rstd[N] = 1/sqrt(mean(x^2) + eps). */
    void rmsNorm(INDArray x, INDArray w, INDArray y, INDArray rstd, double eps);

    /** dx += d(RMSNorm)/dx^T dy; dw accumulates (may be null). */
    void rmsNormBackward(INDArray dy, INDArray x, INDArray w, INDArray rstd, INDArray dx, INDArray dw);

    /** GELU, tanh form ("gelu_new"). */
    void gelu(INDArray x, INDArray y);

    void geluBackward(INDArray dy, INDArray x, INDArray dx);

    /** out = silu(gate) * up. */
    void swiglu(INDArray gate, INDArray up, INDArray out);

    void swigluBackward(INDArray dout, INDArray gate, INDArray up, INDArray dgate, INDArray dup);

    /**
     * Rotary embedding (HF rotate_half layout) of x[B,T,nh,D] at positions pos[B][T] with inverse frequencies
     * invFreq[D/2] (see {@code ModelConfig.ropeInverseFrequencies}); out may alias x.
     */
    void rope(INDArray x, int nh, int[][] pos, double[] invFreq, INDArray out);

    /** dx += R^T dout (the inverse rotation). */
    void ropeBackward(INDArray dout, int nh, int[][] pos, double[] invFreq, INDArray dx);

    /**
     * scores[B,H,Tq,Tk] = scale * q k^T, masked entries set to -Float.MAX_VALUE. keyMask[b][j] is 0 for padding and
     * otherwise the segment of key j (1 for a row holding one sequence; 1, 2, ... for sequences packed into one row).
     * Key j is visible to query i when keyMask[b][j] != 0, j {@code <=} i + offset, (window == 0 or i + offset - j {@code <} window),
     * and key j is in the query's segment keyMask[b][i + offset] (a padding query, segment 0, sees every real key);
     * offset is the number of cached positions before the queries (0 without a KV cache).
     *
     * <p>The attention kernels take {@code spans}: null runs them dense over [Tq, Tk]; {@link AttentionSpans} of the
     * same key mask runs them over its tiles only (the mask, window and offset are then implied by the spans), leaving
     * the entries of scores, pattern and their gradients outside the tiles stale: for passes nobody reads those from.
     */
    void attentionScores(INDArray q, INDArray k, int nHeads, int nKv, int[][] keyMask, int window, float scale, int offset,
                         AttentionSpans spans, INDArray scores);

    /** Row softmax over the last dim (over each query's visible keys with spans). */
    void softmax(INDArray scores, AttentionSpans spans, INDArray pattern);

    /** z[B,Tq,H,D] = pattern v (v has KV heads, shared by H/KV query heads). */
    void attentionApply(INDArray pattern, INDArray v, int nHeads, int nKv, AttentionSpans spans, INDArray z);

    /** dpattern = dz v^T (overwritten); dv += pattern^T dz. */
    void attentionApplyBackward(INDArray dz, INDArray pattern, INDArray v, int nHeads, int nKv, AttentionSpans spans,
                                INDArray dpattern, INDArray dv);

    /** dscores = pattern * (dpattern - rowsum(dpattern * pattern)) (overwritten; may alias dpattern). */
    void softmaxBackward(INDArray dpattern, INDArray pattern, AttentionSpans spans, INDArray dscores);

    /** dq += scale dscores k; dk += scale dscores^T q. */
    void attentionScoresBackward(INDArray dscores, INDArray q, INDArray k, int nHeads, int nKv, AttentionSpans spans, float scale,
                                 INDArray dq, INDArray dk);

    /** out[N,C] = table[ids[n]] (rows gathered). */
    void embedding(int[] ids, INDArray table, INDArray out);

    /** dtable[ids[n]] += dout[n]. */
    void embeddingBackward(INDArray dout, int[] ids, INDArray dtable);

    /**
     * Mean cross-entropy of logits[N,V] against targets[N] (-100 = ignore). When dlogits is not null it receives
     * (softmax - onehot) * gradScale / count for the counted rows and 0 elsewhere. Returns {sum of losses, count}.
     */
    double[] crossEntropy(INDArray logits, int[] targets, INDArray dlogits, float gradScale);

    /**
     * c[M,N] = alpha op(a) op(b) + beta c for matrices a and b (op = transpose when asked); c is preallocated. The
     * products of interpretability code (EAP's scores, per-head projections) run here.
     */
    void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, float alpha, float beta);

    /** out = a + b elementwise (out may alias a or b). */
    void add(INDArray a, INDArray b, INDArray out);

    /** out = a - b elementwise (out may alias a or b). */
    void sub(INDArray a, INDArray b, INDArray out);

    /** out = a + alpha * b elementwise, rounded as float (out may alias a or b). */
    void addScaled(INDArray a, float alpha, INDArray b, INDArray out);

    /** dst = src elementwise (same length; shapes may differ). */
    default void copy(INDArray src, INDArray dst) {
        copyColumns(src.reshape('c', 1, src.length()), 0, dst.reshape('c', 1, dst.length()), 0, (int) src.length(), false);
    }

    /**
     * A strided 2-D copy: dst[r, dstCol + j] = src[r, srcCol + j] (or += with {@code accumulate}) for j &lt; width and
     * every row r. Both arrays are read as [size(0), length / size(0)] matrices with the same number of rows: one head's
     * columns of a [N, H*D] activation, or one position's of a [B, T*C] view of [B,T,C].
     */
    void copyColumns(INDArray src, int srcCol, INDArray dst, int dstCol, int width, boolean accumulate);

    /**
     * out[k] = the sum over rows r and the columns j of block k (columns [k*width, (k+1)*width)) of a[r, j] b[r, j],
     * for a and b read as [size(0), W] and out [W / width]; accumulated in double, rounded once. Per-position sums of
     * a [B, T*C] view (width C), per-head sums of [N, H*D] (width D), per-row dot products of a [1, N*W] view (width W).
     */
    void blockDots(INDArray a, INDArray b, int width, INDArray out);

    /** dst[W] = the mean of rows {@code rows} of src [N, W], accumulated in double (rows in the given order). */
    void meanRows(INDArray src, int[] rows, INDArray dst);

    /** Sets every element of a to zero. */
    void zero(INDArray a);

    /** Sets rows {@code rows} of a [N, W] to zero. */
    void zeroRows(INDArray a, int[] rows);

    /** dst[i, :] = src[rows[i], :] for src [N, W] and dst [rows.length, W]. */
    void gatherRows(INDArray src, int[] rows, INDArray dst);

    /** dst[rows[i], :] = src[i, :] (or += with {@code accumulate}) for src [rows.length, W] and dst [N, W]. */
    void scatterRows(INDArray src, int[] rows, INDArray dst, boolean accumulate);

    /** out = scale * x + alpha * row, with row [W] repeated over the rows of x [N, W] (null: no row term); out may alias x. */
    void scaleAddRow(INDArray x, float scale, INDArray row, float alpha, INDArray out);

    /** out = exp(x) elementwise (out may alias x). */
    void exp(INDArray x, INDArray out);

    /** The AdamW update of parameter p from gradient g with F32 moments m and v (all the same length), in place. */
    void adamW(INDArray p, INDArray g, INDArray m, INDArray v, AdamStep step);

    /** norms[j] = the Euclidean norm of row j of w [S, W] (float products summed in double). */
    void rowNorms(INDArray w, INDArray norms);

    /** dw[j, :] += scale * dnorms[j] * w[j, :] / norms[j] (the gradient of sum_j dnorms[j] norms[j]; zero-norm rows skipped). */
    void rowNormsBackward(INDArray w, INDArray norms, INDArray dnorms, float scale, INDArray dw);

    /** Scales each row of w [S, W] to unit norm (norms below {@code minNorm} count as minNorm). */
    void normalizeRows(INDArray w, double minNorm);

    // ---- Sparse codes (the latents of sparse autoencoders) ----
    // CSR over N rows and S latents: start [N+1] and idx [>= nnz] are INT arrays of this backend (zerosInt), val
    // [>= nnz] FLOAT; row r's entries are [start[r], start[r+1]), in increasing latent order.

    /** A zero-filled INT array of this backend (the row starts and latent indices of sparse codes). */
    INDArray zerosInt(long... shape);

    /**
     * Codes of the k largest positive values of each row of pre [N, S] (only latents with allowed[j] != 0 when allowed
     * [S] is given; among equal values the lower latent is kept). idx and val need room for N*k entries. Returns nnz.
     */
    int topK(INDArray pre, int k, INDArray allowed, INDArray start, INDArray idx, INDArray val);

    /**
     * Codes of the entries pre[r, j] &gt; th[j] (th [S], or the scalar when th is null). Returns nnz; when idx or val
     * are shorter than nnz, only start is written (grow them and ask again).
     */
    int selectAbove(INDArray pre, INDArray th, float scalar, INDArray start, INDArray idx, INDArray val);

    /**
     * BatchTopK's cut over all values of a: {t, m} with t the k-th largest positive value (0 when there are at most k
     * positive values: then every positive value is above it) and m the smallest value above t (Float.MAX_VALUE when
     * none). BatchTopK keeps the values at or above t (k of them when t is not tied). A small result, read back.
     */
    float[] kthLargestPositive(INDArray a, int k);

    /** out[r, :] = bias + sum over row r's entries of val[e] w[idx[e], :] (bias [W] or null) for w [S, W], out [N, W]. */
    void sparseDecode(INDArray start, INDArray idx, INDArray val, INDArray w, INDArray bias, INDArray out);

    /** out[e] = a[r, :] . w[idx[e], :] (+ scale * add[idx[e]] when add [S] is given) for each entry e of row r; out [>= nnz]. */
    void sparseDots(INDArray start, INDArray idx, INDArray a, INDArray w, INDArray add, float scale, INDArray out);

    /** dw[idx[e], :] += coef[e] x[r, :] and colsum[idx[e]] += coef[e] (colsum may be null) for each entry e of row r. */
    void sparseOuter(INDArray start, INDArray idx, INDArray coef, INDArray x, INDArray dw, INDArray colsum);

    /**
     * JumpReLU's straight-through threshold gradient over pre [N, S] with thresholds th [S] and bandwidth eps: for
     * each (r, j) with |pre - th[j]| &lt; eps / 2, g_j += -(th[j] / eps) (dout[r, :] . w[j, :]) - l0Grad (summed in
     * double over r); then dLogThreshold[j] += g_j th[j].
     */
    void jumpReluThresholdBackward(INDArray pre, INDArray th, float bandwidth, INDArray dout, INDArray w, double l0Grad,
                                   INDArray dLogThreshold);
}
