package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tinysql.tensor.InterpKernelsTest.random;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The kernels of sparse autoencoders (selection into CSR codes, the sparse decoder and its backward, row norms, the
 * JumpReLU threshold gradient, AdamW and the broadcast helpers) against plain Java loops on the same values.
 */
class SparseKernelsTest {
    private final Kernels k = new CpuKernels();

    /** Codes as lists: per row, its (latent, value) entries. */
    private record Csr(int[] start, int[] idx, float[] val) {
    }

    private Csr read(INDArray start, INDArray idx, INDArray val, int nnz) {
        int[] st = new int[(int) start.length()];
        Buffers.ib(start).get(0, st);
        int[] ix = new int[nnz];
        Buffers.ib(idx).get(0, ix, 0, nnz);
        float[] v = new float[nnz];
        Buffers.fb(val).get(0, v, 0, nnz);
        return new Csr(st, ix, v);
    }

    /** Reference TopK: sort each row's allowed positive values by value descending, then latent ascending. */
    private static List<Integer> topRow(float[] pre, int r, int s, int kk, boolean[] allowed) {
        List<Integer> c = new ArrayList<>();
        for (int j = 0; j < s; j++) {
            if (pre[r * s + j] > 0 && (allowed == null || allowed[j])) {
                c.add(j);
            }
        }
        c.sort((a, b) -> pre[r * s + a] != pre[r * s + b] ? Float.compare(pre[r * s + b], pre[r * s + a]) : Integer.compare(a, b));
        List<Integer> top = new ArrayList<>(c.subList(0, Math.min(kk, c.size())));
        top.sort(null);
        return top;
    }

    @Test
    void topKOfWideRowsSkipsBlocksAndStillEqualsTheFullSelection() {
        // wide enough (12 blocks of 16 and a tail of 8 for k = 5) for the block-maximum prefilter
        Random r = new Random(2);
        int n = 300, s = 200, kk = 5;
        float[] pre = random(r, n * s);
        for (int j = 0; j < s; j += 7) {
            pre[3 * s + j] = 1.5f; // ties at the boundary, spread over the blocks
        }
        for (int j = 0; j < s; j++) {
            pre[4 * s + j] = j >= 192 ? 3f + j : -1f; // the winners all in the tail
            pre[5 * s + j] = j % 16 == 0 ? 2f : 0.5f; // one tied maximum per block
            pre[6 * s + j] = 1f; // all tied
            pre[8 * s + j] = (float) r.nextGaussian() * 1e-3f + (j < 100 ? 5f : 0f); // the first half wins
        }
        assertTopK(pre, n, s, kk, null);
        // an SAE's shape: 1920 latents, k = 32, mostly negative rows with a few strong latents and ties among them
        int wide = 1920, k32 = 32, rows = 40;
        float[] sae = new float[rows * wide];
        for (int i = 0; i < sae.length; i++) {
            sae[i] = (float) r.nextGaussian() - 1.5f;
        }
        for (int j = 0; j < wide; j += 37) {
            sae[2 * wide + j] = 4f; // 52 tied winners for 32 places
        }
        assertTopK(sae, rows, wide, k32, null);
    }

    /** k.topK of pre [n, s] (latents limited to {@code allowed} unless null) equals the reference selection topRow. */
    private void assertTopK(float[] pre, int n, int s, int kk, boolean[] allowed) {
        INDArray mask = null;
        if (allowed != null) {
            float[] m = new float[s];
            for (int j = 0; j < s; j++) {
                m[j] = allowed[j] ? 1 : 0;
            }
            mask = Buffers.of(m, s);
        }
        INDArray start = k.zerosInt(n + 1), idx = k.zerosInt(n * kk), val = k.zeros(n * kk);
        int nnz = k.topK(Buffers.of(pre, n, s), kk, mask, start, idx, val);
        Csr c = read(start, idx, val, nnz);
        int e = 0;
        for (int row = 0; row < n; row++) {
            assertEquals(e, c.start()[row], "row " + row);
            for (int j : topRow(pre, row, s, kk, allowed)) {
                assertEquals(j, c.idx()[e], "row " + row);
                assertEquals(pre[row * s + j], c.val()[e++], 0f);
            }
        }
        assertEquals(nnz, e);
        assertEquals(nnz, c.start()[n]);
    }

