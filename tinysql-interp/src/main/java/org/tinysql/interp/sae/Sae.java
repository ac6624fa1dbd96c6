package org.tinysql.interp.sae;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.CpuKernels;
import org.tinysql.tensor.Kernels;

/**
 * A sparse autoencoder: pre = (x s - b_dec) W_enc^T + b_enc; latents = activation(pre); x_hat = (latents W_dec +
 * b_dec) / s, with s the config's norm scale. The weights are arrays of a {@link Kernels} backend (W_enc and W_dec
 * both [S, C], row j is latent j) and every step computes there: the encoder is one GEMM with its bias, the latents are
 * sparse codes ({@link SparseCodes}, selected by the backend's TopK or threshold kernels) and the decoder sums k rows of
 * W_dec per row. The folder format is in {@link SaeFiles}.
 *
 * <p>Shape legend: N rows (tokens), C = d_in, S = d_sae.
 */
public final class Sae {
    final SaeConfig cfg;
    final int C;
    final int S;
    final Kernels kernels;
    private final Arena weights;
    final INDArray wEnc;
    final INDArray bEnc;
    final INDArray wDec;
    final INDArray bDec;
    /** JumpReLU: log thresholds [S] and their exponentials (null otherwise); call {@link #thresholdChanged} after changing them. */
    final INDArray logThreshold;
    final INDArray threshold;
    /** BatchTopK: the inference threshold (running mean of the smallest kept activation); < 0 before training. */
    float batchThreshold = -1;
    /** The arrays of the last inference batch size (large arrays are not re-allocated per call). */
    private Workspace ws;

    Sae(SaeConfig cfg, Kernels kernels) {
        this.cfg = cfg;
        this.C = cfg.dIn();
        this.S = cfg.dSae();
        this.kernels = kernels;
        weights = new Arena(kernels);
        wEnc = weights.zeros(S, C);
        bEnc = weights.zeros(S);
        wDec = weights.zeros(S, C);
        bDec = weights.zeros(C);
        boolean jump = cfg.architecture() == SaeConfig.Architecture.JUMPRELU;
        logThreshold = jump ? weights.zeros(S) : null;
        threshold = jump ? weights.zeros(S) : null;
    }

    /**
     * Random unit-norm decoder rows, encoder initialised to the decoder, zero biases; on the CPU backend.
     *
     * @param cfg  the shape and objective
     * @param seed seeds the decoder's Gaussian draw
     * @return the new SAE
     */
    public static Sae init(SaeConfig cfg, long seed) {
        return init(cfg, seed, new CpuKernels());
    }

    /**
     * As {@link #init(SaeConfig, long)}, with weights on {@code kernels}' backend.
     *
     * @param cfg     the shape and objective
     * @param seed    seeds the decoder's Gaussian draw
     * @param kernels the backend that owns the weights and runs every step
     * @return the new SAE
     */
    public static Sae init(SaeConfig cfg, long seed, Kernels kernels) {
        Sae s = new Sae(cfg, kernels);
        Random r = new Random(seed);
        float[] w = new float[s.S * s.C];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        Buffers.fb(s.wDec).put(0, w);
        s.normalizeDecoder();
        kernels.copy(s.wDec, s.wEnc);
        if (s.logThreshold != null) {
            float[] t = new float[s.S];
            Arrays.fill(t, (float) Math.log(cfg.initThreshold()));
            Buffers.fb(s.logThreshold).put(0, t);
            s.thresholdChanged();
        }
        return s;
    }

    /**
     * The SAE's shape and objective.
     *
     * @return the configuration
     */
    public SaeConfig config() {
        return cfg;
    }

    /**
     * The backend the weights live on.
     *
     * @return the kernels given at creation or load
     */
    public Kernels kernels() {
        return kernels;
    }

    /**
     * Decoder row j [C] (the latent's direction in the normalized input space), a host copy.
     *
     * @param j the latent, 0..S-1
     * @return a new host array of C floats
     */
    public float[] decoderRow(int j) {
        float[] row = new float[C];
        Buffers.fb(wDec).get(j * C, row);
        return row;
    }

    /** Scales every decoder row to unit norm. */
    void normalizeDecoder() {
        kernels.normalizeRows(wDec, 1e-12);
    }

    /** Call after changing the JumpReLU log thresholds. */
    void thresholdChanged() {
        if (logThreshold != null) {
            kernels.exp(logThreshold, threshold);
        }
    }

