package org.tinysql.tensor;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The attention part of {@link Kernels}: rotary positions and attention, dense (every array a hook may read) and fused
 * over {@link AttentionSpans}' tiles, each with its backward. Shapes: B batch rows, T (Tq, Tk) positions, H query
 * heads, KV key/value heads, D head dimension.
 */
public interface AttentionKernels {

    /**
     * Rotary embedding (HF rotate_half layout) of x[B,T,nh,D] at positions pos[B][T] with inverse frequencies
     * invFreq[D/2] (see {@code ModelConfig.ropeInverseFrequencies}); out may alias x.
     * @param x the queries or keys [B, T, nh, D]
     * @param nh the number of heads in x (H for queries, KV for keys)
     * @param pos the position of each token, [B][T]
     * @param invFreq the inverse frequencies [D/2]
     * @param out the rotated output [B, T, nh, D], overwritten
     */
    void rope(INDArray x, int nh, int[][] pos, double[] invFreq, INDArray out);

    /**
     * dx += R^T dout (the inverse rotation).
     * @param dout the gradient of the rotated output [B, T, nh, D]
     * @param nh the number of heads in dout (H or KV)
     * @param pos the positions [B][T] the forward used
     * @param invFreq the inverse frequencies [D/2] the forward used
     * @param dx the input gradient [B, T, nh, D] to accumulate into
     */
    void ropeBackward(INDArray dout, int nh, int[][] pos, double[] invFreq, INDArray dx);

    /**
     * scores[B,H,Tq,Tk] = scale * q k^T, masked entries set to -Float.MAX_VALUE. keyMask[b][j] is 0 for padding and
     * otherwise the segment of key j (1 for a row holding one sequence; 1, 2, ... for sequences packed into one row).
     * Key j is visible to query i when keyMask[b][j] != 0, j {@code <=} i + offset, (window == 0 or i + offset - j {@code <} window),
     * and key j is in the query's segment keyMask[b][i + offset] (a padding query, segment 0, sees every real key);
     * offset is the number of cached positions before the queries (0 without a KV cache).
     *
     * <p>These attention kernels run dense over [Tq, Tk] and keep every array a hook may read; passes that read none
     * run {@link #fusedAttention} over {@link AttentionSpans}' tiles instead.
     * @param q the queries [B, Tq, H, D]
     * @param k the keys [B, Tk, KV, D]
     * @param nHeads H, the number of query heads
     * @param nKv KV, the number of key/value heads (divides H)
     * @param keyMask the segment of each key per batch row, [B][Tk] (0 for padding)
     * @param window the local attention window in positions, or 0 for global attention
     * @param scale the factor on q k^T, usually 1 / sqrt(D)
     * @param offset the number of cached positions before the first query
     * @param scores the output [B, H, Tq, Tk], overwritten
     */
    void attentionScores(INDArray q, INDArray k, int nHeads, int nKv, int[][] keyMask, int window, float scale, int offset,
                         INDArray scores);

    /**
     * Row softmax over the last dim.
     * @param scores the masked scores [B, H, Tq, Tk]
     * @param pattern the attention probabilities [B, H, Tq, Tk], overwritten
     */
    void softmax(INDArray scores, INDArray pattern);

    /**
     * z[B,Tq,H,D] = pattern v (v has KV heads, shared by H/KV query heads).
     * @param pattern the attention probabilities [B, H, Tq, Tk]
     * @param v the values [B, Tk, KV, D]
     * @param nHeads H, the number of query heads
     * @param nKv KV, the number of key/value heads (divides H)
     * @param z the output [B, Tq, H, D], overwritten
     */
    void attentionApply(INDArray pattern, INDArray v, int nHeads, int nKv, INDArray z);

