package org.tinysql.interp.sae;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.TinySqlExample;
import org.tinysql.model.HookPoints;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.CpuKernels;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.Kernels;
import org.tinysql.tensor.SafeTensors;
import org.tinysql.tokenizer.Tokenizer;

/**
 * Activations at one hook point for SAE training: runs the model over TinySQL training texts (every real token), keeps
 * a shuffling buffer (refilled half at a time, SAELens style) and serves batches of rows [n, C], optionally scaled so
 * that the mean squared row norm is C. Rows can also come from, or be written to, an on-disk cache of safetensors
 * shards ({@code activations_00000.safetensors}, tensor "activations" [rows, C]).
 *
 * <p>The buffer is an array of a {@link Kernels} backend (the model's): rows are gathered from the hook activations
 * there, shuffled through a permutation of row indices and served by {@link #nextArray} as backend arrays; only the
 * shard files (and {@link #next}'s host copy) cross to Java.
 */
public final class ActivationStore {
    private final Source source;
    private final Kernels k;
    private final int width;
    private final int bufferRows;
    private final Arena arena;
    /** Rows in physical order; logical row i (the shuffled order) is physical row perm[i]. */
    private final INDArray buffer;
    private final int[] perm;
    private final Random rng;
    private int served;
    private int half;
    private double scale = 1;
    private INDArray staging;
    private INDArray batch;

    /** Where rows come from ({@link ActivationSources}). */
    interface Source {
        /** Fills up to {@code rows} rows of {@code into} [R, C] from row {@code offset}; returns how many (0: exhausted). */
        int fill(INDArray into, int offset, int rows) throws IOException;
    }

    private ActivationStore(Source source, Kernels k, int width, int bufferRows, long seed) throws IOException {
        this.source = source;
        this.k = k;
        this.width = width;
        this.bufferRows = Math.max(2, bufferRows);
        this.arena = new Arena(k);
        this.buffer = arena.zeros(this.bufferRows, width);
        this.perm = IntStream.range(0, this.bufferRows).toArray();
        this.rng = new Random(seed);
        int got = fillAll(buffer, this.bufferRows);
        if (got < this.bufferRows) {
            throw new IllegalArgumentException("only " + got + " activation rows available, the buffer needs " + this.bufferRows);
        }
        shuffle();
        half = this.bufferRows / 2;
    }

    /**
     * A store that runs {@code model} over the training texts of {@code examples} (cycled) at {@code hook}.
     *
     * @param model        the model
     * @param tok          the model's tokenizer
     * @param examples     the examples whose training texts are run, cycled when exhausted
     * @param hook         the hook point, e.g. {@code blocks.1.hook_resid_post}
     * @param contextBatch texts per forward pass, at least 1 used
     * @param bufferRows   rows kept in the shuffle buffer, at least 2 used
     * @param seed         seeds the shuffling
     * @return the store, its buffer filled
     * @throws IOException if the source fails while filling the buffer
     * @throws IllegalArgumentException if the hook is not a hook point of the model, or too few rows are available
     */
    public static ActivationStore fromModel(Transformer model, Tokenizer tok, List<TinySqlExample> examples, String hook,
                                            int contextBatch, int bufferRows, long seed) throws IOException {
        HookPoints.check(model.config(), hook);
        int w = widthOf(model, hook);
        return new ActivationStore(new ActivationSources.ModelSource(model, tok, examples, List.of(hook), contextBatch).of(hook),
                model.kernels(), w, bufferRows, seed);
    }

    /**
     * Stores of several hooks that share the model runs: each run caches every hook, and each store serves exactly the
     * rows {@link #fromModel(Transformer, Tokenizer, List, String, int, int, long) a store of its hook alone} would.
     * Read them in step (a batch from each in turn, as SAEs trained together do): rows one store has not taken yet
     * wait in memory.
     *
     * @param model        the model
     * @param tok          the model's tokenizer
     * @param examples     the examples whose training texts are run, cycled when exhausted
     * @param hooks        the hook points
     * @param contextBatch texts per forward pass, at least 1 used
     * @param bufferRows   rows kept in each store's shuffle buffer, at least 2 used
     * @param seed         seeds each store's shuffling
     * @return the stores by hook, in the order given, their buffers filled
     * @throws IOException if the source fails while filling a buffer
     * @throws IllegalArgumentException if a hook is not a hook point of the model, or too few rows are available
     */
    public static Map<String, ActivationStore> fromModel(Transformer model, Tokenizer tok, List<TinySqlExample> examples,
                                                         List<String> hooks, int contextBatch, int bufferRows, long seed)
            throws IOException {
        ActivationSources.ModelSource src = new ActivationSources.ModelSource(model, tok, examples, hooks, contextBatch);
        Map<String, ActivationStore> stores = new LinkedHashMap<>();
        for (String h : hooks) {
            stores.put(h, new ActivationStore(src.of(h), model.kernels(), src.width(h), bufferRows, seed));
        }
        return stores;
    }