    @Test
    void topKKeepsTheLargestPositiveValuesAndTheLowerLatentOnTies() {
        Random r = new Random(1);
        int n = 70, s = 40, kk = 5;
        float[] pre = random(r, n * s);
        for (int j = 0; j < s; j += 3) {
            pre[7 * s + j] = 1.5f; // a row of ties
        }
        for (int j = 0; j < s; j++) {
            pre[9 * s + j] = j < 3 ? 2f : -1f; // fewer positive values than k
        }
        boolean[] allowed = new boolean[s];
        for (int j = 0; j < s; j++) {
            allowed[j] = j % 4 != 1;
        }
        assertTopK(pre, n, s, kk, null);
        assertTopK(pre, n, s, kk, allowed);
    }

    @Test
    void selectAboveWritesTheEntriesOverTheThresholdAndAsksForRoom() {
        Random r = new Random(2);
        int n = 40, s = 30;
        float[] pre = random(r, n * s);
        float[] th = new float[s];
        for (int j = 0; j < s; j++) {
            th[j] = 0.1f * (j % 7);
        }
        for (boolean perLatent : new boolean[] {false, true}) {
            INDArray start = k.zerosInt(n + 1);
            INDArray small = k.zerosInt(3);
            int nnz = k.selectAbove(Buffers.of(pre, n, s), perLatent ? Buffers.of(th, s) : null, 0.3f, start, small, k.zeros(3));
            assertTrue(nnz > 3, "needs more room than given");
            INDArray idx = k.zerosInt(nnz), val = k.zeros(nnz);
            assertEquals(nnz, k.selectAbove(Buffers.of(pre, n, s), perLatent ? Buffers.of(th, s) : null, 0.3f, start, idx, val));
            Csr c = read(start, idx, val, nnz);
            int e = 0;
            for (int row = 0; row < n; row++) {
                assertEquals(e, c.start()[row]);
                for (int j = 0; j < s; j++) {
                    if (pre[row * s + j] > (perLatent ? th[j] : 0.3f)) {
                        assertEquals(j, c.idx()[e]);
                        assertEquals(pre[row * s + j], c.val()[e++], 0f);
                    }
                }
            }
            assertEquals(nnz, e);
        }
    }

    @Test
    void kthLargestPositiveIsTheCutOfABatch() {
        float[] a = {3, -1, 5, 0, 2, 2, 7, 1};
        // Positive values sorted descending: 7 5 3 2 2 1. The cut is the k-th largest (3 for k = 3: 7 and 5 are above it,
        // and the smallest of them is 5); with at most k positive values it is 0 and every positive value is kept.
        assertArrayEquals(new float[] {3, 5}, k.kthLargestPositive(Buffers.of(a, 2, 4), 3), 0f);
        assertArrayEquals(new float[] {2, 3}, k.kthLargestPositive(Buffers.of(a, 2, 4), 5), 0f);
        assertArrayEquals(new float[] {0, 1}, k.kthLargestPositive(Buffers.of(a, 2, 4), 6), 0f);
        float[] none = {-1, 0};
        assertArrayEquals(new float[] {0, Float.MAX_VALUE}, k.kthLargestPositive(Buffers.of(none, 2), 1), 0f);
    }

    /** Random CSR codes over n rows and s latents (some rows empty). */
    private static Csr randomCodes(Random r, int n, int s) {
        int[] start = new int[n + 1];
        List<Integer> ix = new ArrayList<>();
        List<Float> v = new ArrayList<>();
        for (int row = 0; row < n; row++) {
            int cnt = row % 5 == 0 ? 0 : 1 + r.nextInt(4);
            for (int q = 0; q < cnt; q++) {
                ix.add(r.nextInt(s));
                v.add(r.nextFloat() + 0.1f);
            }
            start[row + 1] = ix.size();
        }
        float[] val = new float[v.size()];
        for (int i = 0; i < val.length; i++) {
            val[i] = v.get(i);
        }
        return new Csr(start, ix.stream().mapToInt(Integer::intValue).toArray(), val);
    }