    /**
     * Sets b_dec (in the normalized space).
     *
     * @param b [C] the new b_dec, copied
     * @throws IllegalArgumentException if {@code b} does not have C entries
     */
    public void setDecoderBias(float[] b) {
        if (b.length != C) {
            throw new IllegalArgumentException("b_dec must have " + C + " entries, got " + b.length);
        }
        Buffers.fb(bDec).put(0, b);
    }

    /** xc = x s - b_dec for raw rows x [N, C] (normalized rows when {@code normalized}). */
    void center(INDArray x, boolean normalized, INDArray xc) {
        kernels.scaleAddRow(x, normalized ? 1f : (float) cfg.normScale(), bDec, -1f, xc);
    }

    /** Pre-activations pre [N, S] = xc W_enc^T + b_enc (one GEMM). */
    void preActivations(INDArray xc, INDArray pre) {
        kernels.linear(xc, wEnc, bEnc, pre);
    }

    /** The activation function on pre-activations [N, S] into {@code z} (training: BatchTopK selects over the batch). */
    void activate(INDArray pre, boolean training, SparseCodes z) {
        int n = (int) pre.size(0);
        switch (cfg.architecture()) {
            case TOPK -> topK(pre, n, z);
            case BATCH_TOPK -> {
                if (training) {
                    // Keep the k*N largest positive values of the batch (ties at the cut too), as BatchTopK does; the
                    // smallest kept value feeds the threshold used at inference.
                    float[] cut = kernels.kthLargestPositive(pre, cfg.k() * n);
                    above(pre, null, cut[0] > 0 ? Math.nextDown(cut[0]) : 0f, z);
                    float smallestKept = cut[0] > 0 ? cut[0] : cut[1];
                    if (smallestKept != Float.MAX_VALUE) {
                        batchThreshold = batchThreshold < 0 ? smallestKept : 0.99f * batchThreshold + 0.01f * smallestKept;
                    }
                } else if (batchThreshold < 0) {
                    topK(pre, n, z);
                } else {
                    above(pre, null, batchThreshold, z);
                }
            }
            case RELU -> above(pre, null, 0f, z);
            default -> above(pre, threshold, 0f, z);
        }
    }

    private void topK(INDArray pre, int n, SparseCodes z) {
        z.ensure(n, (long) n * cfg.k());
        z.setNnz(kernels.topK(pre, cfg.k(), null, z.start(), z.idx(), z.val()));
    }

    private void above(INDArray pre, INDArray th, float scalar, SparseCodes z) {
        int n = (int) pre.size(0);
        z.ensure(n, (long) n * Math.max(1, cfg.k()));
        int nnz = kernels.selectAbove(pre, th, scalar, z.start(), z.idx(), z.val());
        if (nnz > z.idx().length()) {
            z.grow(nnz);
            nnz = kernels.selectAbove(pre, th, scalar, z.start(), z.idx(), z.val());
        }
        z.setNnz(nnz);
    }

    /** x_hat in the normalized space: latents W_dec (+ b_dec) into out [N, C]. */
    void decodeNormalized(SparseCodes z, boolean withBias, INDArray out) {
        kernels.sparseDecode(z.start(), z.idx(), z.val(), wDec, withBias ? bDec : null, out);
    }

    /**
     * Reconstruction of raw activations from latents, in the raw space, into out [N, C].
     *
     * @param z   latents of N rows, e.g. from an encode on this SAE
     * @param out [N, C] overwritten with the reconstruction
     */
    public void decode(SparseCodes z, INDArray out) {
        decodeNormalized(z, true, out);
        float inv = (float) (1 / cfg.normScale());
        if (inv != 1f) {
            kernels.scaleAddRow(out, inv, null, 0f, out);
        }
    }

    /** Latents of raw activations x [N, C] (inference), in this SAE's reused arrays: valid until its next call. */
    SparseCodes encodeShared(INDArray x) {
        int n = rowsOf(x);
        Workspace w = workspace(n);
        center(x, false, w.xc);
        preActivations(w.xc, w.pre);
        activate(w.pre, false, w.codes);
        return w.codes;
    }

    /**
     * Latents of raw activations x [N, C] (any rank, last dim C), as host codes.
     *
     * @param x raw activations on this SAE's backend, last dimension C
     * @return the latents of every row, a host copy
     * @throws IllegalArgumentException if the last dimension is not C
     */
    public Codes encode(INDArray x) {
        return encodeShared(x).toCodes();
    }

