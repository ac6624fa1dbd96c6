package org.tinysql.tensor;

import static org.tinysql.tensor.CheckpointFormatException.excerpt;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The validated header of a safetensors file, read before any tensor is touched: the 8-byte length is checked against
 * the file size and {@link SafeTensors#MAX_HEADER_BYTES}; the header must be UTF-8 JSON starting with '{', without
 * duplicate keys, followed only by space padding; each tensor needs a supported dtype, integer dims whose byte count
 * does not overflow, and integer data_offsets spanning exactly that many bytes; and the byte ranges must tile the data
 * section exactly, with no holes or overlaps.
 *
 * @param dataStart file position of data byte 0
 * @param entries   tensors by name, in header order
 * @param metadata  the string map {@code __metadata__}
 */
record SafeTensorsHeader(long dataStart, Map<String, SafeTensors.Entry> entries, Map<String, String> metadata) {
    /** Most dimensions a tensor may have (ND4J's limit). */
    static final int MAX_RANK = 32;
    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final ObjectMapper MAPPER = new ObjectMapper(JSON);
    private static final Set<String> ENTRY_FIELDS = Set.of("dtype", "shape", "data_offsets");

    static SafeTensorsHeader read(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw corrupt(file, "file is " + size + " bytes, shorter than the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, ch, lenBuf, 0);
        long headerLen = lenBuf.getLong(0);
        if (headerLen < 2 || headerLen > SafeTensors.MAX_HEADER_BYTES || headerLen > size - 8) {
            throw corrupt(file, "header length " + headerLen + " is impossible for a file of " + size
                    + " bytes (limit " + SafeTensors.MAX_HEADER_BYTES + ")");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(file, ch, hb, 8);
        JsonNode header = parse(file, hb.flip());
        long dataLen = size - 8 - headerLen;
        Map<String, SafeTensors.Entry> entries = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : header.properties()) {
            if (e.getKey().equals("__metadata__")) {
                metadata(file, e.getValue(), meta);
            } else {
                entries.put(e.getKey(), entry(file, e.getKey(), e.getValue(), dataLen));
            }
        }
        checkTiling(file, entries, dataLen);
        return new SafeTensorsHeader(8 + headerLen, Collections.unmodifiableMap(entries), Collections.unmodifiableMap(meta));
    }

    /** Strict UTF-8, one JSON object, then nothing but spaces. */
    private static JsonNode parse(Path file, ByteBuffer bytes) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw corrupt(file, "header is not valid UTF-8");
        }
        if (text.charAt(0) != '{') {
            throw corrupt(file, "header is not valid JSON: it must start with '{'");
        }
        JsonNode tree;
        long end;
        try (JsonParser p = JSON.createParser(text)) {
            tree = MAPPER.readTree(p);
            end = p.currentLocation().getCharOffset();
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " (at character " + e.getLocation().getCharOffset() + ")";
            throw corrupt(file, "header is not valid JSON: " + excerpt(e.getOriginalMessage()) + at);
        }
        for (long i = end; i < text.length(); i++) {
            if (text.charAt((int) i) != ' ') {
                throw corrupt(file, "header has " + (text.length() - end) + " characters after the JSON object that are not"
                        + " space padding (first " + excerpt(text.charAt((int) i)) + " at character " + i + ")");
            }
        }
        return tree;
    }

    private static void metadata(Path file, JsonNode m, Map<String, String> out) throws IOException {
        if (!m.isObject()) {
            throw corrupt(file, "__metadata__ must be an object of strings");
        }
        for (Map.Entry<String, JsonNode> e : m.properties()) {
            if (!e.getValue().isTextual()) {
                throw corrupt(file, "__metadata__ field '" + excerpt(e.getKey()) + "' must be a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static SafeTensors.Entry entry(Path file, String name, JsonNode n, long dataLen) throws IOException {
        String t = "tensor '" + excerpt(name) + "'";
        if (!n.isObject()) {
            throw corrupt(file, t + " is not an object");
        }
        for (Map.Entry<String, JsonNode> f : n.properties()) {
            if (!ENTRY_FIELDS.contains(f.getKey())) {
                throw corrupt(file, t + " has an unknown field '" + excerpt(f.getKey()) + "' (expected dtype, shape, data_offsets)");
            }
        }
        JsonNode dt = n.path("dtype");
        DType dtype = dt.isTextual() ? Arrays.stream(DType.values()).filter(d -> d.name().equals(dt.textValue())).findFirst().orElse(null) : null;
        if (dtype == null) {
            throw corrupt(file, t + " has dtype '" + excerpt(dt.isTextual() ? dt.textValue() : dt) + "' (supported: F32, F16, BF16)");
        }
        JsonNode shapeNode = n.get("shape");
        JsonNode off = n.get("data_offsets");
        if (shapeNode == null || !shapeNode.isArray() || off == null || !off.isArray() || off.size() != 2) {
            throw corrupt(file, t + " needs 'shape' [dims] and 'data_offsets' [begin, end]");
        }
        if (shapeNode.size() > MAX_RANK) {
            throw corrupt(file, t + " field 'shape' has " + shapeNode.size() + " dimensions (limit " + MAX_RANK + ")");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegative(file, t + " field 'shape'", shapeNode.get(i));
        }
        long bytes;
        try {
            bytes = dtype.bytes();
            for (long d : shape) {
                bytes = Math.multiplyExact(bytes, d);
            }
        } catch (ArithmeticException e) {
            throw corrupt(file, t + " field 'shape' " + Arrays.toString(shape) + " overflows a 64-bit byte count");
        }
        long begin = nonNegative(file, t + " field 'data_offsets'", off.get(0));
        long end = nonNegative(file, t + " field 'data_offsets'", off.get(1));
        if (end < begin || end > dataLen) {
            throw corrupt(file, t + " has data_offsets [" + begin + ", " + end + "] outside the " + dataLen + " data bytes"
                    + (end > dataLen && end >= begin ? " (the file looks truncated)" : ""));
        }
        if (end - begin != bytes) {
            throw corrupt(file, t + " " + dtype + Arrays.toString(shape) + " needs " + bytes + " bytes but its data_offsets span "
                    + (end - begin));
        }
        return new SafeTensors.Entry(name, dtype, shape, begin, end);
    }

    private static long nonNegative(Path file, String field, JsonNode v) throws IOException {
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
            throw corrupt(file, field + " has " + excerpt(v) + ", which is not a non-negative 64-bit integer");
        }
        return v.longValue();
    }

    /** The tensors' byte ranges, sorted, must cover [0, dataLen) exactly once. */
    private static void checkTiling(Path file, Map<String, SafeTensors.Entry> entries, long dataLen) throws IOException {
        List<SafeTensors.Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(SafeTensors.Entry::begin).thenComparingLong(SafeTensors.Entry::end));
        long expect = 0;
        for (SafeTensors.Entry en : sorted) {
            if (en.begin() != expect) {
                throw corrupt(file, "tensor '" + excerpt(en.name()) + "' starts at byte " + en.begin() + " but the previous data ends at "
                        + expect + (en.begin() > expect ? " (a hole)" : " (an overlap)"));
            }
            expect = en.end();
        }
        if (expect != dataLen) {
            throw corrupt(file, "tensor data covers " + expect + " bytes but the file holds " + dataLen
                    + (expect < dataLen ? " (trailing bytes)" : " (truncated)"));
        }
    }

    static CheckpointFormatException corrupt(Path file, String what) {
        return new CheckpointFormatException(file, "corrupt safetensors file: " + what);
    }

    private static void readFully(Path file, FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf, pos + buf.position()) < 0) {
                throw corrupt(file, "unexpected end of file (the file shrank while being read)");
            }
        }
    }
}