    private INDArray ints(int[] a) {
        INDArray d = k.zerosInt(Math.max(1, a.length));
        Buffers.ib(d).put(0, a);
        return d;
    }

    @Test
    void sparseDecodeDotsAndOuterProductsMatchDenseLoops() {
        Random r = new Random(3);
        int n = 75, s = 20, c = 6;
        Csr z = randomCodes(r, n, s);
        float[] w = random(r, s * c);
        float[] bias = random(r, c);
        float[] a = random(r, n * c);
        float[] add = random(r, s);
        INDArray st = ints(z.start()), ix = ints(z.idx()), val = Buffers.of(z.val(), z.val().length);
        INDArray out = k.zeros(n, c);
        k.sparseDecode(st, ix, val, Buffers.of(w, s, c), Buffers.of(bias, c), out);
        float[] dec = Buffers.toFloats(out);
        int nnz = z.idx().length;
        INDArray dots = k.zeros(nnz);
        k.sparseDots(st, ix, Buffers.of(a, n, c), Buffers.of(w, s, c), Buffers.of(add, s), 0.5f, dots);
        float[] dv = Buffers.toFloats(dots);
        float[] dw0 = random(r, s * c);
        INDArray dw = Buffers.of(dw0.clone(), s, c);
        INDArray colsum = k.zeros(s);
        k.sparseOuter(st, ix, val, Buffers.of(a, n, c), dw, colsum);
        float[] dwGot = Buffers.toFloats(dw);
        float[] csGot = Buffers.toFloats(colsum);
        float[] dwWant = dw0.clone();
        float[] csWant = new float[s];
        for (int row = 0; row < n; row++) {
            float[] acc = bias.clone();
            for (int e = z.start()[row]; e < z.start()[row + 1]; e++) {
                int j = z.idx()[e];
                float dot = 0;
                for (int i = 0; i < c; i++) {
                    acc[i] += z.val()[e] * w[j * c + i];
                    dot += a[row * c + i] * w[j * c + i];
                    dwWant[j * c + i] += z.val()[e] * a[row * c + i];
                }
                csWant[j] += z.val()[e];
                // SIMD dot products add lane-wise partial sums: the same value to rounding
                assertEquals(dot + 0.5f * add[j], dv[e], 1e-6f * (1 + Math.abs(dot)), "dot of entry " + e);
            }
            for (int i = 0; i < c; i++) {
                assertEquals(acc[i], dec[row * c + i], 0f, "decoded row " + row);
            }
        }
        assertArrayEquals(dwWant, dwGot, 1e-5f);
        assertArrayEquals(csWant, csGot, 1e-5f);
    }

    @Test
    void rowNormsTheirGradientAndNormalization() {
        Random r = new Random(4);
        int s = 50, c = 7;
        float[] w = random(r, s * c);
        java.util.Arrays.fill(w, 3 * c, 4 * c, 0f); // a zero row
        float[] g = random(r, s);
        INDArray norms = k.zeros(s);
        k.rowNorms(Buffers.of(w, s, c), norms);
        float[] nv = Buffers.toFloats(norms);
        INDArray dw = k.zeros(s, c);
        k.rowNormsBackward(Buffers.of(w, s, c), norms, Buffers.of(g, s), 2f, dw);
        float[] dv = Buffers.toFloats(dw);
        INDArray wn = Buffers.of(w.clone(), s, c);
        k.normalizeRows(wn, 1e-12);
        float[] unit = Buffers.toFloats(wn);
        for (int j = 0; j < s; j++) {
            double q = 0;
            for (int i = 0; i < c; i++) {
                q += w[j * c + i] * w[j * c + i];
            }
            assertEquals((float) Math.sqrt(q), nv[j], 0f);
            float inv = (float) (1 / Math.max(Math.sqrt(q), 1e-12));
            for (int i = 0; i < c; i++) {
                assertEquals(q > 0 ? 2f * g[j] / nv[j] * w[j * c + i] : 0f, dv[j * c + i], 1e-5f);
                assertEquals(w[j * c + i] * inv, unit[j * c + i], 0f);
            }
        }
    }

