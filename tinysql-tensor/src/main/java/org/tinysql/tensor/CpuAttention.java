package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Attention scores, softmax and pattern application, forward and backward. The products run one (batch, head) block
 * at a time as small GEMMs straight on the ND4J buffers (Blas): q, k, v, z are [B, T, heads, D] (heads = H for q and
 * z, KV for k and v; rows of one head are strided by heads * D), scores and patterns [B, H, Tq, Tk]. The blocks of
 * different tasks never overlap; query heads that share a KV head (GQA) run in one task in the backward, where they
 * accumulate into the same dk / dv rows. Softmax and its backward run on chunks of rows of the scores.
 */
final class CpuAttention {
    private static final float NEG = -Float.MAX_VALUE;

    private CpuAttention() {
    }

    static void attentionScores(INDArray q, INDArray k, int nHeads, int nKv, int[][] keyMask, int window, float scale,
                                int offset, INDArray scores) {
        int b = (int) scores.size(0);
        int tq = (int) scores.size(2);
        int tk = (int) scores.size(3);
        int d = (int) (q.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        FloatPointer qp = Blas.pointer(q), kp = Blas.pointer(k), sp = Blas.pointer(scores);
        FloatBuffer sb = fb(scores);
        // keys at or after offset + tq (a KV cache's unfilled positions) are in no query's past: not computed, just masked
        int live = Math.min(tk, offset + tq);
        IntStream.range(0, b * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            int h = bh % nHeads;
            int kvh = h / group;
            long so = (long) bh * tq * tk;
            // scores = scale * q k^T (the causal upper triangle too: one GEMM is cheaper than skipping it)
            Blas.gemm(false, true, tq, live, d, scale, qp, ((long) bi * tq * nHeads + h) * d, nHeads * d,
                    kp, ((long) bi * tk * nKv + kvh) * d, nKv * d, 0f, sp, so, tk);
            int[] km = keyMask[bi];
            float[] row = new float[tk];
            java.util.Arrays.fill(row, live, tk, NEG);
            for (int i = 0; i < tq; i++) {
                int qi = i + offset;
                int seg = qi < km.length ? km[qi] : 0; // a padding query (0) sees every real key, as in HF
                int ro = (int) so + i * tk;
                sb.get(ro, row, 0, live);
                for (int j = 0; j < live; j++) {
                    if (j > qi || km[j] == 0 || (seg != 0 && km[j] != seg) || (window != 0 && qi - j >= window)) {
                        row[j] = NEG;
                    }
                }
                sb.put(ro, row, 0, tk);
            }
        });
    }

    /** Rows of the row-wise attention kernels per parallel task. */
    private static final int SOFTMAX_ROWS = 64;

    static void softmax(INDArray scores, INDArray pattern) {
        FloatBuffer sb = fb(scores), pb = fb(pattern);
        int n = (int) scores.size(scores.rank() - 1);
        int rows = (int) (scores.length() / n);
        IntStream.range(0, (rows + SOFTMAX_ROWS - 1) / SOFTMAX_ROWS).parallel().forEach(c -> {
            int r0 = c * SOFTMAX_ROWS;
            int len = (Math.min(rows, r0 + SOFTMAX_ROWS) - r0) * n;
            float[] sv = new float[len];
            sb.get(r0 * n, sv);
            VectorMath vm = VectorMath.get();
            for (int o = 0; o < len; o += n) {
                // masked keys at the end of a row (a causal row's future, a KV cache's unfilled positions) get exactly 0
                // without their exps; a row masked throughout stays uniform, as softmaxRow makes it
                int live = n;
                while (live > 0 && sv[o + live - 1] == NEG) {
                    live--;
                }
                if (live == 0) {
                    vm.softmaxRow(sv, o, n);
                } else {
                    vm.softmaxRow(sv, o, live);
                    java.util.Arrays.fill(sv, o + live, o + n, 0f);
                }
            }
            pb.put(r0 * n, sv);
        });
    }

