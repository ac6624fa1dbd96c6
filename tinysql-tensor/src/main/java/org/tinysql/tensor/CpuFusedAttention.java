package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Attention over {@link AttentionSpans}' tiles with no [B, H, T, T] array: per (batch row, head) and tile of
 * m {@code <=} {@link AttentionSpans#TILE} queries over its n keys, the scores go to a per-thread scratch [m, n], each
 * row's softmax over the keys its query sees (0 on the rest of the tile) goes to the tile's block of the pattern store
 * ({@code tiles} [H, entries], {@link AttentionSpans#entries}: the pattern over the tiles only), and z = P v. Each tile
 * holds every key its queries see, so a row's softmax never spans two tiles.
 *
 * <p>Backward, per (batch row, KV head), the query heads of that KV head one after the other (they accumulate into
 * the same dk and dv rows), per tile: dP = dz v^T into the scratch; dv += P^T dz; dS = P (dP - rowsum(P dP));
 * dq += scale dS k; dk += scale dS^T q. The forward and backward are the dense kernels' products restricted to the
 * tiles; the store replaces four [B, H, T, T] arrays (scores, pattern and their gradients: 1.2 GB for a CS5 training
 * batch of 4 layers) by one array of the tiles' size (a fifth of one [B, H, T, T] array at CS5's packing).
 * FlashAttention keeps only each row's softmax statistics and computes P again in the backward, which saves memory
 * on a GPU where bandwidth bounds; on two CPU cores the extra GEMM and exps cost more than the store (measured on a
 * 4-layer CS5 training run: 0.26 GB less resident memory, 6% fewer tokens per second than with the store).
 *
 * <p>Layouts: q, z, dq, dz [B, T, H, D]; k, v, dk, dv [B, T, KV, D] (rows of one head strided by heads * D);
 * group = H / KV query heads per key/value head.
 */
final class CpuFusedAttention {

    private CpuFusedAttention() {
    }

    /** One thread's tile memory: scores or pattern gradients natively (for the GEMMs) and rows on the heap. */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> LOCAL = new ThreadLocal<>();
        final FloatPointer mem;
        final FloatBuffer memBuffer;
        final float[] p;
        final float[] dp;

        private Scratch(int size) {
            mem = new FloatPointer(size);
            memBuffer = mem.asBuffer();
            p = new float[size];
            dp = new float[size];
        }

        /** This thread's scratch of at least {@code size} floats per buffer. */
        static Scratch of(int size) {
            Scratch s = LOCAL.get();
            if (s == null || s.p.length < size) {
                if (s != null) {
                    s.mem.close();
                }
                s = new Scratch(size);
                LOCAL.set(s);
            }
            return s;
        }
    }

    private static int headSize(INDArray x, int rows, int heads) {
        return (int) (x.length() / ((long) rows * heads));
    }

    /** z = softmax(scale q k^T) v over the tiles; tiles [H, entries] receives the pattern over the tiles. */
    static void forward(INDArray q, INDArray k, INDArray v, int nHeads, int nKv, AttentionSpans spans, float scale,
                        INDArray z, INDArray tiles) {
        int b = spans.rows();
        int t = spans.time();
        int d = headSize(q, b * t, nHeads);
        int group = nHeads / nKv;
        long entries = spans.entries();
        FloatPointer qp = Blas.pointer(q), kp = Blas.pointer(k), vp = Blas.pointer(v), zp = Blas.pointer(z);
        FloatPointer tp = Blas.pointer(tiles);
        FloatBuffer tb = fb(tiles);
        IntStream.range(0, b * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            int h = bh % nHeads;
            int kvh = h / group;
            Scratch s = Scratch.of(AttentionSpans.TILE * t);
            VectorMath vm = VectorMath.get();
            float[] p = s.p;
            for (int i = 0; i < spans.tileCount(bi); i++) {
                int r0 = spans.r0(bi, i), r1 = spans.r1(bi, i), k0 = spans.k0(bi, i), k1 = spans.k1(bi, i);
                int m = r1 - r0, n = k1 - k0;
                long qo = (((long) bi * t + r0) * nHeads + h) * d;
                long kvo = (((long) bi * t + k0) * nKv + kvh) * d;
                long po = h * entries + spans.tileStart(bi, i);
                Blas.gemm(false, true, m, n, d, scale, qp, qo, nHeads * d, kp, kvo, nKv * d, 0f, s.mem, 0, n);
                s.memBuffer.get(0, p, 0, m * n);
                for (int r = r0; r < r1; r++) {
                    int o = (r - r0) * n;
                    int e = spans.keyEnd(bi, i, r) - k0;
                    vm.softmaxRow(p, o, e);
                    java.util.Arrays.fill(p, o + e, o + n, 0f);
                }
                tb.put((int) po, p, 0, m * n);
                Blas.gemm(false, false, m, d, n, 1f, tp, po, n, vp, kvo, nKv * d, 0f, zp, qo, nHeads * d);
            }
        });
    }

    /** dq += d/dq, dk += d/dk and dv += d/dv of z = softmax(scale q k^T) v, from dz and the forward's tile store. */
    static void backward(INDArray dz, INDArray q, INDArray k, INDArray v, INDArray tiles, int nHeads, int nKv,
                         AttentionSpans spans, float scale, INDArray dq, INDArray dk, INDArray dv) {
        int b = spans.rows();
        int t = spans.time();
        int d = headSize(q, b * t, nHeads);
        int group = nHeads / nKv;
        long entries = spans.entries();
        FloatPointer qp = Blas.pointer(q), kp = Blas.pointer(k), vp = Blas.pointer(v), dzp = Blas.pointer(dz);
        FloatPointer dqp = Blas.pointer(dq), dkp = Blas.pointer(dk), dvp = Blas.pointer(dv);
        FloatPointer tp = Blas.pointer(tiles);
        FloatBuffer tb = fb(tiles);
        IntStream.range(0, b * nKv).parallel().forEach(bk -> {
            int bi = bk / nKv;
            int kvh = bk % nKv;
            Scratch s = Scratch.of(AttentionSpans.TILE * t);
            VectorMath vm = VectorMath.get();
            float[] p = s.p, dp = s.dp;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                for (int i = 0; i < spans.tileCount(bi); i++) {
                    int r0 = spans.r0(bi, i), r1 = spans.r1(bi, i), k0 = spans.k0(bi, i), k1 = spans.k1(bi, i);
                    int m = r1 - r0, n = k1 - k0;
                    long qo = (((long) bi * t + r0) * nHeads + h) * d;
                    long kvo = (((long) bi * t + k0) * nKv + kvh) * d;
                    long po = h * entries + spans.tileStart(bi, i);
                    // dP = dz v^T; dv += P^T dz
                    Blas.gemm(false, true, m, n, d, 1f, dzp, qo, nHeads * d, vp, kvo, nKv * d, 0f, s.mem, 0, n);
                    Blas.gemm(true, false, n, d, m, 1f, tp, po, n, dzp, qo, nHeads * d, 1f, dvp, kvo, nKv * d);
                    // dS = P (dP - rowsum(P dP)) over the keys each query sees
                    tb.get((int) po, p, 0, m * n);
                    s.memBuffer.get(0, dp, 0, m * n);
                    for (int r = r0; r < r1; r++) {
                        int o = (r - r0) * n;
                        int e = spans.keyEnd(bi, i, r) - k0;
                        vm.softmaxBackwardRow(dp, p, o, e);
                        java.util.Arrays.fill(dp, o + e, o + n, 0f);
                    }
                    s.memBuffer.put(0, dp, 0, m * n);
                    // dq += scale dS k; dk += scale dS^T q
                    Blas.gemm(false, false, m, d, n, scale, s.mem, 0, n, kp, kvo, nKv * d, 1f, dqp, qo, nHeads * d);
                    Blas.gemm(true, false, n, d, m, scale, s.mem, 0, n, qp, qo, nHeads * d, 1f, dkp, kvo, nKv * d);
                }
            }
        });
    }
}