    /**
     * out = decode(encode(x)) for raw activations x [N, C] on the backend; out may be x.
     *
     * @param x   [N, C] raw activations on this SAE's backend
     * @param out [N, C] overwritten with the reconstruction
     * @throws IllegalArgumentException if the last dimension of {@code x} is not C
     */
    public void reconstruct(INDArray x, INDArray out) {
        decode(encodeShared(x), out);
    }

    /**
     * Latents of raw activations x [N, C] given as host floats (inference).
     *
     * @param x [n, C] row-major raw activations
     * @param n the number of rows N
     * @return the latents of every row
     * @throws IllegalArgumentException if {@code x} does not hold n*C floats
     */
    public Codes encode(float[] x, int n) {
        checkRows(x, n);
        try (Arena a = new Arena(kernels)) {
            return encode(upload(a, x, n));
        }
    }

    /**
     * Reconstruction of raw activations from host latents, in the raw space [N, C] (a host copy).
     *
     * @param z latents of N rows
     * @return [N, C] a new row-major host array
     */
    public float[] decode(Codes z) {
        try (Arena a = new Arena(kernels); SparseCodes codes = SparseCodes.of(kernels, z)) {
            INDArray out = a.zeros(z.rows, C);
            decode(codes, out);
            return Buffers.toFloats(out);
        }
    }

    /**
     * decode(encode(x)) for host rows.
     *
     * @param x [n, C] row-major raw activations
     * @param n the number of rows N
     * @return [n, C] a new row-major host array
     * @throws IllegalArgumentException if {@code x} does not hold n*C floats
     */
    public float[] reconstruct(float[] x, int n) {
        checkRows(x, n);
        try (Arena a = new Arena(kernels)) {
            INDArray d = upload(a, x, n);
            reconstruct(d, d);
            return Buffers.toFloats(d);
        }
    }

    /** Host rows [n, C] copied into an array of this backend owned by {@code a}. */
    INDArray upload(Arena a, float[] x, int n) {
        INDArray d = a.zeros(n, C);
        Buffers.fb(d).put(0, x);
        return d;
    }

    /** The number of rows of x read as [N, C]; checks its width. */
    int rowsOf(INDArray x) {
        long c = x.size(x.rank() - 1);
        if (c != C) {
            throw new IllegalArgumentException("SAE d_in " + C + " does not match the activation's width " + c);
        }
        return (int) (x.length() / C);
    }

    private void checkRows(float[] x, int n) {
        if (x.length != (long) n * C) {
            throw new IllegalArgumentException("SAE input must be [" + n + ", " + C + "] (" + ((long) n * C) + " floats), got " + x.length);
        }
    }

    private Workspace workspace(int n) {
        if (ws == null || ws.n != n) {
            if (ws != null) {
                ws.close();
            }
            ws = new Workspace(kernels, n, C, S);
        }
        return ws;
    }

    /** The arrays of encoding one batch size (the trainer's batches hold one too); more can be allocated in its arena. */
    static final class Workspace implements AutoCloseable {
        final int n;
        final Arena arena;
        final INDArray xc;
        final INDArray pre;
        final SparseCodes codes;

        Workspace(Kernels k, int n, int c, int s) {
            this.n = n;
            arena = new Arena(k);
            xc = arena.zeros(n, c);
            pre = arena.zeros(n, s);
            codes = new SparseCodes(k);
        }

        @Override
        public void close() {
            arena.close();
            codes.close();
        }
    }

    // ---- persistence ----

    /**
     * Writes {@code sae.safetensors} (W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec, threshold) and cfg.json.
     *
     * @param dir the folder, created if missing; the two files are replaced
     * @throws IOException if a file cannot be written
     */
    public void save(Path dir) throws IOException {
        SaeFiles.save(this, dir);
    }

    /**
     * Reads an SAE folder written by {@link #save}; tensor shapes must match its cfg.json. Weights go to the CPU
     * backend.
     *
     * @param dir the SAE folder
     * @return the SAE
     * @throws IOException if a file cannot be read or is malformed
     */
    public static Sae load(Path dir) throws IOException {
        return SaeFiles.load(dir, new CpuKernels());
    }

    /**
     * As {@link #load(Path)}, with weights on {@code kernels}' backend.
     *
     * @param dir     the SAE folder
     * @param kernels the backend that gets the weights
     * @return the SAE
     * @throws IOException if a file cannot be read or is malformed
     */
    public static Sae load(Path dir, Kernels kernels) throws IOException {
        return SaeFiles.load(dir, kernels);
    }
}
