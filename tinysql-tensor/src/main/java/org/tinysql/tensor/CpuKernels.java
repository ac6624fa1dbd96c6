package org.tinysql.tensor;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CPU kernels: matrix products through {@link Blas} (single-threaded OpenBLAS, large products split into panels that
 * run in parallel) into preallocated outputs; everything else as fused Java loops, in parallel blocks of rows or
 * elements, with bulk copies between the ND4J buffers and Java arrays (no per-element buffer calls, no per-op dispatch
 * overhead). Attention runs one (batch, head) block per task, its products as OpenBLAS calls on sub-matrices of the
 * [B*T, H*D] projections.
 *
 * <p>This class only dispatches to one package-private class per kernel family ({@link CpuLinear}, {@link CpuNorms},
 * {@link CpuActivations}, {@link CpuRope}, {@link CpuAttention}, {@link CpuEmbeddingLoss}, {@link CpuRows}, {@link CpuReductions}, {@link CpuOptimizer}, {@link CpuSelection},
 * {@link CpuSparse}); the
 * work splitting is in {@link CpuParallel}. The only state is the RoPE cos/sin table, kept per instance.
 */
public final class CpuKernels implements Kernels {
    private final CpuRope rope = new CpuRope();

    @Override
    public void linear(INDArray x, INDArray w, INDArray b, INDArray y) {
        CpuLinear.linear(x, w, b, y);
    }

    @Override
    public void linearBackward(INDArray dy, INDArray x, INDArray w, INDArray dx, INDArray dw, INDArray db) {
        CpuLinear.linearBackward(dy, x, w, dx, dw, db);
    }

    @Override
    public INDArray zeros(long... shape) {
        return Buffers.zeros(shape);
    }

    @Override
    public void layerNorm(INDArray x, INDArray w, INDArray b, INDArray y, INDArray mean, INDArray rstd, double eps) {
        CpuNorms.layerNorm(x, w, b, y, mean, rstd, eps);
    }

    @Override
    public void layerNormBackward(INDArray dy, INDArray x, INDArray w, INDArray mean, INDArray rstd, INDArray dx, INDArray dw, INDArray db) {
        CpuNorms.layerNormBackward(dy, x, w, mean, rstd, dx, dw, db);
    }

    @Override
    public void rmsNorm(INDArray x, INDArray w, INDArray y, INDArray rstd, double eps) {
        CpuNorms.rmsNorm(x, w, y, rstd, eps);
    }

    @Override
    public void rmsNormBackward(INDArray dy, INDArray x, INDArray w, INDArray rstd, INDArray dx, INDArray dw) {
        CpuNorms.rmsNormBackward(dy, x, w, rstd, dx, dw);
    }

    @Override
    public void gelu(INDArray x, INDArray y) {
        CpuActivations.gelu(x, y);
    }

    @Override
    public void geluBackward(INDArray dy, INDArray x, INDArray dx) {
        CpuActivations.geluBackward(dy, x, dx);
    }

    @Override
    public void swiglu(INDArray gate, INDArray up, INDArray out) {
        CpuActivations.swiglu(gate, up, out);
    }

    @Override
    public void swigluBackward(INDArray dout, INDArray gate, INDArray up, INDArray dgate, INDArray dup) {
        CpuActivations.swigluBackward(dout, gate, up, dgate, dup);
    }

    @Override
    public void rope(INDArray x, int nh, int[][] pos, double[] invFreq, INDArray out) {
        rope.rope(x, nh, pos, invFreq, out);
    }

    @Override
    public void ropeBackward(INDArray dout, int nh, int[][] pos, double[] invFreq, INDArray dx) {
        rope.ropeBackward(dout, nh, pos, invFreq, dx);
    }

    @Override
    public void attentionScores(INDArray q, INDArray k, int nHeads, int nKv, int[][] keyMask, int window, float scale,
                                int offset, INDArray scores) {
        CpuAttention.attentionScores(q, k, nHeads, nKv, keyMask, window, scale, offset, scores);
    }

    @Override
    public void softmax(INDArray scores, INDArray pattern) {
        CpuAttention.softmax(scores, pattern);
    }

    @Override
    public void attentionApply(INDArray pattern, INDArray v, int nHeads, int nKv, INDArray z) {
        CpuAttention.attentionApply(pattern, v, nHeads, nKv, z);
    }

    @Override
    public void attentionApplyBackward(INDArray dz, INDArray pattern, INDArray v, int nHeads, int nKv, INDArray dpattern,
                                       INDArray dv) {
        CpuAttention.attentionApplyBackward(dz, pattern, v, nHeads, nKv, dpattern, dv);
    }

    @Override
    public void softmaxBackward(INDArray dpattern, INDArray pattern, INDArray dscores) {
        CpuAttention.softmaxBackward(dpattern, pattern, dscores);
    }

    @Override
    public void attentionScoresBackward(INDArray dscores, INDArray q, INDArray k, int nHeads, int nKv, float scale,
                                        INDArray dq, INDArray dk) {
        CpuAttention.attentionScoresBackward(dscores, q, k, nHeads, nKv, scale, dq, dk);
    }

    @Override
    public void fusedAttention(INDArray q, INDArray k, INDArray v, int nHeads, int nKv, AttentionSpans spans, float scale,
                               INDArray z, INDArray tiles) {
        CpuFusedAttention.forward(q, k, v, nHeads, nKv, spans, scale, z, tiles);
    }