    /**
     * A store over previously cached shards in {@code dir}, buffered on the CPU backend.
     *
     * @param dir        the folder of {@code activations_NNNNN.safetensors} shards
     * @param bufferRows rows kept in the shuffle buffer, at least 2 used
     * @param seed       seeds the shuffling
     * @return the store, its buffer filled
     * @throws IOException if a shard cannot be read or is malformed
     */
    public static ActivationStore fromCache(Path dir, int bufferRows, long seed) throws IOException {
        return fromCache(dir, bufferRows, seed, new CpuKernels());
    }

    /**
     * A store over previously cached shards in {@code dir}, buffered on {@code kernels}' backend.
     *
     * @param dir        the folder of {@code activations_NNNNN.safetensors} shards
     * @param bufferRows rows kept in the shuffle buffer, at least 2 used
     * @param seed       seeds the shuffling
     * @param kernels    the backend of the buffer and served batches
     * @return the store, its buffer filled
     * @throws IOException if a shard cannot be read or is malformed
     */
    public static ActivationStore fromCache(Path dir, int bufferRows, long seed, Kernels kernels) throws IOException {
        ActivationSources.DiskSource d = new ActivationSources.DiskSource(dir, kernels);
        return new ActivationStore(d, kernels, d.width, bufferRows, seed);
    }

    /** The width C of a hook's activation rows. */
    static int widthOf(Transformer model, String hook) {
        HookPoints.Dim[] dims = HookPoints.dims(model.config()).get(hook);
        if (dims == null || dims[1] != HookPoints.Dim.T || dims[dims.length - 1] == HookPoints.Dim.ONE) {
            HookPoints.check(model.config(), hook);
            throw new IllegalArgumentException("SAEs read [B,T,...] activations with a fixed width; " + hook + " has none");
        }
        return HookPoints.width(model.config(), hook);
    }

    /**
     * Runs the model over {@code examples} once and writes every token's activation to shards of {@code shardRows}
     * rows in {@code dir} (each written atomically), then removes shards of an earlier, larger cache there. Returns the
     * number of rows written.
     *
     * @param model        the model
     * @param tok          the model's tokenizer
     * @param examples     the examples whose training texts are run, once each
     * @param hook         the hook point
     * @param contextBatch texts per forward pass
     * @param dir          the folder, created if missing
     * @param shardRows    rows per shard file
     * @return the number of rows written
     * @throws IOException if a shard cannot be written or an old one removed
     */
    public static long writeCache(Transformer model, Tokenizer tok, List<TinySqlExample> examples, String hook, int contextBatch,
                                  Path dir, int shardRows) throws IOException {
        Files.createDirectories(dir);
        ActivationSources.ModelSource src = new ActivationSources.ModelSource(model, tok, examples, List.of(hook), contextBatch);
        src.cycle = false;
        int w = widthOf(model, hook);
        try (Arena a = new Arena(model.kernels())) {
            return writeShards(src.of(hook), a.zeros(shardRows, w), hook, dir, shardRows);
        }
    }

    /** Writes the rows of {@code src} to shards of {@code shardRows} rows, staged in {@code shard}. */
    private static long writeShards(Source src, INDArray shard, String hook, Path dir, int shardRows) throws IOException {
        long total = 0;
        int index = 0;
        while (true) {
            int got = 0;
            while (got < shardRows) {
                int n = src.fill(shard, got, shardRows - got);
                if (n == 0) {
                    break;
                }
                got += n;
            }
            if (got == 0) {
                break;
            }
            INDArray a = ActivationSources.rowRange(shard, 0, got).dup('c');
            SafeTensors.write(dir.resolve(String.format("activations_%05d.safetensors", index++)), Map.of("activations", a), DType.F32,
                    Map.of("hook_name", hook));
            total += got;
            if (got < shardRows) {
                break;
            }
        }
        int written = index;
        for (Path stale : shards(dir)) {
            if (shardIndex(stale) >= written) {
                Files.delete(stale);
            }
        }
        return total;
    }

    private static final String SHARD_NAME = "activations_\\d+\\.safetensors";

