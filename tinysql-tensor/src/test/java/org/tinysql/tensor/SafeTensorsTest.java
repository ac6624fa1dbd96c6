package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class SafeTensorsTest {

    private static Map<String, INDArray> sample() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("a", Buffers.of(new float[] {1f, -2.5f, 3.25f, 1e-3f, 65504f, -0f}, 2, 3));
        m.put("b.bias", Buffers.of(new float[] {0.1f, 0.2f, 0.3f}, 3));
        return m;
    }

    @Test
    void roundTripsInEveryDtype(@TempDir Path dir) throws IOException {
        for (DType dt : DType.values()) {
            Path f = dir.resolve("x-" + dt + ".safetensors");
            SafeTensors.write(f, sample(), dt, Map.of("format", "pt"));
            try (SafeTensors st = SafeTensors.open(f)) {
                assertEquals("pt", st.metadata().get("format"));
                assertEquals(dt, st.entry("a").dtype());
                assertArrayEquals(new long[] {2, 3}, st.entry("a").shape());
                INDArray a = st.read("a");
                float tol = dt == DType.F32 ? 0f : dt == DType.F16 ? 1e-3f : 8e-3f;
                float[] want = Buffers.toFloats(sample().get("a"));
                float[] got = Buffers.toFloats(a);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], Math.abs(want[i]) * tol, dt + " element " + i);
                }
            }
            assertEquals(0, Files.list(dir).filter(p -> p.toString().endsWith(".tmp")).count(), "no temp files left");
        }
    }

    @Test
    void halfAndBf16ConversionsAreExactWhereRepresentable() {
        for (float f : new float[] {0f, 1f, -2f, 0.5f, 65504f, 6.103515625e-05f, 5.960464477539063e-08f}) {
            assertEquals(f, DType.halfToFloat(DType.floatToHalf(f)));
        }
        assertTrue(Float.isInfinite(DType.halfToFloat(DType.floatToHalf(1e6f))));
        assertTrue(Float.isNaN(DType.halfToFloat(DType.floatToHalf(Float.NaN))));
        for (float f : new float[] {0f, 1f, -2f, 0.5f, 0x1p127f, 1.5f}) {
            assertEquals(f, DType.bf16ToFloat(DType.floatToBf16(f)));
        }
        assertEquals(1.0078125f, DType.bf16ToFloat(DType.floatToBf16(1.005f)));
        assertTrue(Float.isNaN(DType.bf16ToFloat(DType.floatToBf16(Float.NaN))));
    }

    private static void writeRaw(Path f, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(f, b.array());
    }

    @Test
    void corruptFilesFailWithAClearReason(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertMessage(f, "shorter than the 8-byte header length");

        ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
        Files.write(f, huge.array());
        assertMessage(f, "header length");

        writeRaw(f, "{not json", 0);
        assertMessage(f, "not valid JSON");

        writeRaw(f, "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        assertMessage(f, "dtype 'I64'");

        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertMessage(f, "needs 12 bytes");

        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
        assertMessage(f, "(a hole)");

        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertMessage(f, "(an overlap)");

        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 9);
        assertMessage(f, "trailing bytes");

        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4);
        assertMessage(f, "outside the 4 data bytes");
    }

    private static void assertMessage(Path f, String part) {
        IOException e = assertThrows(IOException.class, () -> SafeTensors.open(f).close());
        assertTrue(e.getMessage().contains(part) && e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void aFailedWriteLeavesTheOldFileIntact(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("keep.safetensors");
        SafeTensors.write(f, sample(), DType.F32, null);
        byte[] before = Files.readAllBytes(f);
        Map<String, INDArray> bad = new LinkedHashMap<>(sample());
        bad.put("z", null);
        assertThrows(RuntimeException.class, () -> SafeTensors.write(f, bad, DType.F32, null));
        assertArrayEquals(before, Files.readAllBytes(f));
    }
}