    @Override
    public void fusedAttentionBackward(INDArray dz, INDArray q, INDArray k, INDArray v, INDArray tiles, int nHeads, int nKv,
                                       AttentionSpans spans, float scale, INDArray dq, INDArray dk, INDArray dv) {
        CpuFusedAttention.backward(dz, q, k, v, tiles, nHeads, nKv, spans, scale, dq, dk, dv);
    }

    @Override
    public void embedding(int[] ids, INDArray table, INDArray out) {
        CpuEmbeddingLoss.embedding(ids, table, out);
    }

    @Override
    public void embeddingBackward(INDArray dout, int[] ids, INDArray dtable) {
        CpuEmbeddingLoss.embeddingBackward(dout, ids, dtable);
    }

    @Override
    public double[] crossEntropy(INDArray logits, int[] targets, INDArray dlogits, float gradScale) {
        return CpuEmbeddingLoss.crossEntropy(logits, targets, dlogits, gradScale);
    }

    @Override
    public void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, float alpha, float beta) {
        Blas.gemm(a, b, c, transA, transB, alpha, beta);
    }

    @Override
    public void add(INDArray a, INDArray b, INDArray out) {
        CpuRows.addScaled(a, 1f, b, out);
    }

    @Override
    public void sub(INDArray a, INDArray b, INDArray out) {
        CpuRows.addScaled(a, -1f, b, out);
    }

    @Override
    public void addScaled(INDArray a, float alpha, INDArray b, INDArray out) {
        CpuRows.addScaled(a, alpha, b, out);
    }

    @Override
    public void copyColumns(INDArray src, int srcCol, INDArray dst, int dstCol, int width, boolean accumulate) {
        CpuRows.copyColumns(src, srcCol, dst, dstCol, width, accumulate);
    }

    @Override
    public void read(INDArray src, float[] dst) {
        if (src.length() > dst.length) {
            throw new IllegalArgumentException("array of " + src.length() + " values does not fit " + dst.length + " floats");
        }
        Buffers.fb(src).get(0, dst, 0, (int) src.length());
    }

    @Override
    public void blockDots(INDArray a, INDArray b, int width, INDArray out) {
        CpuReductions.blockDots(a, b, width, out);
    }

    @Override
    public void meanRows(INDArray src, int[] rows, INDArray dst) {
        CpuReductions.meanRows(src, rows, dst);
    }

    @Override
    public void zero(INDArray a) {
        CpuRows.zero(a);
    }

    @Override
    public void zeroRows(INDArray a, int[] rows) {
        CpuRows.zeroRows(a, rows);
    }

    @Override
    public void gatherRows(INDArray src, int[] rows, INDArray dst) {
        CpuRows.gatherRows(src, rows, dst);
    }

    @Override
    public void scatterRows(INDArray src, int[] rows, INDArray dst, boolean accumulate) {
        CpuRows.scatterRows(src, rows, dst, accumulate);
    }

    @Override
    public void scaleAddRow(INDArray x, float scale, INDArray row, float alpha, INDArray out) {
        CpuRows.scaleAddRow(x, scale, row, alpha, out);
    }

    @Override
    public void exp(INDArray x, INDArray out) {
        CpuActivations.exp(x, out);
    }

    @Override
    public void adamW(INDArray p, INDArray g, INDArray m, INDArray v, AdamStep step) {
        CpuOptimizer.adamW(p, g, m, v, step);
    }

    @Override
    public void rowNorms(INDArray w, INDArray norms) {
        CpuNorms.rowNorms(w, norms);
    }

    @Override
    public void rowNormsBackward(INDArray w, INDArray norms, INDArray dnorms, float scale, INDArray dw) {
        CpuNorms.rowNormsBackward(w, norms, dnorms, scale, dw);
    }

    @Override
    public void normalizeRows(INDArray w, double minNorm) {
        CpuNorms.normalizeRows(w, minNorm);
    }

    @Override
    public INDArray zerosInt(long... shape) {
        return Buffers.zerosInt(shape);
    }

    @Override
    public int topK(INDArray pre, int k, INDArray allowed, INDArray start, INDArray idx, INDArray val) {
        return CpuSelection.topK(pre, k, allowed, start, idx, val);
    }

    @Override
    public int selectAbove(INDArray pre, INDArray th, float scalar, INDArray start, INDArray idx, INDArray val) {
        return CpuSelection.selectAbove(pre, th, scalar, start, idx, val);
    }

    @Override
    public float[] kthLargestPositive(INDArray a, int k) {
        return CpuSelection.kthLargestPositive(a, k);
    }

    @Override
    public void sparseDecode(INDArray start, INDArray idx, INDArray val, INDArray w, INDArray bias, INDArray out) {
        CpuSparse.sparseDecode(start, idx, val, w, bias, out);
    }

    @Override
    public void sparseDots(INDArray start, INDArray idx, INDArray a, INDArray w, INDArray add, float scale, INDArray out) {
        CpuSparse.sparseDots(start, idx, a, w, add, scale, out);
    }

    @Override
    public void sparseOuter(INDArray start, INDArray idx, INDArray coef, INDArray x, INDArray dw, INDArray colsum) {
        CpuSparse.sparseOuter(start, idx, coef, x, dw, colsum);
    }

    @Override
    public void jumpReluThresholdBackward(INDArray pre, INDArray th, float bandwidth, INDArray dout, INDArray w, double l0Grad,
                                          INDArray dLogThreshold) {
        CpuSparse.jumpReluThresholdBackward(pre, th, bandwidth, dout, w, l0Grad, dLogThreshold);
    }
}
