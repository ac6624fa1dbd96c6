package org.tinysql.tensor;

import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Row-major SGEMM straight into OpenBLAS (the library ND4J itself calls), on whole ND4J arrays or on sub-matrices
 * addressed by element offset and leading dimension (attention multiplies one (batch, head) block at a time, with
 * rows strided by the other heads).
 *
 * <p>OpenBLAS runs single-threaded here and large products are split into column or row panels that run on the
 * common fork-join pool. OpenBLAS's own thread pool spins ({@code sched_yield}) for a long while after every
 * product; on a 2-core machine that spinning took about 40% of a small model's training step away from the
 * element-wise kernels that run between the products. Calls are thread-safe.
 */
public final class Blas {

    /** Products below this many multiply-adds run on the calling thread (splitting costs more than it gains). */
    private static final long SPLIT_MIN_FLOPS = 1L << 21;
    /** Panel widths are multiples of this (the OpenBLAS micro-kernel width). */
    private static final int ALIGN = 16;

    static {
        Nd4j.create(1); // load ND4J's native backend (and with it OpenBLAS) before configuring it
        openblas_nolapack.blas_set_num_threads(1);
    }

    private Blas() {
    }

    /**
     * Threads OpenBLAS itself uses (1 once this class is loaded).
     * @return the OpenBLAS thread count
     */
    public static int openblasThreads() {
        return openblas_nolapack.blas_get_num_threads();
    }

    /**
     * {@code c = alpha * op(a) op(b) + beta * c} on dense row-major FLOAT matrices, the same contract as
     * {@code Nd4j.gemm(a, b, c, transA, transB, alpha, beta)}; {@code c} is preallocated.
     * @param a the left matrix [M, K] (or [K, M] with {@code transA}), dense row-major FLOAT
     * @param b the right matrix [K, N] (or [N, K] with {@code transB}), dense row-major FLOAT
     * @param c the output [M, N], dense row-major FLOAT; read when beta is not 0
     * @param transA whether to use a transposed
     * @param transB whether to use b transposed
     * @param alpha the factor on the product
     * @param beta the factor on the old c (0 to overwrite it)
     */
    public static void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha, double beta) {
        if (a.rank() != 2 || b.rank() != 2 || c.rank() != 2) {
            throw new IllegalArgumentException("gemm needs matrices, got ranks " + a.rank() + ", " + b.rank() + ", " + c.rank());
        }
        int m = (int) (transA ? a.size(1) : a.size(0));
        int k = (int) (transA ? a.size(0) : a.size(1));
        int kb = (int) (transB ? b.size(1) : b.size(0));
        int n = (int) (transB ? b.size(0) : b.size(1));
        if (k != kb || c.size(0) != m || c.size(1) != n) {
            throw new IllegalArgumentException("gemm shapes do not match: op(a) " + m + "x" + k + ", op(b) " + kb + "x" + n
                    + ", c " + c.size(0) + "x" + c.size(1));
        }
        gemmParallel(transA, transB, m, n, k, (float) alpha, pointer(a), 0, (int) a.size(1), pointer(b), 0,
                (int) b.size(1), (float) beta, pointer(c), 0, n);
    }

    /** The data pointer of a dense row-major FLOAT array, positioned at its first element. */
    static FloatPointer pointer(INDArray a) {
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("expected a FLOAT array, got " + a.dataType());
        }
        Buffers.fb(a); // validates the dense row-major layout
        FloatPointer p = new FloatPointer(a.data().pointer());
        return p.position(p.position() + a.offset());
    }

    /** As {@link #gemm(boolean, boolean, int, int, int, float, FloatPointer, long, int, FloatPointer, long, int, float, FloatPointer, long, int)}, split into panels run in parallel when large. */
    static void gemmParallel(boolean transA, boolean transB, int m, int n, int k, float alpha, FloatPointer a, long aOff,
                             int lda, FloatPointer b, long bOff, int ldb, float beta, FloatPointer c, long cOff, int ldc) {
        int threads = java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1;
        boolean byColumns = n >= m;
        int span = byColumns ? n : m;
        int parts = (int) Math.min(threads, Math.min(span / ALIGN, (long) m * n * k / SPLIT_MIN_FLOPS));
        if (parts <= 1) {
            gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        int step = ((span + parts - 1) / parts + ALIGN - 1) / ALIGN * ALIGN;
        IntStream.range(0, (span + step - 1) / step).parallel().forEach(p -> {
            int from = p * step;
            int len = Math.min(step, span - from);
            if (byColumns) { // columns [from, from + len) of op(b) and c
                gemm(transA, transB, m, len, k, alpha, a, aOff, lda, b, bOff + (transB ? (long) from * ldb : from), ldb,
                        beta, c, cOff + from, ldc);
            } else { // rows [from, from + len) of op(a) and c
                gemm(transA, transB, len, n, k, alpha, a, aOff + (transA ? from : (long) from * lda), lda, b, bOff, ldb,
                        beta, c, cOff + (long) from * ldc, ldc);
            }
        });
    }

    /**
     * c[cOff..] = alpha * op(a[aOff..]) op(b[bOff..]) + beta * c[cOff..], where op(a) is m x k, op(b) is k x n, and
     * each matrix starts at an element offset of its base pointer with the given leading dimension. Runs on the
     * calling thread.
     */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, FloatPointer a, long aOff, int lda,
                     FloatPointer b, long bOff, int ldb, float beta, FloatPointer c, long cOff, int ldc) {
        if (m == 1 && n > 1 && k > 0) {
            gemv(transA, transB, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff);
            return;
        }
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans, m, n, k, alpha,
                at(a, aOff), lda, at(b, bOff), ldb, beta, at(c, cOff), ldc);
    }

    /**
     * The one-row product c[1, n] = alpha * a[1, k] op(b) + beta * c as a matrix-vector product: SGEMM packs all of
     * op(b) into a work buffer before multiplying, which for one row (decoding at batch 1: every weight matrix, the
     * unembedding's [V, C] included) doubles the memory traffic of a product that memory bandwidth bounds; SGEMV
     * streams the matrix once. With beta 0, SGEMV overwrites c without reading it, as SGEMM does (BlasTest checks
     * that an old NaN does not leak in).
     */
    private static void gemv(boolean transA, boolean transB, int n, int k, float alpha, FloatPointer a, long aOff, int lda,
                             FloatPointer b, long bOff, int ldb, float beta, FloatPointer c, long cOff) {
        FloatPointer y = at(c, cOff);
        int incx = transA ? lda : 1; // a is [1, k], or [k, 1] read down its column
        if (transB) { // b is [n, k]: y = b x
            openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans, n, k, alpha,
                    at(b, bOff), ldb, at(a, aOff), incx, beta, y, 1);
        } else { // b is [k, n]: y = b^T x
            openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasTrans, k, n, alpha,
                    at(b, bOff), ldb, at(a, aOff), incx, beta, y, 1);
        }
    }

    private static FloatPointer at(FloatPointer base, long off) {
        return new FloatPointer(base).position(base.position() + off);
    }
}