    @Test
    void scaleAddRowExpAndAdamW() {
        Random r = new Random(5);
        int n = 300, c = 50; // several row chunks and element blocks
        float[] x = random(r, n * c);
        float[] row = random(r, c);
        INDArray out = k.zeros(n, c);
        k.scaleAddRow(Buffers.of(x, n, c), 1.7f, Buffers.of(row, c), -1f, out);
        float[] got = Buffers.toFloats(out);
        k.scaleAddRow(Buffers.of(x, n, c), 0.25f, null, 0f, out);
        float[] scaled = Buffers.toFloats(out);
        k.exp(Buffers.of(x, n, c), out);
        float[] ex = Buffers.toFloats(out);
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i] * 1.7f - row[i % c], got[i], 0f);
            assertEquals(0.25f * x[i], scaled[i], 0f);
            assertEquals((float) Math.exp(x[i]), ex[i], 3e-7f * (float) Math.exp(x[i])); // within 2 ulp (VectorMath)
        }
        int len = 20_000;
        float[] p = random(r, len), g = random(r, len), m = random(r, len), v = new float[len];
        for (int i = 0; i < len; i++) {
            v[i] = Math.abs(g[i]);
        }
        INDArray pd = Buffers.of(p.clone(), len), md = Buffers.of(m.clone(), len), vd = Buffers.of(v.clone(), len);
        AdamStep step = AdamStep.of(1e-3, 0.9, 0.999, 1e-8, 0.01, 3);
        k.adamW(pd, Buffers.of(g, len), md, vd, step);
        float[] pg = Buffers.toFloats(pd);
        double bc1 = 1 - Math.pow(0.9, 3), bc2 = 1 - Math.pow(0.999, 3);
        for (int i = 0; i < len; i++) {
            double mi = 0.9 * m[i] + 0.1 * g[i];
            double vi = 0.999 * v[i] + 0.001 * g[i] * g[i];
            double want = p[i] - 1e-3 * 0.01 * p[i] - 1e-3 / bc1 * mi / (Math.sqrt(vi) / Math.sqrt(bc2) + 1e-8);
            assertEquals(want, pg[i], 1e-5 * Math.max(1, Math.abs(want)));
        }
    }

    @Test
    void jumpReluThresholdGradientSumsTheWindowEntries() {
        Random r = new Random(6);
        int n = 20, s = 70, c = 5; // more latents than one task
        float[] pre = random(r, n * s);
        float[] th = new float[s];
        for (int j = 0; j < s; j++) {
            th[j] = 0.2f + 0.01f * j;
        }
        float[] dout = random(r, n * c);
        float[] w = random(r, s * c);
        float eps = 0.5f;
        double l0 = 0.03;
        float[] g0 = random(r, s);
        INDArray g = Buffers.of(g0.clone(), s);
        k.jumpReluThresholdBackward(Buffers.of(pre, n, s), Buffers.of(th, s), eps, Buffers.of(dout, n, c), Buffers.of(w, s, c), l0, g);
        float[] got = Buffers.toFloats(g);
        for (int j = 0; j < s; j++) {
            double sum = 0;
            for (int row = 0; row < n; row++) {
                if (Math.abs(pre[row * s + j] - th[j]) < eps / 2) {
                    double dl = 0;
                    for (int i = 0; i < c; i++) {
                        dl += dout[row * c + i] * (double) w[j * c + i];
                    }
                    sum += -(th[j] / eps) * dl - l0;
                }
            }
            assertEquals(g0[j] + sum * th[j], got[j], 1e-4 * Math.max(1, Math.abs(sum)));
        }
    }
}
