package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The attention kernels of {@link CpuAttention} restricted to {@link AttentionSpans}: per (batch, head) and tile, a
 * GEMM over the tile's keys only, and the softmax and its backward over the keys each query sees. Same layouts as
 * CpuAttention (q, k, v, z [B, T, heads, D]; scores, pattern [B, H, T, T]); entries outside the tiles are neither read
 * nor written, except that softmax zeroes a causal tile's upper triangle in the pattern, which the tile's GEMMs read.
 * Shapes: T queries = T keys, D head size, group = H / KV query heads per key/value head.
 */
final class CpuSpanAttention {

    private CpuSpanAttention() {
    }

    private static int headSize(INDArray x, int rows, int heads) {
        return (int) (x.length() / ((long) rows * heads));
    }

    static void attentionScores(INDArray q, INDArray k, int nHeads, int nKv, AttentionSpans spans, float scale, INDArray scores) {
        int b = spans.rows();
        int t = spans.time();
        int d = headSize(q, b * t, nHeads);
        int group = nHeads / nKv;
        FloatPointer qp = Blas.pointer(q), kp = Blas.pointer(k), sp = Blas.pointer(scores);
        IntStream.range(0, b * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            int h = bh % nHeads;
            long so = (long) bh * t * t;
            for (int i = 0; i < spans.tileCount(bi); i++) {
                int r0 = spans.r0(bi, i), k0 = spans.k0(bi, i);
                Blas.gemm(false, true, spans.r1(bi, i) - r0, spans.k1(bi, i) - k0, d, scale, qp, (((long) bi * t + r0) * nHeads + h) * d,
                        nHeads * d, kp, (((long) bi * t + k0) * nKv + h / group) * d, nKv * d, 0f, sp, so + (long) r0 * t + k0, t);
            }
        });
    }

    /** Softmax of each query's visible keys; the rest of its tile's key range (a causal tile's triangle) becomes 0. */
    static void softmax(INDArray scores, AttentionSpans spans, INDArray pattern) {
        int nHeads = (int) scores.size(1);
        int b = spans.rows();
        int t = spans.time();
        FloatBuffer sb = fb(scores), pb = fb(pattern);
        IntStream.range(0, b * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            long so = (long) bh * t * t;
            float[] row = new float[t];
            VectorMath vm = VectorMath.get();
            for (int i = 0; i < spans.tileCount(bi); i++) {
                int k0 = spans.k0(bi, i), k1 = spans.k1(bi, i);
                for (int r = spans.r0(bi, i); r < spans.r1(bi, i); r++) {
                    int e = spans.keyEnd(bi, i, r);
                    int n = e - k0;
                    int o = (int) (so + (long) r * t + k0);
                    sb.get(o, row, 0, n);
                    vm.softmaxRow(row, 0, n);
                    java.util.Arrays.fill(row, n, k1 - k0, 0f);
                    pb.put(o, row, 0, k1 - k0);
                }
            }
        });
    }

    static void attentionApply(INDArray pattern, INDArray v, int nHeads, int nKv, AttentionSpans spans, INDArray z) {
        int b = spans.rows();
        int t = spans.time();
        int d = headSize(z, b * t, nHeads);
        int group = nHeads / nKv;
        FloatPointer pp = Blas.pointer(pattern), vp = Blas.pointer(v), zp = Blas.pointer(z);
        IntStream.range(0, b * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            int h = bh % nHeads;
            long po = (long) bh * t * t;
            for (int i = 0; i < spans.tileCount(bi); i++) {
                int r0 = spans.r0(bi, i), k0 = spans.k0(bi, i);
                // z[r0:r1] = pattern[r0:r1, k0:k1] v[k0:k1]
                Blas.gemm(false, false, spans.r1(bi, i) - r0, d, spans.k1(bi, i) - k0, 1f, pp, po + (long) r0 * t + k0, t,
                        vp, (((long) bi * t + k0) * nKv + h / group) * d, nKv * d, 0f, zp, (((long) bi * t + r0) * nHeads + h) * d,
                        nHeads * d);
            }
        });
    }

    static void attentionApplyBackward(INDArray dz, INDArray pattern, INDArray v, int nHeads, int nKv, AttentionSpans spans,
                                       INDArray dpattern, INDArray dv) {
        int b = spans.rows();
        int t = spans.time();
        int d = headSize(dz, b * t, nHeads);
        int group = nHeads / nKv;
        FloatPointer dzp = Blas.pointer(dz), pp = Blas.pointer(pattern), vp = Blas.pointer(v);
        FloatPointer dpp = Blas.pointer(dpattern), dvp = Blas.pointer(dv);
        IntStream.range(0, b * nKv).parallel().forEach(bk -> {
            int bi = bk / nKv;
            int kvh = bk % nKv;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                long po = ((long) bi * nHeads + h) * t * t;
                for (int i = 0; i < spans.tileCount(bi); i++) {
                    int r0 = spans.r0(bi, i), r1 = spans.r1(bi, i), k0 = spans.k0(bi, i), k1 = spans.k1(bi, i);
                    long zo = (((long) bi * t + r0) * nHeads + h) * d;
                    long vo = (((long) bi * t + k0) * nKv + kvh) * d;
                    long to = po + (long) r0 * t + k0;
                    // dpattern = dz v^T; dv += pattern^T dz
                    Blas.gemm(false, true, r1 - r0, k1 - k0, d, 1f, dzp, zo, nHeads * d, vp, vo, nKv * d, 0f, dpp, to, t);
                    Blas.gemm(true, false, k1 - k0, d, r1 - r0, 1f, pp, to, t, dzp, zo, nHeads * d, 1f, dvp, vo, nKv * d);
                }
            }
        });
    }

    /** dscores = pattern (dpattern - sum(dpattern pattern)) over the visible keys; 0 on the rest of the tile. */
    static void softmaxBackward(INDArray dpattern, INDArray pattern, AttentionSpans spans, INDArray dscores) {
        int nHeads = (int) pattern.size(1);
        int b = spans.rows();
        int t = spans.time();
        FloatBuffer db = fb(dpattern), pb = fb(pattern), ob = fb(dscores);
        IntStream.range(0, b * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            long so = (long) bh * t * t;
            float[] dv = new float[t];
            float[] pv = new float[t];
            VectorMath vm = VectorMath.get();
            for (int i = 0; i < spans.tileCount(bi); i++) {
                int k0 = spans.k0(bi, i), k1 = spans.k1(bi, i);
                for (int r = spans.r0(bi, i); r < spans.r1(bi, i); r++) {
                    int n = spans.keyEnd(bi, i, r) - k0;
                    int o = (int) (so + (long) r * t + k0);
                    db.get(o, dv, 0, n);
                    pb.get(o, pv, 0, n);
                    vm.softmaxBackwardRow(dv, pv, 0, n);
                    java.util.Arrays.fill(dv, n, k1 - k0, 0f);
                    ob.put(o, dv, 0, k1 - k0);
                }
            }
        });
    }

    static void attentionScoresBackward(INDArray dscores, INDArray q, INDArray k, int nHeads, int nKv, AttentionSpans spans,
                                        float scale, INDArray dq, INDArray dk) {
        int b = spans.rows();
        int t = spans.time();
        int d = headSize(q, b * t, nHeads);
        int group = nHeads / nKv;
        FloatPointer sp = Blas.pointer(dscores), qp = Blas.pointer(q), kp = Blas.pointer(k);
        FloatPointer dqp = Blas.pointer(dq), dkp = Blas.pointer(dk);
        IntStream.range(0, b * nKv).parallel().forEach(bk -> {
            int bi = bk / nKv;
            int kvh = bk % nKv;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                long so = ((long) bi * nHeads + h) * t * t;
                for (int i = 0; i < spans.tileCount(bi); i++) {
                    int r0 = spans.r0(bi, i), r1 = spans.r1(bi, i), k0 = spans.k0(bi, i), k1 = spans.k1(bi, i);
                    long qo = (((long) bi * t + r0) * nHeads + h) * d;
                    long ko = (((long) bi * t + k0) * nKv + kvh) * d;
                    long to = so + (long) r0 * t + k0;
                    // dq += scale dscores k; dk += scale dscores^T q
                    Blas.gemm(false, false, r1 - r0, d, k1 - k0, scale, sp, to, t, kp, ko, nKv * d, 1f, dqp, qo, nHeads * d);
                    Blas.gemm(true, false, k1 - k0, d, r1 - r0, scale, sp, to, t, qp, qo, nHeads * d, 1f, dkp, ko, nKv * d);
                }
            }
        });
    }
}
