package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;
import static org.tinysql.tensor.Buffers.ib;
import static org.tinysql.tensor.CpuParallel.rowChunks;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Which latents of pre-activations [N, S] fire, written as CSR codes (start [N+1], idx and val): the k largest
 * positive values per row (among equal values the earlier latent; wide rows select among the values >= the k-th largest
 * of their 16-value block maxima, narrow or masked rows through a min-heap), the values above a
 * per-latent or scalar threshold, and BatchTopK's cut over a whole batch (quickselect with a fixed pivot sequence).
 * Each row's entries are in increasing latent order.
 */
final class CpuSelection {

    private CpuSelection() {
    }

    static int topK(INDArray pre, int k, INDArray allowed, INDArray start, INDArray idx, INDArray val) {
        int n = (int) pre.size(0);
        int s = (int) (pre.length() / Math.max(1, n));
        int[] allow = allowed == null ? null : nonZero(CpuArrays.get(allowed)); // AuxK's dead latents: usually a few
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
            BlockScratch w = prefilter ? new BlockScratch(s, blocks) : null;
            VectorMath vm = VectorMath.get();
            for (int r = from; r < to; r++) {
                pb.get(r * s, row);
                int size = prefilter ? topKByBlocks(row, s, k, vm, w, hi) : -1;
                if (size < 0) { // no prefilter, or a row with NaN: the heap's full scan
                    size = heapTopK(row, s, allow, hv, hi, k);
                    Arrays.sort(hi, 0, size);
                }
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

    /** The indices of the non-zero entries of a, in order. */
    private static int[] nonZero(float[] a) {
        int m = 0;
        int[] list = new int[a.length];
        for (int j = 0; j < a.length; j++) {
            if (a[j] != 0) {
                list[m++] = j;
            }
        }
        return Arrays.copyOf(list, m);
    }

    /**
     * Offers the row's latents in order (all s of them, or only those of {@code list}, increasing) to the min-heap of
     * the best k (value, index): the positive values; a later equal value does not displace an earlier one.
     * @return the heap's size
     */
    private static int heapTopK(float[] row, int s, int[] list, float[] hv, int[] hi, int k) {
        int size = 0;
        int n = list == null ? s : list.length;
        for (int i = 0; i < n; i++) {
            int j = list == null ? i : list[i];
            size = offer(row[j], j, hv, hi, size, k);
        }
        return size;
    }

    private static int offer(float v, int j, float[] hv, int[] hi, int size, int k) {
        if (v <= 0) { // NaN is offered, as before
            return size;
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
        return size;
    }

    /** Per-thread scratch of {@link #topKByBlocks}: block maxima and the candidates. */
    private static final class BlockScratch {
        final float[] blockMax;
        final float[] cv;
        final int[] ci;

        BlockScratch(int s, int blocks) {
            blockMax = new float[blocks];
            cv = new float[s];
            ci = new int[s];
        }
    }

    /**
     * The k largest positive values of a row (s >= 2k blocks of 16), exactly as the heap's full scan selects them, in
     * increasing latent order into {@code out}. At least k values are >= the k-th largest block maximum, so only values
     * >= it can win: those are the candidates (in latent order, typically k to 2k of them); the k-th largest candidate
     * value decides, and among values equal to it the earlier latents. Returns the count, or -1 for a row with NaN
     * (the heap decides those, as before).
     */
    private static int topKByBlocks(float[] row, int s, int k, VectorMath vm, BlockScratch w, int[] out) {
        int blocks = s / BLOCK;
        float[] bm = w.blockMax;
        for (int bl = 0; bl < blocks; bl++) {
            float m = vm.max(row, bl * BLOCK, BLOCK); // Math.max semantics: a NaN in the block makes the maximum NaN
            if (m != m) {
                return -1;
            }
            bm[bl] = m;
        }
        for (int j = blocks * BLOCK; j < s; j++) {
            if (row[j] != row[j]) {
                return -1;
            }
        }
        // at least k values are >= the k-th largest positive block maximum (or, with fewer than k positive maxima, every
        // positive value is a candidate)
        float cut = vm.countAtLeast(bm, 0, blocks, Float.MIN_VALUE) >= k ? kthLargest(bm, blocks, k, vm) : Float.MIN_VALUE;
        float[] cv = w.cv;
        int[] ci = w.ci;
        int m = 0;
        for (int bl = 0; bl < blocks; bl++) {
            if (bm[bl] >= cut) {
                m = candidates(row, bl * BLOCK, (bl + 1) * BLOCK, cut, cv, ci, m);
            }
        }
        m = candidates(row, blocks * BLOCK, s, cut, cv, ci, m);
        if (m <= k) {
            System.arraycopy(ci, 0, out, 0, m);
            return m;
        }
        float t = kthLargest(cv, m, k, vm);
        int ties = k;
        for (int e = 0; e < m; e++) {
            if (cv[e] > t) {
                ties--;
            }
        }
        int c = 0;
        for (int e = 0; e < m; e++) {
            if (cv[e] > t || (cv[e] == t && ties-- > 0)) {
                out[c++] = ci[e];
            }
        }
        return c;
    }

    /**
     * The k-th largest of v[0, n) when at least k of them are positive and none is NaN: the largest positive float t
     * with at least k values >= t, found by bisection over the bit patterns of positive floats (ordered as the floats
     * are), each step a vector count; no branch depends on the data, unlike a quickselect.
     */
    private static float kthLargest(float[] v, int n, int k, VectorMath vm) {
        int lo = Float.floatToRawIntBits(Float.MIN_VALUE); // count(>= lo) >= k holds
        int hi = Float.floatToRawIntBits(vm.max(v, 0, n)); // the answer is <= the maximum
        while (lo < hi) {
            int mid = lo + (hi - lo + 1) / 2;
            if (vm.countAtLeast(v, 0, n, Float.intBitsToFloat(mid)) >= k) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return Float.intBitsToFloat(lo);
    }

    /** Appends the values >= cut (> 0) of row[from, to) and their latents at m; returns the new count. */
    private static int candidates(float[] row, int from, int to, float cut, float[] cv, int[] ci, int m) {
        for (int j = from; j < to; j++) {
            float v = row[j];
            if (v >= cut) {
                cv[m] = v;
                ci[m++] = j;
            }
        }
        return m;
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

    /** The value that would be at index {@code k} of the sorted array (quickselect, median-of-three pivots; reorders a). */
    static float select(float[] a, int k) {
        int lo = 0;
        int hi = a.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            float x = a[lo], y = a[mid], z = a[hi];
            float pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
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
