package org.tinysql.tokenizer;

import java.util.Arrays;

/** A binary min-heap of longs (no boxing): the BPE merge queue, keyed {@code rank << 32 | position}. */
final class LongMinHeap {
    private long[] a;
    private int n;

    /** A heap of the first {@code count} values of {@code values} (taken over, not copied), built in O(count). */
    LongMinHeap(long[] values, int count) {
        a = values.length >= 4 ? values : Arrays.copyOf(values, 4);
        n = count;
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(i, a[i]);
        }
    }

    boolean isEmpty() {
        return n == 0;
    }

    void push(long v) {
        if (n == a.length) {
            a = Arrays.copyOf(a, n * 2);
        }
        int i = n++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (a[parent] <= v) {
                break;
            }
            a[i] = a[parent];
            i = parent;
        }
        a[i] = v;
    }

    /** Removes and returns the smallest value; the heap must not be empty. */
    long pop() {
        long top = a[0];
        long last = a[--n];
        if (n > 0) {
            siftDown(0, last);
        }
        return top;
    }

    /** Places {@code v} at {@code i} or below, moving smaller children up. */
    private void siftDown(int i, long v) {
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && a[child + 1] < a[child]) {
                child++;
            }
            if (a[child] >= v) {
                break;
            }
            a[i] = a[child];
            i = child;
        }
        a[i] = v;
    }
}
