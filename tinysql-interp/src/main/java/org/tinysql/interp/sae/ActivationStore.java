package org.tinysql.interp.sae;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.TokenTagger;
import org.tinysql.model.HookPoints;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.SafeTensors;
import org.tinysql.tokenizer.Tokenizer;

/**
 * Activations at one hook point for SAE training: runs the model over TinySQL training texts (every real token), keeps
 * a shuffling buffer (refilled half at a time, SAELens style) and serves batches of rows [n, C], optionally scaled so
 * that the mean squared row norm is C. Rows can also come from, or be written to, an on-disk cache of safetensors
 * shards ({@code activations_00000.safetensors}, tensor "activations" [rows, C]).
 */
public final class ActivationStore {
    private final Source source;
    private final int width;
    private final float[] buffer;
    private final int bufferRows;
    private final Random rng;
    private int served;
    private int half;
    private double scale = 1;

    /** Where rows come from. */
    interface Source {
        /** Fills up to {@code rows} rows into {@code into} at row {@code offset}; returns how many (0: exhausted). */
        int fill(float[] into, int offset, int rows) throws IOException;
    }

    private ActivationStore(Source source, int width, int bufferRows, long seed) throws IOException {
        this.source = source;
        this.width = width;
        this.bufferRows = Math.max(2, bufferRows);
        this.buffer = new float[this.bufferRows * width];
        this.rng = new Random(seed);
        int got = fillAll(0, this.bufferRows);
        if (got < this.bufferRows) {
            throw new IllegalArgumentException("only " + got + " activation rows available, the buffer needs " + this.bufferRows);
        }
        shuffle();
        half = this.bufferRows / 2;
    }

    /** A store that runs {@code model} over the training texts of {@code examples} (cycled) at {@code hook}. */
    public static ActivationStore fromModel(Transformer model, Tokenizer tok, List<TinySqlExample> examples, String hook,
                                            int contextBatch, int bufferRows, long seed) throws IOException {
        HookPoints.check(model.config(), hook);
        int w = widthOf(model, hook);
        return new ActivationStore(new ModelSource(model, tok, examples, hook, contextBatch), w, bufferRows, seed);
    }

