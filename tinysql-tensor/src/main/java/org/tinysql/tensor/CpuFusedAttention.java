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

    /** Where things are: T, D, H, KV and a head's tile-store entries of one pass. */
    private record Layout(AttentionSpans spans, int t, int d, int nHeads, int nKv, long entries) {
        static Layout of(INDArray q, AttentionSpans spans, int nHeads, int nKv) {
            int t = spans.time();
            return new Layout(spans, t, (int) (q.length() / ((long) spans.rows() * t * nHeads)), nHeads, nKv, spans.entries());
        }

        /** Offset of query row r of head h of batch row b in q, z and their gradients; their row stride is H D. */
        long query(int b, int r, int h) {
            return (((long) b * t + r) * nHeads + h) * d;
        }

        /** Offset of key row r of KV head h of batch row b in k, v and their gradients; their row stride is KV D. */
        long key(int b, int r, int h) {
            return (((long) b * t + r) * nKv + h) * d;
        }

        /** Offset of tile i of batch row b of head h in the tile store; its row stride is the tile's key count. */
        long tile(int b, int i, int h) {
            return h * entries + spans.tileStart(b, i);
        }
    }

    /** z = softmax(scale q k^T) v over the tiles; tiles [H, entries] receives the pattern over the tiles. */
    static void forward(INDArray q, INDArray k, INDArray v, int nHeads, int nKv, AttentionSpans spans, float scale,
                        INDArray z, INDArray tiles) {
        Layout at = Layout.of(q, spans, nHeads, nKv);
        int t = at.t(), hd = nHeads * at.d(), kvd = nKv * at.d();
        int group = nHeads / nKv;
        FloatPointer qp = Blas.pointer(q), kp = Blas.pointer(k), vp = Blas.pointer(v), zp = Blas.pointer(z);
        FloatPointer tp = Blas.pointer(tiles);
        FloatBuffer tb = fb(tiles);
        IntStream.range(0, spans.rows() * nHeads).parallel().forEach(bh -> {
            int bi = bh / nHeads;
            int h = bh % nHeads;
            int kvh = h / group;
            Scratch s = Scratch.of(AttentionSpans.TILE * t);
            VectorMath vm = VectorMath.get();
            float[] p = s.p;
            for (int i = 0; i < spans.tileCount(bi); i++) {
                int r0 = spans.r0(bi, i), r1 = spans.r1(bi, i), k0 = spans.k0(bi, i), k1 = spans.k1(bi, i);
                int m = r1 - r0, n = k1 - k0;
                long qo = at.query(bi, r0, h), kvo = at.key(bi, k0, kvh), po = at.tile(bi, i, h);
                Blas.gemm(false, true, m, n, at.d(), scale, qp, qo, hd, kp, kvo, kvd, 0f, s.mem, 0, n);
                s.memBuffer.get(0, p, 0, m * n);
                for (int r = r0; r < r1; r++) {
                    int o = (r - r0) * n;
                    int e = spans.keyEnd(bi, i, r) - k0;
                    vm.softmaxRow(p, o, e);
                    java.util.Arrays.fill(p, o + e, o + n, 0f);
                }
                tb.put((int) po, p, 0, m * n);
                Blas.gemm(false, false, m, at.d(), n, 1f, tp, po, n, vp, kvo, kvd, 0f, zp, qo, hd);
            }
        });
    }

    /** dq += d/dq, dk += d/dk and dv += d/dv of z = softmax(scale q k^T) v, from dz and the forward's tile store. */
    static void backward(INDArray dz, INDArray q, INDArray k, INDArray v, INDArray tiles, int nHeads, int nKv,
                         AttentionSpans spans, float scale, INDArray dq, INDArray dk, INDArray dv) {
        Layout at = Layout.of(q, spans, nHeads, nKv);
        int t = at.t(), d = at.d(), hd = nHeads * d, kvd = nKv * d;
        int group = nHeads / nKv;
        FloatPointer qp = Blas.pointer(q), kp = Blas.pointer(k), vp = Blas.pointer(v), dzp = Blas.pointer(dz);
        FloatPointer dqp = Blas.pointer(dq), dkp = Blas.pointer(dk), dvp = Blas.pointer(dv);
        FloatPointer tp = Blas.pointer(tiles);
        FloatBuffer tb = fb(tiles);
        IntStream.range(0, spans.rows() * nKv).parallel().forEach(bk -> {
            int bi = bk / nKv;
            int kvh = bk % nKv;
            Scratch s = Scratch.of(AttentionSpans.TILE * t);
            VectorMath vm = VectorMath.get();
            float[] p = s.p, dp = s.dp;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                for (int i = 0; i < spans.tileCount(bi); i++) {
                    int r0 = spans.r0(bi, i), r1 = spans.r1(bi, i), k0 = spans.k0(bi, i), k1 = spans.k1(bi, i);
                    int m = r1 - r0, n = k1 - k0;
                    long qo = at.query(bi, r0, h), kvo = at.key(bi, k0, kvh), po = at.tile(bi, i, h);
                    // dP = dz v^T; dv += P^T dz
                    Blas.gemm(false, true, m, n, d, 1f, dzp, qo, hd, vp, kvo, kvd, 0f, s.mem, 0, n);
                    Blas.gemm(true, false, n, d, m, 1f, tp, po, n, dzp, qo, hd, 1f, dvp, kvo, kvd);
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
                    Blas.gemm(false, false, m, d, n, scale, s.mem, 0, n, kp, kvo, kvd, 1f, dqp, qo, hd);
                    Blas.gemm(true, false, n, d, m, scale, s.mem, 0, n, qp, qo, hd, 1f, dkp, kvo, kvd);
                }
            }
        });
    }
}
