package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exact comparisons for "bit for bit" claims: ND4J's {@code INDArray.equals} allows a difference of 1e-5, so these
 * compare stored bytes and IEEE bit patterns instead.
 */
public final class RawBytes {
    private RawBytes() {
    }

    /** The bytes a safetensors file stores for tensor {@code name} (as written, whatever its dtype). */
    public static byte[] tensor(Path file, String name) throws IOException {
        byte[] all = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        try (SafeTensors st = SafeTensors.open(file)) {
            SafeTensors.Entry e = st.entry(name);
            int from = Math.toIntExact(8 + headerLength + e.begin());
            return Arrays.copyOfRange(all, from, Math.toIntExact(from + e.end() - e.begin()));
        }
    }

    /** Every element's IEEE 754 bits, in c order. */
    public static int[] bits(INDArray a) {
        float[] f = Buffers.toFloats(a.dup('c'));
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
    }

    /** Same shape and the same bits in every element. */
    public static void assertSameBits(INDArray want, INDArray got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        assertArrayEquals(bits(want), bits(got), what + ": not bit for bit equal");
    }
}
