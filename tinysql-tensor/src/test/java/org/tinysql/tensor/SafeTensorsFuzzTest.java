package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.tinysql.tensor.FuzzRunner.Expect.EITHER;
import static org.tinysql.tensor.FuzzRunner.Expect.FAIL;
import static org.tinysql.tensor.FuzzRunner.Expect.LOAD;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Seeded mutations of a valid safetensors file: bit flips in the header, truncations, appended bytes, wrong header
 * lengths, random JSON values in each field, huge dims, shifted offsets and malformed JSON. Each one must be a
 * {@link CheckpointFormatException} naming the file, or (for harmless mutations) a load whose tensors read back with the
 * element counts and bytes the header promises.
 */
class SafeTensorsFuzzTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final String[] FIELDS = {"dtype", "shape", "data_offsets", "extra"};

    @TempDir
    Path dir;

    private byte[] base;
    private ObjectNode header;
    private byte[] data;
    private final SplittableRandom rnd = new SplittableRandom(20240605);
    private int fileNo;

    @Test
    void everyMutantIsAClearErrorOrACorrectLoad() throws Exception {
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put("a", Buffers.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        t.put("b.bias", Buffers.of(new float[] {0.5f, -1, 2}, 3));
        t.put("c", Buffers.of(new float[] {7, 8, 9, 10, 11, 12, 13, 14}, 4, 1, 2));
        Path f = dir.resolve("base.safetensors");
        SafeTensors.write(f, t, DType.BF16, Map.of("format", "pt"));
        base = Files.readAllBytes(f);
        int headerLen = (int) ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong();
        header = (ObjectNode) M.readTree(new String(base, 8, headerLen, StandardCharsets.UTF_8));
        data = Arrays.copyOfRange(base, 8 + headerLen, base.length);

        List<FuzzRunner.Input> in = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            in.add(input("harmless " + i, LOAD, harmless(i)));
        }
        for (int i = 0; i < 100; i++) {
            byte[] b = base.clone();
            for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                int pos = rnd.nextInt(8 + headerLen);
                b[pos] ^= (byte) (1 << rnd.nextInt(8));
            }
            in.add(input("header bit flip", EITHER, b));
        }
        for (int i = 0; i < 40; i++) {
            in.add(input("truncation", FAIL, Arrays.copyOf(base, rnd.nextInt(base.length))));
        }
        for (int i = 0; i < 20; i++) {
            byte[] b = Arrays.copyOf(base, base.length + 1 + rnd.nextInt(16));
            in.add(input("appended bytes", FAIL, b));
        }
        long[] lengths = {0, 1, 2, -1, Long.MIN_VALUE, Long.MAX_VALUE, SafeTensors.MAX_HEADER_BYTES + 1, base.length, base.length - 8};
        for (int i = 0; i < 40; i++) {
            long len = i < lengths.length ? lengths[i] : headerLen + (rnd.nextBoolean() ? 1 : -1) * (1 + rnd.nextInt(24));
            in.add(input("header length " + len, FAIL, withLength(base, len)));
        }
        for (int i = 0; i < 100; i++) {
            ObjectNode h = header.deepCopy();
            String name = pick(h);
            String field = FIELDS[rnd.nextInt(FIELDS.length)];
            ((ObjectNode) h.get(name)).set(field, randomValue());
            in.add(input("field " + name + "." + field, EITHER, file(h, data)));
        }
        JsonNode[] huge = {dims(1L << 62), dims(1L << 31, 1L << 31, 4), dims(1L << 40), dims(-1), dims(3, -2),
            M.getNodeFactory().numberNode(new BigInteger("123456789012345678901234567890")), M.createArrayNode().add(1.5)};
        for (int i = 0; i < 30; i++) {
            ObjectNode h = header.deepCopy();
            ObjectNode e = (ObjectNode) h.get(tensorName(h));
            e.set("shape", huge[i % huge.length]);
            if (i % 2 == 0) {
                e.putArray("data_offsets").add(0).add(0);
            }
            in.add(input("huge dims " + e.get("shape"), FAIL, file(h, data)));
        }
        for (int i = 0; i < 30; i++) {
            ObjectNode h = header.deepCopy();
            ArrayNode off = (ArrayNode) h.get(tensorName(h)).get("data_offsets");
            long shift = (rnd.nextBoolean() ? 1 : -1) * (1 + rnd.nextInt(12));
            off.set(0, off.get(0).asLong() + shift).set(1, off.get(1).asLong() + shift);
            in.add(input("offsets shifted by " + shift, FAIL, file(h, data)));
        }
        String json = M.writeValueAsString(header);
        String first = json.substring(1, json.indexOf("},") + 1);
        String[] malformed = {json + "x", json + "\n", "\ufeff" + json, "[" + json + "]", "{}" + json, "{" + first + "," + json.substring(1),
            json.replace("\"BF16\"", "\"I64\""), json.replace("\"BF16\"", "\"bf16\""), "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}",
            json.replace(":", "="), json.substring(0, json.length() / 2), "null", "{\"a\":{}}", "{\"\u0000\":1}"};
        for (int i = 0; i < 20; i++) {
            String s = malformed[i % malformed.length];
            in.add(input("malformed JSON " + i, FAIL, file(s.getBytes(StandardCharsets.UTF_8), data)));
        }
        assertEquals(400, in.size());
        new FuzzRunner("safetensors", 2000).run(in, e -> e instanceof CheckpointFormatException c
                && c.getMessage().startsWith(c.file() + ": corrupt safetensors file: ") && c.file().endsWith(".safetensors"));
    }

    private FuzzRunner.Input input(String kind, FuzzRunner.Expect expect, byte[] bytes) throws IOException {
        Path f = dir.resolve("m" + fileNo++ + ".safetensors");
        Files.write(f, bytes);
        return new FuzzRunner.Input(kind, expect, () -> checkedLoad(f));
    }

    /** The oracle for accepted files: the tensors tile the data and read back with the promised element counts. */
    private static void checkedLoad(Path f) throws IOException {
        try (SafeTensors st = SafeTensors.open(f)) {
            long covered = 0;
            for (SafeTensors.Entry e : st.entries().values()) {
                INDArray a = st.read(e.name());
                assertEquals(e.numel(), a.length(), e.name());
                assertEquals(e.numel() * e.dtype().bytes(), e.end() - e.begin(), e.name());
                covered += e.end() - e.begin();
            }
            assertEquals(Files.size(f) - 8 - ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(),
                    covered, "data bytes covered");
        }
    }

    /** Renamed tensors, new metadata, reordered entries, a reshape with the same size, more space padding. */
    private byte[] harmless(int i) throws IOException {
        ObjectNode h = M.createObjectNode();
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(names::add);
        if (i % 5 == 1) {
            java.util.Collections.reverse(names);
        }
        for (String n : names) {
            String renamed = i % 5 == 0 && !n.equals("__metadata__") ? n + "." + rnd.nextInt(1000) + "\u00e9" : n;
            h.set(renamed, header.get(n).deepCopy());
        }
        if (i % 5 == 2) {
            ((ObjectNode) h.get("__metadata__")).put("note", "fuzz " + rnd.nextLong());
        }
        if (i % 5 == 3) {
            ((ObjectNode) h.get("a")).set("shape", dims(3, 1, 2));
        }
        byte[] json = M.writeValueAsBytes(h);
        int pad = i % 5 == 4 ? 1 + rnd.nextInt(64) : 0;
        byte[] padded = Arrays.copyOf(json, json.length + pad);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return file(padded, data);
    }

    private String pick(ObjectNode h) {
        List<String> names = new ArrayList<>();
        h.fieldNames().forEachRemaining(names::add);
        return names.get(rnd.nextInt(names.size()));
    }

    private String tensorName(ObjectNode h) {
        String n;
        do {
            n = pick(h);
        } while (n.equals("__metadata__"));
        return n;
    }

    private static ArrayNode dims(long... d) {
        ArrayNode a = M.createArrayNode();
        for (long x : d) {
            a.add(x);
        }
        return a;
    }

    private JsonNode randomValue() {
        return switch (rnd.nextInt(14)) {
            case 0 -> M.getNodeFactory().textNode(new String[] {"F32", "F16", "BF16", "I64", "", "f32"}[rnd.nextInt(6)]);
            case 1 -> dims(rnd.nextInt(5), rnd.nextInt(5));
            case 2 -> dims(rnd.nextInt(20));
            case 3 -> dims(rnd.nextInt(40), rnd.nextInt(40));
            case 4 -> dims(rnd.nextLong());
            case 5 -> dims();
            case 6 -> M.createArrayNode().add("1").add(2);
            case 7 -> M.getNodeFactory().numberNode(rnd.nextInt());
            case 8 -> M.getNodeFactory().numberNode(rnd.nextDouble() * 100);
            case 9 -> M.getNodeFactory().nullNode();
            case 10 -> M.getNodeFactory().booleanNode(true);
            case 11 -> M.createObjectNode().put("x", 1);
            case 12 -> dims(0, 0);
            default -> dims(rnd.nextInt(3), rnd.nextInt(3), rnd.nextInt(3));
        };
    }

    private static byte[] withLength(byte[] b, long len) {
        byte[] out = b.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, len);
        return out;
    }

    private static byte[] file(ObjectNode h, byte[] data) throws IOException {
        return file(M.writeValueAsBytes(h), data);
    }

    private static byte[] file(byte[] h, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(h.length).put(h).put(data).array();
    }
}
