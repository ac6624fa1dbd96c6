package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Nd4jSmokeTest {

    @Test
    void floatGemmIntoPreallocatedOutputMatchesPlainJava() {
        int m = 37, k = 53, n = 29;
        SplittableRandom r = new SplittableRandom(1);
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (r.nextDouble() * 2 - 1);
        }
        INDArray A = Nd4j.create(a, new long[] {m, k}, 'c');
        INDArray B = Nd4j.create(b, new long[] {k, n}, 'c');
        INDArray C = Nd4j.create(DataType.FLOAT, new long[] {m, n}, 'c');
        Nd4j.gemm(A, B, C, false, false, 1.0, 0.0);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int t = 0; t < k; t++) {
                    s += (double) a[i * k + t] * b[t * n + j];
                }
                assertEquals(s, C.getDouble(i, j), 1e-4, "C[" + i + "," + j + "]");
            }
        }
        assertEquals(DataType.FLOAT, C.dataType());
    }
}
