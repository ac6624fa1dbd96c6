package org.tinysql.interp.sae;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Blas;
import org.tinysql.tensor.Buffers;

/**
 * A sparse autoencoder: pre = (x s - b_dec) W_enc^T + b_enc; latents = activation(pre); x_hat = (latents W_dec +
 * b_dec) / s, with s the config's norm scale. Weights are heap arrays (W_enc and W_dec both [S, C], row j is latent
 * j); the encoder runs as one GEMM, the rest (activation, decoder, backward) uses the sparsity of the latents.
 * Which latents fire is decided in {@link LatentSelection}; the folder format is in {@link SaeFiles}.
 *
 * <p>Shape legend: N rows (tokens), C = d_in, S = d_sae.
 */
public final class Sae {
    final SaeConfig cfg;
    final int C;
    final int S;
    final float[] wEnc;
    final float[] bEnc;
    final float[] wDec;
    final float[] bDec;
    /** JumpReLU: log thresholds [S] (null otherwise). */
    final float[] logThreshold;
    /** BatchTopK: the inference threshold (running mean of the smallest kept activation); < 0 before training. */
    float batchThreshold = -1;
    private INDArray wEncNd;

    Sae(SaeConfig cfg) {
        this.cfg = cfg;
        this.C = cfg.dIn();
        this.S = cfg.dSae();
        wEnc = new float[S * C];
        bEnc = new float[S];
        wDec = new float[S * C];
        bDec = new float[C];
        logThreshold = cfg.architecture() == SaeConfig.Architecture.JUMPRELU ? new float[S] : null;
    }

    /** Random unit-norm decoder rows, encoder initialised to the decoder, zero biases. */
    public static Sae init(SaeConfig cfg, long seed) {
        Sae s = new Sae(cfg);
        Random r = new Random(seed);
        for (int i = 0; i < s.wDec.length; i++) {
            s.wDec[i] = (float) r.nextGaussian();
        }
        s.normalizeDecoder();
        System.arraycopy(s.wDec, 0, s.wEnc, 0, s.wDec.length);
        if (s.logThreshold != null) {
            Arrays.fill(s.logThreshold, (float) Math.log(cfg.initThreshold()));
        }
        return s;
    }

    public SaeConfig config() {
        return cfg;
    }

    /** Decoder row j [C] (the latent's direction in the normalized input space). */
    public float[] decoderRow(int j) {
        return Arrays.copyOfRange(wDec, j * C, (j + 1) * C);
    }

    /** Scales every decoder row to unit norm. */
    void normalizeDecoder() {
        IntStream.range(0, S).parallel().forEach(j -> {
            double n = 0;
            for (int c = 0; c < C; c++) {
                n += wDec[j * C + c] * wDec[j * C + c];
            }
            float inv = (float) (1 / Math.max(Math.sqrt(n), 1e-12));
            for (int c = 0; c < C; c++) {
                wDec[j * C + c] *= inv;
            }
        });
    }

    /** Call after changing W_enc in place. */
    void encoderChanged() {
        if (wEncNd != null) {
            Buffers.fb(wEncNd).put(0, wEnc);
        }
    }

    /** Sets b_dec (in the normalized space). */
    public void setDecoderBias(float[] b) {
        if (b.length != C) {
            throw new IllegalArgumentException("b_dec must have " + C + " entries, got " + b.length);
        }
        System.arraycopy(b, 0, bDec, 0, C);
    }

