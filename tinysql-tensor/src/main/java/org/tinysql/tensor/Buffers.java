package org.tinysql.tensor;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Direct access to the float data of contiguous ND4J arrays, and allocation helpers. */
public final class Buffers {

    private Buffers() {
    }

    /**
     * A FloatBuffer view of a contiguous FLOAT array; element 0 of the view is element 0 of the array. The view does not
     * keep the array alive: ND4J frees an array's memory once the array is unreachable, so keep a reference to it while
     * the view is in use (see {@link #toFloats}).
     * @param a a dense row-major FLOAT array
     * @return a view of its data, positioned at 0, limited to its length
     */
    public static FloatBuffer fb(INDArray a) {
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("expected a FLOAT array, got " + a.dataType());
        }
        if (!isRowMajorDense(a)) {
            throw new IllegalArgumentException("expected a contiguous row-major array, shape " + java.util.Arrays.toString(a.shape()));
        }
        FloatBuffer all = a.data().asNioFloat();
        long off = a.offset();
        if (off == 0 && all.capacity() == a.length()) {
            return all;
        }
        all.position((int) off);
        FloatBuffer s = all.slice();
        s.limit((int) a.length());
        return s;
    }

    /**
     * An IntBuffer view of a contiguous INT array (indices of sparse codes); the same caveats as {@link #fb}.
     * @param a a dense row-major INT array
     * @return a view of its data, positioned at 0, limited to its length
     */
    public static java.nio.IntBuffer ib(INDArray a) {
        if (a.dataType() != DataType.INT) {
            throw new IllegalArgumentException("expected an INT array, got " + a.dataType());
        }
        if (!isRowMajorDense(a)) {
            throw new IllegalArgumentException("expected a contiguous row-major array, shape " + java.util.Arrays.toString(a.shape()));
        }
        java.nio.IntBuffer all = a.data().asNioInt();
        all.position((int) a.offset());
        java.nio.IntBuffer s = all.slice();
        s.limit((int) a.length());
        return s;
    }

    /**
     * A zero-filled INT array.
     * @param shape the dimensions of the array
     * @return a new host INT array, row-major
     */
    public static INDArray zerosInt(long... shape) {
        return Nd4j.create(DataType.INT, shape, 'c');
    }

    private static boolean isRowMajorDense(INDArray a) {
        long expect = 1;
        for (int i = a.rank() - 1; i >= 0; i--) {
            if (a.size(i) != 1 && a.stride(i) != expect) {
                return false;
            }
            expect *= a.size(i);
        }
        return true;
    }

    /**
     * A zero-filled FLOAT array on the host (ND4J's default backend), row-major.
     * @param shape the dimensions of the array
     * @return the new array
     */
    public static INDArray zeros(long... shape) {
        return Nd4j.create(DataType.FLOAT, shape, 'c');
    }

    /**
     * A copy as a Java array.
     * @param a a dense row-major FLOAT array
     * @return a new array of its values in row-major order
     */
    public static float[] toFloats(INDArray a) {
        FloatBuffer b = fb(a);
        float[] out = new float[(int) a.length()];
        b.get(0, out);
        // Without this, a temporary argument (toFloats(x.dup())) may be collected and its memory freed mid-copy.
        Reference.reachabilityFence(a);
        return out;
    }

    /**
     * A FLOAT array holding a copy of {@code data}, row-major.
     * @param data the values in row-major order; its length must equal the product of {@code shape}
     * @param shape the dimensions of the array
     * @return the new array
     */
    public static INDArray of(float[] data, long... shape) {
        return Nd4j.create(data, shape, 'c');
    }
}