    /** A store over previously cached shards in {@code dir}. */
    public static ActivationStore fromCache(Path dir, int bufferRows, long seed) throws IOException {
        DiskSource d = new DiskSource(dir);
        return new ActivationStore(d, d.width, bufferRows, seed);
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
     */
    public static long writeCache(Transformer model, Tokenizer tok, List<TinySqlExample> examples, String hook, int contextBatch,
                                  Path dir, int shardRows) throws IOException {
        Files.createDirectories(dir);
        ModelSource src = new ModelSource(model, tok, examples, hook, contextBatch);
        src.cycle = false;
        int w = widthOf(model, hook);
        float[] shard = new float[shardRows * w];
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
            INDArray a = Buffers.of(Arrays.copyOf(shard, got * w), got, w);
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

    public int width() {
        return width;
    }

    /**
     * Sets the scale so the buffer's mean squared row norm becomes C (SAELens "expected_average_only_in"); returns
     * it. Batches served afterwards are scaled; store it in the SAE's config as its norm scale.
     */
    public double normalize() {
        double sum = 0;
        for (int r = 0; r < bufferRows; r++) {
            double q = 0;
            for (int c = 0; c < width; c++) {
                double v = buffer[r * width + c];
                q += v * v;
            }
            sum += q;
        }
        double meanSq = sum / bufferRows;
        scale = meanSq > 0 ? Math.sqrt(width / meanSq) : 1;
        return scale;
    }

    public double scale() {
        return scale;
    }

    /** The next {@code n} rows [n, C] (scaled). */
    public float[] next(int n) throws IOException {
        if (n > half) {
            throw new IllegalArgumentException("batch of " + n + " rows exceeds half the buffer (" + half + "); enlarge the buffer");
        }
        if (served + n > half) {
            refill();
        }
        float[] out = Arrays.copyOfRange(buffer, served * width, (served + n) * width);
        served += n;
        if (scale != 1) {
            float s = (float) scale;
            for (int i = 0; i < out.length; i++) {
                out[i] *= s;
            }
        }
        return out;
    }

    /** Element-wise mean (or, with {@code median}, coordinate-wise median) of the buffer, scaled: the b_dec init. */
    public float[] center(boolean median) {
        float[] out = new float[width];
        if (median) {
            float[] col = new float[bufferRows];
            for (int c = 0; c < width; c++) {
                for (int r = 0; r < bufferRows; r++) {
                    col[r] = buffer[r * width + c];
                }
                Arrays.sort(col);
                out[c] = (float) (col[bufferRows / 2] * scale);
            }
        } else {
            for (int r = 0; r < bufferRows; r++) {
                for (int c = 0; c < width; c++) {
                    out[c] += buffer[r * width + c];
                }
            }
            for (int c = 0; c < width; c++) {
                out[c] = (float) (out[c] / bufferRows * scale);
            }
        }
        return out;
    }

    private void refill() throws IOException {
        int got = fillAll(0, half);
        if (got == 0) {
            throw new IllegalStateException("the activation source is exhausted");
        }
        shuffle();
        served = 0;
    }

    private int fillAll(int offset, int rows) throws IOException {
        int got = 0;
        while (got < rows) {
            int n = source.fill(buffer, offset + got, rows - got);
            if (n == 0) {
                break;
            }
            got += n;
        }
        return got;
    }

    private void shuffle() {
        float[] tmp = new float[width];
        for (int i = bufferRows - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            System.arraycopy(buffer, i * width, tmp, 0, width);
            System.arraycopy(buffer, j * width, buffer, i * width, width);
            System.arraycopy(tmp, 0, buffer, j * width, width);
        }
    }

    /** Runs the model over training texts, batch by batch, keeping leftover rows between calls. */
    static final class ModelSource implements Source {
        private final Transformer model;
        private final List<TinySqlExample> examples;
        private final String hook;
        private final int contextBatch;
        private final TokenTagger tagger;
        private final int width;
        private int next;
        boolean cycle = true;
        private float[] pending = new float[0];
        private int pendingRows;
        private int pendingAt;

        ModelSource(Transformer model, Tokenizer tok, List<TinySqlExample> examples, String hook, int contextBatch) {
            if (examples.isEmpty()) {
                throw new IllegalArgumentException("no examples to collect activations from");
            }
            this.model = model;
            this.examples = examples;
            this.hook = hook;
            this.contextBatch = Math.max(1, contextBatch);
            this.tagger = new TokenTagger(tok);
            this.width = widthOf(model, hook);
        }

        @Override
        public int fill(float[] into, int offset, int rows) {
            if (pendingAt == pendingRows && !collect()) {
                return 0;
            }
            int n = Math.min(rows, pendingRows - pendingAt);
            System.arraycopy(pending, pendingAt * width, into, offset * width, n * width);
            pendingAt += n;
            return n;
        }

        private boolean collect() {
            if (next >= examples.size()) {
                if (!cycle) {
                    return false;
                }
                next = 0;
            }
            int end = Math.min(examples.size(), next + contextBatch);
            List<int[]> toks = new ArrayList<>();
            int t = 1;
            for (int i = next; i < end; i++) {
                int[] ids = tagger.tag(examples.get(i)).tokens();
                ids = Arrays.copyOf(ids, Math.min(ids.length, model.config().maxSequenceLength()));
                toks.add(ids);
                t = Math.max(t, ids.length);
            }
            next = end;
            int[][] ids = new int[toks.size()][t];
            int[][] mask = new int[toks.size()][t];
            int real = 0;
            for (int b = 0; b < ids.length; b++) {
                System.arraycopy(toks.get(b), 0, ids[b], 0, toks.get(b).length);
                Arrays.fill(mask[b], 0, toks.get(b).length, 1);
                real += toks.get(b).length;
            }
            INDArray act = model.runWithCache(ids, mask, hook::equals).get(hook);
            float[] all = Buffers.toFloats(act);
            pending = new float[real * width];
            int r = 0;
            for (int b = 0; b < ids.length; b++) {
                for (int i = 0; i < toks.get(b).length; i++) {
                    System.arraycopy(all, (b * t + i) * width, pending, (r++) * width, width);
                }
            }
            pendingRows = real;
            pendingAt = 0;
            return true;
        }
    }

    /** Reads cached shards in name order, cycling. */
    static final class DiskSource implements Source {
        private final List<Path> shards;
        final int width;
        private int shard;
        private float[] rows = new float[0];
        private int count;
        private int at;

        DiskSource(Path dir) throws IOException {
            shards = ActivationStore.shards(dir);
            if (shards.isEmpty()) {
                throw new IOException("no activations_*.safetensors shards in " + dir);
            }
            try (SafeTensors st = SafeTensors.open(shards.get(0))) {
                long[] shape = st.entry("activations").shape();
                width = (int) shape[1];
            }
        }

        @Override
        public int fill(float[] into, int offset, int want) throws IOException {
            if (at == count) {
                Path file = shards.get(shard);
                Map<String, INDArray> m = SafeTensors.readAll(file);
                shard = (shard + 1) % shards.size();
                INDArray a = m.get("activations");
                if (a == null || a.rank() != 2 || a.size(1) != width || a.size(0) == 0) {
                    throw new IOException(file + ": expected tensor 'activations' [rows, " + width + "] with at least one row");
                }
                rows = Buffers.toFloats(a);
                count = (int) a.size(0);
                at = 0;
            }
            int n = Math.min(want, count - at);
            System.arraycopy(rows, at * width, into, offset * width, n * width);
            at += n;
            return n;
        }
    }
}
