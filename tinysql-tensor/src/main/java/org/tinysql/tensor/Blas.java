package org.tinysql.tensor;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Row-major SGEMM on sub-matrices of ND4J arrays, straight into OpenBLAS (the library ND4J itself calls).
 * {@code Nd4j.gemm} needs whole arrays; attention multiplies one (batch, head) block at a time, with rows strided by
 * the other heads (leading dimension H*D), so it addresses the blocks by element offset and leading dimension here.
 * Calls are thread-safe; OpenBLAS runs matrices this small on the calling thread.
 */
final class Blas {

    private Blas() {
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

    /**
     * c[cOff..] = alpha * op(a[aOff..]) op(b[bOff..]) + beta * c[cOff..], where op(a) is m x k, op(b) is k x n, and
     * each matrix starts at an element offset of its base pointer with the given leading dimension.
     */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, FloatPointer a, long aOff, int lda,
                     FloatPointer b, long bOff, int ldb, float beta, FloatPointer c, long cOff, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans, m, n, k, alpha,
                at(a, aOff), lda, at(b, bOff), ldb, beta, at(c, cOff), ldc);
    }

    private static FloatPointer at(FloatPointer base, long off) {
        return new FloatPointer(base).position(base.position() + off);
    }
}
