package org.tinysql.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor name to its
 * dtype, shape and byte range, then the raw little-endian data. Reading memory-maps the file and validates the
 * header (size limit, dtypes, shapes matching byte ranges, ranges covering the data exactly with no holes or
 * overlaps); tensors are converted to FLOAT one at a time. Writing goes to a temp file that is renamed into place.
 */
public final class SafeTensors implements AutoCloseable {
    /** Largest header we accept (the format's reference implementation uses 100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** One tensor's entry in the header. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape);
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries, Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens and validates a safetensors file; tensors are read on demand. */
    public static SafeTensors open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) {
                throw corrupt(file, "file is " + size + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
                throw corrupt(file, "header length " + headerLen + " is impossible for a file of " + size
                        + " bytes (limit " + MAX_HEADER_BYTES + ")");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode header;
            try {
                header = MAPPER.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw corrupt(file, "header is not valid JSON: " + e.getMessage());
            }
            if (header == null || !header.isObject()) {
                throw corrupt(file, "header is not a JSON object");
            }
            long dataLen = size - 8 - headerLen;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> meta = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    if (!e.getValue().isObject()) {
                        throw corrupt(file, "__metadata__ must be an object of strings");
                    }
                    e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.put(e.getKey(), entry(file, e.getKey(), e.getValue(), dataLen));
            }
            List<Entry> sorted = new ArrayList<>(entries.values());
            sorted.sort((a, b) -> Long.compare(a.begin(), b.begin()));
            long expect = 0;
            for (Entry en : sorted) {
                if (en.begin() != expect) {
                    throw corrupt(file, "tensor '" + en.name() + "' starts at byte " + en.begin() + " but the previous data ends at "
                            + expect + (en.begin() > expect ? " (a hole)" : " (an overlap)"));
                }
                expect = en.end();
            }
            if (expect != dataLen) {
                throw corrupt(file, "tensor data covers " + expect + " bytes but the file holds " + dataLen
                        + (expect < dataLen ? " (trailing bytes)" : " (truncated)"));
            }
            return new SafeTensors(file, ch, 8 + headerLen, Collections.unmodifiableMap(entries), Collections.unmodifiableMap(meta));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Entry entry(Path file, String name, JsonNode n, long dataLen) throws IOException {
        if (!n.isObject()) {
            throw corrupt(file, "entry '" + name + "' is not an object");
        }
        String dt = n.path("dtype").asText("");
        DType dtype;
        try {
            dtype = DType.valueOf(dt);
        } catch (IllegalArgumentException e) {
            throw corrupt(file, "tensor '" + name + "' has dtype '" + dt + "' (supported: F32, F16, BF16)");
        }
        JsonNode shapeNode = n.get("shape");
        JsonNode off = n.get("data_offsets");
        if (shapeNode == null || !shapeNode.isArray() || off == null || !off.isArray() || off.size() != 2) {
            throw corrupt(file, "tensor '" + name + "' needs 'shape' and 'data_offsets' [begin, end]");
        }
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!shapeNode.get(i).canConvertToLong() || shapeNode.get(i).asLong() < 0) {
                throw corrupt(file, "tensor '" + name + "' has a bad shape " + shapeNode);
            }
            shape[i] = shapeNode.get(i).asLong();
            numel = Math.multiplyExact(numel, shape[i]);
        }
        long begin = off.get(0).asLong(-1);
        long end = off.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataLen) {
            throw corrupt(file, "tensor '" + name + "' has data_offsets [" + begin + ", " + end + "] outside the "
                    + dataLen + " data bytes" + (end > dataLen && begin >= 0 && end >= begin ? " (the file looks truncated)" : ""));
        }
        if (end - begin != numel * dtype.bytes()) {
            throw corrupt(file, "tensor '" + name + "' " + dtype + Arrays.toString(shape) + " needs " + numel * dtype.bytes()
                    + " bytes but its data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static IOException corrupt(Path file, String what) {
        return new IOException("corrupt safetensors file " + file + ": " + what);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Path file() {
        return file;
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(file + " has no tensor '" + name + "'");
        }
        return e;
    }

    /** The tensor as a new FLOAT c-order array (converted from F16/BF16 as needed). */
    public INDArray read(String name) throws IOException {
        Entry e = entry(name);
        INDArray out = Nd4j.create(DataType.FLOAT, e.shape().length == 0 ? new long[0] : e.shape(), 'c');
        readInto(e, out.data().asNioFloat(), 0);
        return out;
    }

    /** Converts the tensor's data into {@code dst} starting at {@code dstOffset}, in chunks of the mapped file. */
    public void readInto(Entry e, FloatBuffer dst, int dstOffset) throws IOException {
        long chunk = 1L << 26;
        long pos = e.begin();
        int out = dstOffset;
        while (pos < e.end()) {
            long len = Math.min(chunk - (chunk % e.dtype().bytes()), e.end() - pos);
            MappedByteBuffer m = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + pos, len);
            m.order(ByteOrder.LITTLE_ENDIAN);
            switch (e.dtype()) {
                case F32 -> {
                    FloatBuffer fb = m.asFloatBuffer();
                    int n = fb.remaining();
                    for (int i = 0; i < n; i++) {
                        dst.put(out + i, fb.get(i));
                    }
                    out += n;
                }
                case F16 -> {
                    int n = (int) (len / 2);
                    for (int i = 0; i < n; i++) {
                        dst.put(out + i, DType.halfToFloat(m.getShort(2 * i)));
                    }
                    out += n;
                }
                case BF16 -> {
                    int n = (int) (len / 2);
                    for (int i = 0; i < n; i++) {
                        dst.put(out + i, DType.bf16ToFloat(m.getShort(2 * i)));
                    }
                    out += n;
                }
            }
            pos += len;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Supplies tensor values chunk by chunk to {@link #write(Path, Map, DType, Map, Source)}. */
    @FunctionalInterface
    public interface Source {
        /** Fills {@code chunk[0, len)} with elements [offset, offset + len) of tensor {@code name} (row-major). */
        void fill(String name, long offset, float[] chunk, int len);
    }

    /**
     * Writes tensors (sorted by name) in {@code dtype} with optional metadata, atomically: a temp file in the same
     * folder is written, flushed and renamed over {@code file}, so an existing file is never half-overwritten.
     */
    public static void write(Path file, Map<String, INDArray> tensors, DType dtype, Map<String, String> metadata)
            throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, FloatBuffer> data = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            INDArray a = e.getValue();
            INDArray c = a.dataType() == DataType.FLOAT && a.ordering() == 'c' && !a.isView() ? a : a.castTo(DataType.FLOAT).dup('c');
            shapes.put(e.getKey(), c.shape());
            data.put(e.getKey(), Buffers.fb(c));
        }
        write(file, shapes, dtype, metadata, (name, off, chunk, len) -> data.get(name).get((int) off, chunk, 0, len));
    }

    /**
     * Streams tensors of the given shapes (sorted by name) from {@code source}: nothing but one chunk is held in
     * memory, so checkpoints larger than the heap can be written. Atomic like {@link #write(Path, Map, DType, Map)}.
     */
    public static void write(Path file, Map<String, long[]> shapes, DType dtype, Map<String, String> metadata, Source source)
            throws IOException {
        TreeMap<String, long[]> sorted = new TreeMap<>(shapes);
        ObjectNode header = MAPPER.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long off = 0;
        for (Map.Entry<String, long[]> e : sorted.entrySet()) {
            long numel = 1;
            for (long d : e.getValue()) {
                numel *= d;
            }
            long n = numel * dtype.bytes();
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtype.name());
            var shape = t.putArray("shape");
            for (long d : e.getValue()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(off).add(off + n);
            off += n;
        }
        byte[] h = MAPPER.writeValueAsBytes(header);
        int pad = (8 - h.length % 8) % 8;
        org.tinysql.util.AtomicFiles.write(file, (org.tinysql.util.AtomicFiles.ChannelWriter) ch -> {
            ByteBuffer head = ByteBuffer.allocate(8 + h.length + pad).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(h.length + pad).put(h);
            for (int i = 0; i < pad; i++) {
                head.put((byte) ' ');
            }
            head.flip();
            drain(ch, head);
            int chunkLen = 1 << 20;
            float[] chunk = new float[chunkLen];
            ByteBuffer buf = ByteBuffer.allocateDirect(chunkLen * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, long[]> e : sorted.entrySet()) {
                long numel = 1;
                for (long d : e.getValue()) {
                    numel *= d;
                }
                for (long start = 0; start < numel; start += chunkLen) {
                    int len = (int) Math.min(chunkLen, numel - start);
                    source.fill(e.getKey(), start, chunk, len);
                    buf.clear();
                    for (int i = 0; i < len; i++) {
                        switch (dtype) {
                            case F32 -> buf.putFloat(chunk[i]);
                            case F16 -> buf.putShort(DType.floatToHalf(chunk[i]));
                            case BF16 -> buf.putShort(DType.floatToBf16(chunk[i]));
                        }
                    }
                    buf.flip();
                    drain(ch, buf);
                }
            }
        });
    }

    private static void drain(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Reads every tensor of a file as FLOAT. */
    public static Map<String, INDArray> readAll(Path file) throws IOException {
        try (SafeTensors st = open(file)) {
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (String n : st.entries().keySet()) {
                out.put(n, st.read(n));
            }
            return out;
        }
    }
}