    static void attentionApply(INDArray pattern, INDArray v, int nHeads, int nKv, INDArray z) {
        int b = (int) pattern.size(0);
        int tq = (int) pattern.size(2);
        int tk = (int) pattern.size(3);
        int d = (int) (z.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        FloatPointer pp = Blas.pointer(pattern), vp = Blas.pointer(v), zp = Blas.pointer(z);
        IntStream.range(0, b * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            int h = bh % nHeads;
            // z = pattern v
            Blas.gemm(false, false, tq, d, tk, 1f, pp, (long) bh * tq * tk, tk, vp, ((long) bi * tk * nKv + h / group) * d,
                    nKv * d, 0f, zp, ((long) bi * tq * nHeads + h) * d, nHeads * d);
        });
    }

    static void attentionApplyBackward(INDArray dz, INDArray pattern, INDArray v, int nHeads, int nKv, INDArray dpattern, INDArray dv) {
        int b = (int) pattern.size(0);
        int tq = (int) pattern.size(2);
        int tk = (int) pattern.size(3);
        int d = (int) (dz.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        FloatPointer dzp = Blas.pointer(dz), pp = Blas.pointer(pattern), vp = Blas.pointer(v);
        FloatPointer dpp = Blas.pointer(dpattern), dvp = Blas.pointer(dv);
        IntStream.range(0, b * nKv).parallel().forEach(bk -> {
            int bi = bk / nKv;
            int kvh = bk % nKv;
            long vo = ((long) bi * tk * nKv + kvh) * d;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                long po = ((long) bi * nHeads + h) * tq * tk;
                long zo = ((long) bi * tq * nHeads + h) * d;
                // dpattern = dz v^T; dv += pattern^T dz
                Blas.gemm(false, true, tq, tk, d, 1f, dzp, zo, nHeads * d, vp, vo, nKv * d, 0f, dpp, po, tk);
                Blas.gemm(true, false, tk, d, tq, 1f, pp, po, tk, dzp, zo, nHeads * d, 1f, dvp, vo, nKv * d);
            }
        });
    }

    static void softmaxBackward(INDArray dpattern, INDArray pattern, INDArray dscores) {
        FloatBuffer db = fb(dpattern), pb = fb(pattern), ob = fb(dscores);
        int n = (int) pattern.size(pattern.rank() - 1);
        int rows = (int) (pattern.length() / n);
        IntStream.range(0, (rows + SOFTMAX_ROWS - 1) / SOFTMAX_ROWS).parallel().forEach(c -> {
            int r0 = c * SOFTMAX_ROWS;
            int len = (Math.min(rows, r0 + SOFTMAX_ROWS) - r0) * n;
            float[] dv = new float[len];
            float[] pv = new float[len];
            db.get(r0 * n, dv);
            pb.get(r0 * n, pv);
            VectorMath vm = VectorMath.get();
            for (int o = 0; o < len; o += n) {
                vm.softmaxBackwardRow(dv, pv, o, n);
            }
            ob.put(r0 * n, dv);
        });
    }

    static void attentionScoresBackward(INDArray dscores, INDArray q, INDArray k, int nHeads, int nKv, float scale, INDArray dq, INDArray dk) {
        int b = (int) dscores.size(0);
        int tq = (int) dscores.size(2);
        int tk = (int) dscores.size(3);
        int d = (int) (q.length() / ((long) b * tq * nHeads));
        int group = nHeads / nKv;
        FloatPointer sp = Blas.pointer(dscores), qp = Blas.pointer(q), kp = Blas.pointer(k);
        FloatPointer dqp = Blas.pointer(dq), dkp = Blas.pointer(dk);
        IntStream.range(0, b * nKv).parallel().forEach(bk -> {
            int bi = bk / nKv;
            int kvh = bk % nKv;
            long ko = ((long) bi * tk * nKv + kvh) * d;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                long so = ((long) bi * nHeads + h) * tq * tk;
                long qo = ((long) bi * tq * nHeads + h) * d;
                // dq += scale * dscores k; dk += scale * dscores^T q
                Blas.gemm(false, false, tq, d, tk, scale, sp, so, tk, kp, ko, nKv * d, 1f, dqp, qo, nHeads * d);
                Blas.gemm(true, false, tk, d, tq, scale, sp, so, tk, qp, qo, nHeads * d, 1f, dkp, ko, nKv * d);
            }
        });
    }
}
