package org.tinysql.interp.sae;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tinysql.interp.eap.GraphExport;
import org.tinysql.tensor.Blas;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.SafeTensors;

/**
 * A sparse autoencoder: pre = (x s - b_dec) W_enc^T + b_enc; latents = activation(pre); x_hat = (latents W_dec +
 * b_dec) / s, with s the config's norm scale. Weights are heap arrays (W_enc and W_dec both [S, C], row j is latent
 * j); the encoder runs as one GEMM, the rest (activation, decoder, backward) uses the sparsity of the latents.
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
                return topK(pre, n, cfg.k(), null);
            case BATCH_TOPK:
                if (training || batchThreshold < 0) {
                    return training ? batchTopK(pre, n) : topK(pre, n, cfg.k(), null);
                }
                return above(pre, n, j -> batchThreshold);
            case RELU:
                return above(pre, n, j -> 0f);
            default:
                return above(pre, n, j -> (float) Math.exp(logThreshold[j]));
        }
    }

    interface Threshold {
        float of(int latent);
    }

    private Codes above(float[] pre, int n, Threshold th) {
        int[][] ri = new int[n][];
        float[][] rv = new float[n][];
        float[] t = new float[S];
        for (int j = 0; j < S; j++) {
            t[j] = th.of(j);
        }
        IntStream.range(0, n).parallel().forEach(r -> {
            int o = r * S;
            int cnt = 0;
            for (int j = 0; j < S; j++) {
                if (pre[o + j] > t[j]) {
                    cnt++;
                }
            }
            int[] idx = new int[cnt];
            float[] val = new float[cnt];
            int e = 0;
            for (int j = 0; j < S; j++) {
                if (pre[o + j] > t[j]) {
                    idx[e] = j;
                    val[e++] = pre[o + j];
                }
            }
            ri[r] = idx;
            rv[r] = val;
        });
        return Codes.of(ri, rv);
    }

    /** Per row, the k largest positive pre-activations (only latents with allowed[j], when given). */
    static Codes topK(float[] pre, int n, int k, boolean[] allowed) {
        int s = pre.length / Math.max(1, n);
        int[][] ri = new int[n][];
        float[][] rv = new float[n][];
        IntStream.range(0, n).parallel().forEach(r -> {
            int o = r * s;
            // Min-heap of the best k (value, index).
            float[] hv = new float[k];
            int[] hi = new int[k];
            int size = 0;
            for (int j = 0; j < s; j++) {
                float v = pre[o + j];
                if (v <= 0 || (allowed != null && !allowed[j])) {
                    continue;
                }
                if (size < k) {
                    hv[size] = v;
                    hi[size] = j;
                    siftUp(hv, hi, size++);
                } else if (v > hv[0]) {
                    hv[0] = v;
                    hi[0] = j;
                    siftDown(hv, hi, size);
                }
            }
            int[] idx = Arrays.copyOf(hi, size);
            Arrays.sort(idx);
            float[] val = new float[size];
            for (int e = 0; e < size; e++) {
                val[e] = pre[o + idx[e]];
            }
            ri[r] = idx;
            rv[r] = val;
        });
        return Codes.of(ri, rv);
    }

    private static void siftUp(float[] v, int[] ix, int i) {
        while (i > 0) {
            int p = (i - 1) / 2;
            if (v[p] <= v[i]) {
                return;
            }
            swap(v, ix, p, i);
            i = p;
        }
    }

    private static void siftDown(float[] v, int[] ix, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            int m = i;
            if (l < size && v[l] < v[m]) {
                m = l;
            }
            if (l + 1 < size && v[l + 1] < v[m]) {
                m = l + 1;
            }
            if (m == i) {
                return;
            }
            swap(v, ix, m, i);
            i = m;
        }
    }

    private static void swap(float[] v, int[] ix, int a, int b) {
        float t = v[a];
        v[a] = v[b];
        v[b] = t;
        int u = ix[a];
        ix[a] = ix[b];
        ix[b] = u;
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
            cut = select(copy, m - want);
        }
        float c = cut;
        Codes codes = above(pre, n, j -> c);
        if (codes.nnz() > 0) {
            float min = Float.MAX_VALUE;
            for (float v : codes.val) {
                min = Math.min(min, v);
            }
            batchThreshold = batchThreshold < 0 ? min : 0.99f * batchThreshold + 0.01f * min;
        }
        return codes;
    }

    /** The value that would be at index {@code k} of the sorted array (quickselect; reorders a). Entries > it: n-k-1. */
    static float select(float[] a, int k) {
        int lo = 0;
        int hi = a.length - 1;
        Random r = new Random(a.length);
        while (lo < hi) {
            float pivot = a[lo + r.nextInt(hi - lo + 1)];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return a[k];
            }
        }
        return a[k];
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
        Files.createDirectories(dir);
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put("W_enc", Buffers.of(wEnc, S, C).transpose().dup('c'));
        t.put("W_dec", Buffers.of(wDec, S, C));
        t.put("b_enc", Buffers.of(bEnc, S));
        t.put("b_dec", Buffers.of(bDec, C));
        if (logThreshold != null) {
            float[] th = new float[S];
            for (int j = 0; j < S; j++) {
                th[j] = (float) Math.exp(logThreshold[j]);
            }
            t.put("threshold", Buffers.of(th, S));
        } else if (batchThreshold >= 0) {
            t.put("threshold", Buffers.of(new float[] {batchThreshold}, 1));
        }
        SafeTensors.write(dir.resolve("sae.safetensors"), t, DType.F32, Map.of("format", "tinysql-sae"));
        GraphExport.write(dir.resolve("cfg.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(cfg.toJson()));
    }

    public static Sae load(Path dir) throws IOException {
        Path cfgFile = dir.resolve("cfg.json");
        if (!Files.exists(cfgFile)) {
            throw new IOException("no cfg.json in " + dir + " (an SAE folder has cfg.json and sae.safetensors)");
        }
        SaeConfig cfg = SaeConfig.fromJson(new ObjectMapper().readTree(cfgFile.toFile()), cfgFile.toString());
        Map<String, INDArray> t = SafeTensors.readAll(dir.resolve("sae.safetensors"));
        Sae s = new Sae(cfg);
        copy(t, "W_enc", new long[] {cfg.dIn(), cfg.dSae()}, null, dir);
        float[] we = Buffers.toFloats(t.get("W_enc").transpose().dup('c'));
        System.arraycopy(we, 0, s.wEnc, 0, we.length);
        copy(t, "W_dec", new long[] {cfg.dSae(), cfg.dIn()}, s.wDec, dir);
        copy(t, "b_enc", new long[] {cfg.dSae()}, s.bEnc, dir);
        copy(t, "b_dec", new long[] {cfg.dIn()}, s.bDec, dir);
        if (s.logThreshold != null) {
            float[] th = new float[cfg.dSae()];
            copy(t, "threshold", new long[] {cfg.dSae()}, th, dir);
            for (int j = 0; j < th.length; j++) {
                s.logThreshold[j] = (float) Math.log(th[j]);
            }
        } else if (t.containsKey("threshold")) {
            s.batchThreshold = t.get("threshold").getFloat(0);
        }
        return s;
    }

    private static void copy(Map<String, INDArray> t, String name, long[] shape, float[] into, Path dir) {
        INDArray a = t.get(name);
        if (a == null) {
            throw new IllegalArgumentException(dir + "/sae.safetensors: missing tensor '" + name + "'");
        }
        if (!Arrays.equals(a.shape(), shape)) {
            throw new IllegalArgumentException(dir + "/sae.safetensors: tensor '" + name + "' has shape " + Arrays.toString(a.shape())
                    + ", cfg.json implies " + Arrays.toString(shape));
        }
        if (into != null) {
            Buffers.fb(a).get(0, into);
        }
    }
}
