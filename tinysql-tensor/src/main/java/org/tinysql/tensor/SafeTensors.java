package org.tinysql.tensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor name to its
 * dtype, shape and byte range, then the raw little-endian data. Reading validates the whole header first (see
 * {@link SafeTensorsHeader}: size limits, strict JSON, dtypes, shapes matching byte ranges, ranges covering the data
 * exactly with no holes or overlaps), then memory-maps tensors and converts them to FLOAT one at a time. Writing goes
 * through {@link org.tinysql.util.AtomicFiles}.
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

    /**
     * Opens and validates a safetensors file (see {@link SafeTensorsHeader}); tensors are read on demand. Anything but a
     * regular file is refused before it is opened. Errors are {@link CheckpointFormatException}s naming the file and the
     * tensor or field.
     */
    public static SafeTensors open(Path file) throws IOException {
        FileChecks.regularFile(file, Long.MAX_VALUE);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            SafeTensorsHeader h = SafeTensorsHeader.read(file, ch);
            return new SafeTensors(file, ch, h.dataStart(), h.entries(), h.metadata());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
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
        if (e.numel() > Integer.MAX_VALUE) {
            throw new CheckpointFormatException(file, "tensor '" + CheckpointFormatException.excerpt(name) + "' has " + e.numel()
                    + " elements, more than one array can hold (" + Integer.MAX_VALUE + ")");
        }
        INDArray out = Nd4j.create(DataType.FLOAT, e.shape().length == 0 ? new long[0] : e.shape(), 'c');
        if (e.numel() > 0) {
            readInto(e, out.data().asNioFloat(), 0);
        }
        return out;
    }

    /** Converts the tensor's data into {@code dst} starting at {@code dstOffset}, in chunks of the mapped file. */
    public void readInto(Entry e, FloatBuffer dst, int dstOffset) throws IOException {
        if (dstOffset < 0 || e.numel() > dst.limit() - (long) dstOffset) {
            throw new IllegalArgumentException("tensor '" + e.name() + "' has " + e.numel() + " elements; the buffer has room for "
                    + (dst.limit() - (long) dstOffset) + " from offset " + dstOffset);
        }
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
        List<INDArray> arrays = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            INDArray a = e.getValue();
            INDArray c = a.dataType() == DataType.FLOAT && a.ordering() == 'c' && !a.isView() ? a : a.castTo(DataType.FLOAT).dup('c');
            shapes.put(e.getKey(), c.shape());
            data.put(e.getKey(), Buffers.fb(c));
            arrays.add(c);
        }
        write(file, shapes, dtype, metadata, (name, off, chunk, len) -> data.get(name).get((int) off, chunk, 0, len));
        // The buffers are views: the arrays (some made here, some the caller's temporaries) must live until written.
        Reference.reachabilityFence(arrays);
        Reference.reachabilityFence(tensors);
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