    /**
     * dpattern = dz v^T (overwritten); dv += pattern^T dz.
     * @param dz the gradient of z [B, Tq, H, D]
     * @param pattern the forward attention probabilities [B, H, Tq, Tk]
     * @param v the values [B, Tk, KV, D]
     * @param nHeads H, the number of query heads
     * @param nKv KV, the number of key/value heads (divides H)
     * @param dpattern receives the pattern gradient [B, H, Tq, Tk], overwritten
     * @param dv the value gradient [B, Tk, KV, D] to accumulate into
     */
    void attentionApplyBackward(INDArray dz, INDArray pattern, INDArray v, int nHeads, int nKv, INDArray dpattern, INDArray dv);

    /**
     * dscores = pattern * (dpattern - rowsum(dpattern * pattern)) (overwritten; may alias dpattern).
     * @param dpattern the gradient of the pattern [B, H, Tq, Tk]
     * @param pattern the forward attention probabilities [B, H, Tq, Tk]
     * @param dscores receives the score gradient [B, H, Tq, Tk], overwritten
     */
    void softmaxBackward(INDArray dpattern, INDArray pattern, INDArray dscores);

    /**
     * dq += scale dscores k; dk += scale dscores^T q.
     * @param dscores the gradient of the scores [B, H, Tq, Tk]
     * @param q the forward queries [B, Tq, H, D]
     * @param k the forward keys [B, Tk, KV, D]
     * @param nHeads H, the number of query heads
     * @param nKv KV, the number of key/value heads (divides H)
     * @param scale the factor the forward applied to q k^T
     * @param dq the query gradient [B, Tq, H, D] to accumulate into
     * @param dk the key gradient [B, Tk, KV, D] to accumulate into
     */
    void attentionScoresBackward(INDArray dscores, INDArray q, INDArray k, int nHeads, int nKv, float scale, INDArray dq, INDArray dk);

    /**
     * z = softmax(scale q k^T) v over the tiles of {@code spans} (the keys each query sees; T queries over the same T
     * keys, no KV cache), without [B, H, T, T] arrays: a tile's scores exist only while it is worked on, and
     * {@code tiles} keeps the pattern over the tiles only, which {@link #fusedAttentionBackward} reads. The same z as
     * the dense kernels to float rounding.
     * @param q the queries [B, T, H, D]
     * @param k the keys [B, T, KV, D]
     * @param v the values [B, T, KV, D]
     * @param nHeads H, the number of query heads
     * @param nKv KV, the number of key/value heads (divides H)
     * @param spans the tiles of the pass's key mask
     * @param scale the factor on q k^T, usually 1 / sqrt(D)
     * @param z the output [B, T, H, D], overwritten
     * @param tiles receives the pattern over the tiles [H, {@link AttentionSpans#entries}], overwritten
     */
    void fusedAttention(INDArray q, INDArray k, INDArray v, int nHeads, int nKv, AttentionSpans spans, float scale, INDArray z,
                        INDArray tiles);

    /**
     * The backward of {@link #fusedAttention}: dq, dk and dv accumulate the gradients of q, k and v given that of z.
     * @param dz the gradient of z [B, T, H, D]
     * @param q the forward queries [B, T, H, D]
     * @param k the forward keys [B, T, KV, D]
     * @param v the forward values [B, T, KV, D]
     * @param tiles the forward's pattern over the tiles [H, {@link AttentionSpans#entries}]
     * @param nHeads H, the number of query heads
     * @param nKv KV, the number of key/value heads (divides H)
     * @param spans the forward's tiles
     * @param scale the factor the forward applied to q k^T
     * @param dq the query gradient [B, T, H, D] to accumulate into
     * @param dk the key gradient [B, T, KV, D] to accumulate into
     * @param dv the value gradient [B, T, KV, D] to accumulate into
     */
    void fusedAttentionBackward(INDArray dz, INDArray q, INDArray k, INDArray v, INDArray tiles, int nHeads, int nKv,
                                AttentionSpans spans, float scale, INDArray dq, INDArray dk, INDArray dv);
}
