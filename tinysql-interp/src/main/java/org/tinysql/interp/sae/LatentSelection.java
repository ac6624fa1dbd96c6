package org.tinysql.interp.sae;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Which latents fire: the sparse codes of pre-activations [N, S] (N rows, S = d_sae) above a per-latent threshold,
 * the k largest per row (TopK), and the quickselect BatchTopK uses for its cut over the whole batch.
 */
final class LatentSelection {

    private LatentSelection() {
    }

    /** The threshold of latent j. */
    @FunctionalInterface
    interface Threshold {
        float of(int latent);
    }

    /** Per row, the pre-activations above their latent's threshold. */
    static Codes above(float[] pre, int n, int S, Threshold th) {
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
}