    /** x s - b_dec for raw rows x [N, C] (normalized rows when {@code normalized}). */
    float[] centered(float[] x, int n, boolean normalized) {
        float s = normalized ? 1f : (float) cfg.normScale();
        float[] xc = new float[n * C];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < C; c++) {
                xc[r * C + c] = x[r * C + c] * s - bDec[c];
            }
        }
        return xc;
    }

    /** Reused GEMM operands and the pre-activation array of the last batch size (large arrays are not re-allocated). */
    private INDArray xBuf;
    private INDArray preBuf;
    private float[] preArr;

    /**
     * Pre-activations [N, S] from centered rows (one GEMM, bias added in Java). The returned array is reused by the
     * next call: do not keep it.
     */
    float[] preActivations(float[] xc, int n) {
        if (wEncNd == null) {
            wEncNd = Buffers.of(wEnc, S, C);
        }
        if (preArr == null || preArr.length != n * S) {
            if (xBuf != null) {
                xBuf.close();
                preBuf.close();
            }
            xBuf = Buffers.zeros(n, C);
            preBuf = Buffers.zeros(n, S);
            preArr = new float[n * S];
        }
        Buffers.fb(xBuf).put(0, xc);
        Blas.gemm(xBuf, wEncNd, preBuf, false, true, 1.0, 0.0);
        float[] p = preArr;
        java.nio.FloatBuffer src = Buffers.fb(preBuf);
        int chunkRows = 64;
        IntStream.range(0, (n + chunkRows - 1) / chunkRows).parallel().forEach(ch -> {
            int r0 = ch * chunkRows;
            int r1 = Math.min(n, r0 + chunkRows);
            src.duplicate().get(r0 * S, p, r0 * S, (r1 - r0) * S);
            for (int r = r0; r < r1; r++) {
                int o = r * S;
                for (int j = 0; j < S; j++) {
                    p[o + j] += bEnc[j];
                }
            }
        });
        return p;
    }

    /** The activation function on pre-activations (training: BatchTopK selects over the batch). */
    Codes activate(float[] pre, int n, boolean training) {
        switch (cfg.architecture()) {
            case TOPK:
                return LatentSelection.topK(pre, n, cfg.k(), null);
            case BATCH_TOPK:
                if (training || batchThreshold < 0) {
                    return training ? batchTopK(pre, n) : LatentSelection.topK(pre, n, cfg.k(), null);
                }
                return LatentSelection.above(pre, n, S, j -> batchThreshold);
            case RELU:
                return LatentSelection.above(pre, n, S, j -> 0f);
            default:
                return LatentSelection.above(pre, n, S, j -> (float) Math.exp(logThreshold[j]));
        }
    }

    /** The k x N largest positive pre-activations over the whole batch; updates the inference threshold. */
    private Codes batchTopK(float[] pre, int n) {
        int want = cfg.k() * n;
        float[] pos = new float[pre.length];
        int m = 0;
        for (float v : pre) {
            if (v > 0) {
                pos[m++] = v;
            }
        }
        float cut;
        if (m <= want) {
            cut = 0f;
        } else {
            float[] copy = Arrays.copyOf(pos, m);
            cut = LatentSelection.select(copy, m - want);
        }
        float c = cut;
        Codes codes = LatentSelection.above(pre, n, S, j -> c);
        if (codes.nnz() > 0) {
            float min = Float.MAX_VALUE;
            for (float v : codes.val) {
                min = Math.min(min, v);
            }
            batchThreshold = batchThreshold < 0 ? min : 0.99f * batchThreshold + 0.01f * min;
        }
        return codes;
    }

    /** x_hat in the normalized space: latents W_dec + b_dec [N, C]. */
    float[] decodeNormalized(Codes z, boolean withBias) {
        float[] out = new float[z.rows * C];
        IntStream.range(0, z.rows).parallel().forEach(r -> {
            int o = r * C;
            if (withBias) {
                System.arraycopy(bDec, 0, out, o, C);
            }
            for (int e = z.start[r]; e < z.start[r + 1]; e++) {
                float v = z.val[e];
                int w = z.idx[e] * C;
                for (int c = 0; c < C; c++) {
                    out[o + c] += v * wDec[w + c];
                }
            }
        });
        return out;
    }

    /** Latents of raw activations x [N, C] (inference). */
    public Codes encode(float[] x, int n) {
        checkRows(x, n);
        return activate(preActivations(centered(x, n, false), n), n, false);
    }

    /** Reconstruction of raw activations from latents, in the raw space [N, C]. */
    public float[] decode(Codes z) {
        float[] out = decodeNormalized(z, true);
        float inv = (float) (1 / cfg.normScale());
        if (inv != 1f) {
            for (int i = 0; i < out.length; i++) {
                out[i] *= inv;
            }
        }
        return out;
    }

    /** decode(encode(x)). */
    public float[] reconstruct(float[] x, int n) {
        return decode(encode(x, n));
    }

    private void checkRows(float[] x, int n) {
        if (x.length != (long) n * C) {
            throw new IllegalArgumentException("SAE input must be [" + n + ", " + C + "] (" + ((long) n * C) + " floats), got " + x.length);
        }
    }

    // ---- persistence ----

    /** Writes {@code sae.safetensors} (W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec, threshold) and cfg.json. */
    public void save(Path dir) throws IOException {
        SaeFiles.save(this, dir);
    }

    /** Reads an SAE folder written by {@link #save}; tensor shapes must match its cfg.json. */
    public static Sae load(Path dir) throws IOException {
        return SaeFiles.load(dir);
    }
}
