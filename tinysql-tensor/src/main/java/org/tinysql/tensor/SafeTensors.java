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

    /**
     * One tensor's entry in the header.
     * @param name the tensor's name in the header, e.g. {@code blocks.0.attn.W_Q}
     * @param dtype the element type stored in the file
     * @param shape the dimensions (empty for a scalar)
     * @param begin the first byte of the data, relative to the end of the header
     * @param end one past the last byte of the data, relative to the end of the header
     */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        /**
         * The number of elements, the product of the shape (1 for a scalar).
         * @return the element count
         */
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
     * @param file the safetensors file
     * @return the open file; close it to release the channel
     * @throws IOException when the file cannot be read, or a {@link CheckpointFormatException} when it is invalid
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

    /**
     * The header's tensors.
     * @return name to entry, as validated by {@link SafeTensorsHeader}
     */
    public Map<String, Entry> entries() {
        return entries;
    }

    /**
     * The header's {@code __metadata__} strings.
     * @return key to value; empty when the file has none
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The file this object reads.
     * @return the path given to {@link #open}
     */
    public Path file() {
        return file;
    }

    /**
     * Whether the file holds a tensor.
     * @param name the tensor name
     * @return true when the header has an entry {@code name}
     */
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /**
     * The header entry of a tensor.
     * @param name the tensor name
     * @return its entry
     * @throws IllegalArgumentException when the file has no such tensor
     */
    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(file + " has no tensor '" + name + "'");
        }
        return e;
    }

    /**
     * The tensor as a new FLOAT c-order array (converted from F16/BF16 as needed).
     * @param name the tensor name
     * @return a new FLOAT array of the tensor's shape
     * @throws IOException when the file cannot be read, or the tensor has more than {@link Integer#MAX_VALUE} elements
     */
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

    /**
     * Converts the tensor's data into {@code dst} starting at {@code dstOffset}, in chunks of the mapped file.
     * @param e the entry of a tensor of this file
     * @param dst receives the values as float
     * @param dstOffset the index in {@code dst} of the first element; {@code dst} must have room for all of them
     * @throws IOException when the file cannot be mapped or read
     */
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
        /**
         * Fills {@code chunk[0, len)} with elements [offset, offset + len) of tensor {@code name} (row-major).
         * @param name the tensor's name
         * @param offset the flat index of the first element wanted
         * @param chunk receives the values
         * @param len the number of values wanted, at most {@code chunk.length}
         */
        void fill(String name, long offset, float[] chunk, int len);
    }

    /**
     * Writes tensors (sorted by name) in {@code dtype} with optional metadata, atomically: a temp file in the same
     * folder is written, flushed and renamed over {@code file}, so an existing file is never half-overwritten.
     * @param file the file to write or replace
     * @param tensors name to tensor, any data type and order (converted to FLOAT c-order as needed)
     * @param dtype the element type to store (F32, F16 or BF16)
     * @param metadata the {@code __metadata__} strings, or null or empty for none
     * @throws IOException when the file cannot be written
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
     * @param file the file to write or replace
     * @param shapes name to the dimensions of each tensor
     * @param dtype the element type to store (F32, F16 or BF16)
     * @param metadata the {@code __metadata__} strings, or null or empty for none
     * @param source supplies the values of each tensor, in chunks of up to 2^20 elements
     * @throws IOException when the file cannot be written
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

    /**
     * Reads every tensor of a file as FLOAT.
     * @param file the safetensors file
     * @return name to a new FLOAT array, in header order
     * @throws IOException when the file cannot be read, or a {@link CheckpointFormatException} when it is invalid
     */
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