    /** The shard files of {@code dir}, in name order. */
    static List<Path> shards(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches(SHARD_NAME)).sorted().toList();
        }
    }

    private static long shardIndex(Path shard) {
        String n = shard.getFileName().toString();
        String digits = n.substring("activations_".length(), n.length() - ".safetensors".length());
        return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    /**
     * The row width: the hook activation's last dimension.
     *
     * @return C
     */
    public int width() {
        return width;
    }

    /**
     * Sets the scale so the buffer's mean squared row norm becomes C (SAELens "expected_average_only_in"); returns
     * it. Batches served afterwards are scaled; store it in the SAE's config as its norm scale.
     *
     * @return the scale, 1 for an all-zero buffer
     */
    public double normalize() {
        try (Arena a = new Arena(k)) {
            INDArray sum = a.zeros(1);
            k.blockDots(buffer, buffer, width, sum);
            double meanSq = sum.getFloat(0) / (double) bufferRows;
            scale = meanSq > 0 ? Math.sqrt(width / meanSq) : 1;
        }
        return scale;
    }

    /**
     * The factor served rows are multiplied by.
     *
     * @return 1 until {@link #normalize} sets it
     */
    public double scale() {
        return scale;
    }

    /**
     * The next {@code n} rows [n, C] (scaled) as an array of the store's backend, owned by the store and overwritten
     * by the next call: what the trainer takes ({@link SaeTrainer#trainArrays}).
     *
     * @param n the number of rows, at most half the buffer
     * @return [n, C] the rows
     * @throws IOException if refilling the buffer from the source fails
     * @throws IllegalArgumentException if {@code n} exceeds half the buffer
     */
    public INDArray nextArray(int n) throws IOException {
        if (n > half) {
            throw new IllegalArgumentException("batch of " + n + " rows exceeds half the buffer (" + half + "); enlarge the buffer");
        }
        if (served + n > half) {
            refill();
        }
        if (batch == null || batch.size(0) != n) {
            batch = arena.own(k.zeros(n, width));
        }
        k.gatherRows(buffer, Arrays.copyOfRange(perm, served, served + n), batch);
        served += n;
        if (scale != 1) {
            k.scaleAddRow(batch, (float) scale, null, 0f, batch);
        }
        return batch;
    }

    /**
     * Batches of {@code n} rows for {@link SaeTrainer#trainArrays} (I/O errors of the source rethrown unchecked).
     *
     * @param n rows per batch, at most half the buffer
     * @return a function ignoring its step argument and returning {@link #nextArray nextArray(n)}
     */
    public IntFunction<INDArray> batches(int n) {
        return step -> {
            try {
                return nextArray(n);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    /**
     * The next {@code n} rows [n, C] (scaled), a host copy.
     *
     * @param n the number of rows, at most half the buffer
     * @return [n, C] a new row-major host array
     * @throws IOException if refilling the buffer from the source fails
     */
    public float[] next(int n) throws IOException {
        return Buffers.toFloats(nextArray(n));
    }

    /**
     * Element-wise mean (or, with {@code median}, coordinate-wise median) of the buffer, scaled: the b_dec init.
     *
     * @param median {@code true} for the coordinate-wise median, {@code false} for the mean
     * @return [C] a new host array
     */
    public float[] center(boolean median) {
        float[] out = new float[width];
        if (median) {
            // A one-off initialisation: the coordinate-wise median is computed on a host copy of the buffer.
            float[] all = Buffers.toFloats(buffer);
            float[] col = new float[bufferRows];
            for (int c = 0; c < width; c++) {
                for (int r = 0; r < bufferRows; r++) {
                    col[r] = all[r * width + c];
                }
                Arrays.sort(col);
                out[c] = (float) (col[bufferRows / 2] * scale);
            }
        } else {
            try (Arena a = new Arena(k)) {
                INDArray mean = a.zeros(width);
                k.meanRows(buffer, perm, mean);
                float[] m = Buffers.toFloats(mean);
                for (int c = 0; c < width; c++) {
                    out[c] = (float) (m[c] * scale);
                }
            }
        }
        return out;
    }

    /** Logical rows [0, half) get fresh rows (through a staging array), then the order is shuffled again. */
    private void refill() throws IOException {
        if (staging == null) {
            staging = arena.zeros(half, width);
        }
        int got = fillAll(staging, half);
        if (got == 0) {
            throw new IllegalStateException("the activation source is exhausted");
        }
        INDArray rows = got == half ? staging : ActivationSources.rowRange(staging, 0, got);
        k.scatterRows(rows, Arrays.copyOf(perm, got), buffer, false);
        shuffle();
        served = 0;
    }

    /** Fills rows [0, rows) of {@code into}; returns how many the source had. */
    private int fillAll(INDArray into, int rows) throws IOException {
        int got = 0;
        while (got < rows) {
            int n = source.fill(into, got, rows - got);
            if (n == 0) {
                break;
            }
            got += n;
        }
        return got;
    }

    /** Fisher-Yates over the logical order (the same swaps as on the rows themselves). */
    private void shuffle() {
        for (int i = bufferRows - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
    }

}
