package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Regression tests for safetensors headers from strangers (issue item 5): each input here was accepted or crashed before. */
class SafeTensorsHeaderTest {
    @TempDir
    Path dir;

    private Path raw(String header, int dataBytes) throws IOException {
        return raw(header.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    private Path raw(byte[] h, int dataBytes) throws IOException {
        Path f = dir.resolve("t.safetensors");
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(f, b.array());
        return f;
    }

    private static void rejected(Path f, String... parts) {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensors.open(f).close());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
    }

    @Test
    void shapeProductsThatOverflowAreRejected() throws IOException {
        // 2^62 F32 elements need 2^64 bytes, which wrapped to 0 and matched empty offsets.
        rejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", 0),
                "tensor 'a' field 'shape'", "overflows");
        // The element product itself overflowing threw ArithmeticException.
        rejected(raw("{\"a\":{\"dtype\":\"F16\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}", 0),
                "tensor 'a' field 'shape'", "overflows");
    }

    @Test
    void onlySpacesMayFollowTheHeaderJson() throws IOException {
        String entry = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        rejected(raw(entry + "garbage", 4), "after the JSON object", "not space padding");
        rejected(raw(entry + "  {}", 4), "not space padding");
        try (SafeTensors st = SafeTensors.open(raw(entry + "     ", 4))) {
            assertArrayEquals(new long[] {1}, st.entry("a").shape());
        }
    }

    @Test
    void duplicateKeysAreRejected() throws IOException {
        rejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "Duplicate field 'a'");
        rejected(raw("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4), "Duplicate field 'dtype'");
    }

    @Test
    void dimsAndOffsetsMustBeIntegers() throws IOException {
        rejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4), "tensor 'a' field 'shape'", "1.5");
        rejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",\"4\"]}}", 4), "tensor 'a' field 'data_offsets'");
        rejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", 4), "tensor 'a' field 'data_offsets'");
        rejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}", 4), "field 'data_offsets'");
        rejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", 4), "unknown field 'extra'");
        rejected(raw("{\"__metadata__\":{\"format\":7},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "__metadata__ field 'format' must be a string");
    }

    @Test
    void headerMustBeUtf8() throws IOException {
        byte[] h = "{\"a\u00ff\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.ISO_8859_1);
        rejected(raw(h, 4), "not valid UTF-8");
    }

    @Test
    void emptyTensorsMayShareAnOffsetInAnyHeaderOrder() throws IOException {
        // A zero-size tensor listed after a tensor starting at the same offset was reported as an overlap.
        Path f = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]}}", 4);
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(0, st.read("empty").length());
            assertEquals(1, st.read("a").length());
        }
    }

    @Test
    void fifosAndFoldersAreRefusedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("pipe.safetensors");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(p.waitFor() == 0 && Files.exists(fifo), "mkfifo is not available");
        // Opening a FIFO for reading blocks until a writer appears: the loader hung here.
        CheckpointFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(CheckpointFormatException.class, () -> SafeTensors.open(fifo)));
        assertTrue(e.getMessage().contains(fifo.toString()) && e.getMessage().contains("not a regular file"), e.getMessage());
        e = assertThrows(CheckpointFormatException.class, () -> SafeTensors.open(dir));
        assertTrue(e.getMessage().contains("not a regular file (a folder)"), e.getMessage());
    }

    @Test
    void excerptsAreShortAndPrintable() {
        String s = CheckpointFormatException.excerpt("x\n\u001b[31m" + "y".repeat(500));
        assertFalse(s.contains("\n") || s.contains("\u001b"), s);
        assertTrue(s.length() < 100 && s.endsWith("..."), s);
    }
}
