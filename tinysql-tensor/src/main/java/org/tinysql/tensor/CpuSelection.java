package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;
import static org.tinysql.tensor.Buffers.ib;
import static org.tinysql.tensor.CpuParallel.rowChunks;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Which latents of pre-activations [N, S] fire, written as CSR codes (start [N+1], idx and val): the k largest
 * positive values per row (a min-heap per row; among equal values the earlier latent stays; values below the k-th
 * largest of the rows' 16-value block maxima are skipped unseen), the values above a
 * per-latent or scalar threshold, and BatchTopK's cut over a whole batch (quickselect with a fixed pivot sequence).
 * Each row's entries are in increasing latent order.
 */
final class CpuSelection {

    private CpuSelection() {
    }

    static int topK(INDArray pre, int k, INDArray allowed, INDArray start, INDArray idx, INDArray val) {
        int n = (int) pre.size(0);
        int s = (int) (pre.length() / Math.max(1, n));
        boolean[] ok = null;
        if (allowed != null) {
            float[] a = CpuArrays.get(allowed);
            ok = new boolean[s];
            for (int j = 0; j < s; j++) {
                ok[j] = a[j] != 0;
            }
        }
        boolean[] allow = ok;
        int[] ri = new int[n * k];
        float[] rv = new float[n * k];
        int[] cnt = new int[n];
        FloatBuffer pb = fb(pre);
        int blocks = s / BLOCK;
        boolean prefilter = allow == null && blocks >= 2 * k;
        rowChunks(n, (from, to) -> {
            float[] row = new float[s];
            float[] hv = new float[k];
            int[] hi = new int[k];
            float[] blockMax = new float[blocks];
            VectorMath vm = VectorMath.get();
            for (int r = from; r < to; r++) {
                pb.get(r * s, row);
                int size;
                if (prefilter) {
                    // At least k values are >= the k-th largest block maximum, so no value below it is among the k
                    // largest: the heap sees only values >= it (in latent order, as the full scan would), and the
                    // selection is the full scan's exactly. Random rows of 1920 latents: ~2 of 16-17 us per row.
                    for (int bl = 0; bl < blocks; bl++) {
                        blockMax[bl] = vm.max(row, bl * BLOCK, BLOCK);
                    }
                    float cut = kthLargest(blockMax, blocks, k, hv, hi);
                    if (Float.isNaN(cut)) {
                        cut = -Float.MAX_VALUE; // NaN pre-activations: every block, as the full scan
                    }
                    size = 0;
                    for (int bl = 0; bl < blocks; bl++) {
                        if (!(blockMax[bl] < cut) && !(blockMax[bl] <= 0)) { // NaN blocks too
                            size = offer(row, bl * BLOCK, (bl + 1) * BLOCK, cut, null, hv, hi, size, k);
                        }
                    }
                    size = offer(row, blocks * BLOCK, s, cut, null, hv, hi, size, k);
                } else {
                    size = offer(row, 0, s, -Float.MAX_VALUE, allow, hv, hi, 0, k);
                }
                Arrays.sort(hi, 0, size);
                for (int e = 0; e < size; e++) {
                    ri[r * k + e] = hi[e];
                    rv[r * k + e] = row[hi[e]];
                }
                cnt[r] = size;
            }
        });
        return compact(ri, rv, k, cnt, start, idx, val);
    }

    /** Block of the top-k prefilter: each block's largest value bounds the block's entries. */
    private static final int BLOCK = 16;

    /**
     * Offers row[from, to) in order to the min-heap of the best k (value, index) of {@code size} entries: positive
     * values >= {@code atLeast} whose latent is allowed; a later equal value does not displace an earlier one.
     * @return the heap's new size
     */
    private static int offer(float[] row, int from, int to, float atLeast, boolean[] allow, float[] hv, int[] hi, int size, int k) {
        for (int j = from; j < to; j++) {
            float v = row[j];
            if (v <= 0 || v < atLeast || (allow != null && !allow[j])) { // NaN is offered, as the full scan offers it
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
        return size;
    }

    /** The k-th largest of v[0, n) (n >= k), with hv and hi (k entries) as scratch. */
    private static float kthLargest(float[] v, int n, int k, float[] hv, int[] hi) {
        for (int i = 0; i < k; i++) {
            hv[i] = v[i];
            hi[i] = i;
            siftUp(hv, hi, i);
        }
        for (int i = k; i < n; i++) {
            if (v[i] > hv[0]) {
                hv[0] = v[i];
                hi[0] = i;
                siftDown(hv, hi, k);
            }
        }
        return hv[0];
    }

    /** Writes per-row results (row r at r * width, cnt[r] entries) as CSR; returns nnz. */
    private static int compact(int[] ri, float[] rv, int width, int[] cnt, INDArray start, INDArray idx, INDArray val) {
        int n = cnt.length;
        int[] st = new int[n + 1];
        for (int r = 0; r < n; r++) {
            st[r + 1] = st[r] + cnt[r];
        }
        int nnz = st[n];
        checkCapacity(idx, val, nnz);
        if (nnz != n * width) {
            for (int r = 0; r < n; r++) {
                System.arraycopy(ri, r * width, ri, st[r], cnt[r]);
                System.arraycopy(rv, r * width, rv, st[r], cnt[r]);
            }
        }
        ib(start).put(0, st);
        ib(idx).put(0, ri, 0, nnz);
        fb(val).put(0, rv, 0, nnz);
        return nnz;
    }

    private static void checkCapacity(INDArray idx, INDArray val, int nnz) {
        if (idx.length() < nnz || val.length() < nnz) {
            throw new IllegalArgumentException("sparse codes: " + nnz + " entries do not fit in idx/val of " + idx.length() + "/"
                    + val.length());
        }
    }

    static int selectAbove(INDArray pre, INDArray th, float scalar, INDArray start, INDArray idx, INDArray val) {
        int n = (int) pre.size(0);
        int s = (int) (pre.length() / Math.max(1, n));
        float[] t = new float[s];
        if (th != null) {
            fb(th).get(0, t);
        } else {
            Arrays.fill(t, scalar);
        }
        int[][] ri = new int[n][];
        float[][] rv = new float[n][];
        FloatBuffer pb = fb(pre);
        rowChunks(n, (from, to) -> {
            float[] row = new float[s];
            int[] ix = new int[s];
            for (int r = from; r < to; r++) {
                pb.get(r * s, row);
                int c = 0;
                for (int j = 0; j < s; j++) {
                    if (row[j] > t[j]) {
                        ix[c++] = j;
                    }
                }
                float[] v = new float[c];
                for (int e = 0; e < c; e++) {
                    v[e] = row[ix[e]];
                }
                ri[r] = Arrays.copyOf(ix, c);
                rv[r] = v;
            }
        });
        int[] st = new int[n + 1];
        for (int r = 0; r < n; r++) {
            st[r + 1] = st[r] + ri[r].length;
        }
        int nnz = st[n];
        ib(start).put(0, st);
        if (idx.length() < nnz || val.length() < nnz) {
            return nnz; // the caller grows idx and val and asks again
        }
        IntBuffer ixb = ib(idx);
        FloatBuffer vb = fb(val);
        for (int r = 0; r < n; r++) {
            ixb.put(st[r], ri[r]);
            vb.put(st[r], rv[r]);
        }
        return nnz;
    }

    static float[] kthLargestPositive(INDArray a, int k) {
        float[] all = CpuArrays.get(a);
        int m = 0;
        for (float v : all) {
            if (v > 0) {
                all[m++] = v;
            }
        }
        float[] pos = Arrays.copyOf(all, m);
        float cut = m <= k ? 0f : select(pos, m - k);
        float min = Float.MAX_VALUE;
        for (float v : pos) {
            if (v > cut) {
                min = Math.min(min, v);
            }
        }
        return new float[] {cut, min};
    }

    /**
     * The heap's order: by value, and among equal values the later latent is the smaller, so that the heap keeps the k
     * largest (value, earlier latent first) whatever order and subset of the other entries it was offered.
     */
    private static boolean less(float[] v, int[] ix, int a, int b) {
        return v[a] < v[b] || (v[a] == v[b] && ix[a] > ix[b]);
    }

    private static void siftUp(float[] v, int[] ix, int i) {
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!less(v, ix, i, p)) {
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
            if (l < size && less(v, ix, l, m)) {
                m = l;
            }
            if (l + 1 < size && less(v, ix, l + 1, m)) {
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

    /** The value that would be at index {@code k} of the sorted array (quickselect; reorders a). */
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
}
