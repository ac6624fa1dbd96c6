package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Slab arenas: carved views behave as plain arrays, rewinding reuses the memory, and the slab grows when it must. */
class SlabTest {

    static long address(INDArray a) {
        return a.data().address() + a.offset() * a.dataType().width();
    }

    static float[] ramp(int n, float from) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = from + i * 0.25f;
        }
        return f;
    }

    @Test
    void aRoundThatRepeatsTheLastGetsTheSameViewsBackStillCorrectlyZeroed() {
        CpuKernels k = new CpuKernels();
        try (Arena arena = Arena.slab(k)) {
            arena.carve(64);
            arena.rewind();
            INDArray a = arena.carve(2, 3);
            INDArray b = arena.zeros(4);
            Buffers.fb(a).put(0, ramp(6, 1f));
            Buffers.fb(b).put(0, ramp(4, 9f));
            arena.rewind();
            INDArray a2 = arena.carve(2, 3);
            INDArray b2 = arena.zeros(4);
            assertTrue(a2 == a && b2 == b, "the same views, no new ND4J objects (decoding carves these every step)");
            assertArrayEquals(ramp(6, 1f), Buffers.toFloats(a2), "carve keeps the memory's values");
            assertArrayEquals(new float[4], Buffers.toFloats(b2), "zeros clears the reused view");
            arena.rewind();
            INDArray other = arena.carve(3, 2);
            assertTrue(other != a && other.shape()[0] == 3 && address(other) == address(a), "another shape, another view");
            assertTrue(arena.carve(4) == b, "where a zeroed array of this shape was: its view, carve or zeros alike");
        }
    }

    @Test
    void theViewMemoIsBoundedAndForgottenWhenTheSlabGrows() {
        CpuKernels k = new CpuKernels();
        try (Arena arena = Arena.slab(k)) {
            arena.carve(Slab.MAX_VIEWS + 16);
            arena.rewind();
            for (int i = 1; i <= Slab.MAX_VIEWS + 8; i++) {
                arena.rewind();
                INDArray v = arena.carve(1, i); // a new shape each round: the memo starts again past its bound
                assertEquals(i, v.length());
            }
            arena.rewind();
            INDArray small = arena.carve(8);
            arena.carve(10 * (Slab.MAX_VIEWS + 16)); // overflows: the next rewind replaces the chunks
            arena.rewind();
            INDArray again = arena.carve(8);
            assertTrue(again != small, "views of freed chunks are never handed out again");
            Buffers.fb(again).put(0, ramp(8, 2f));
            assertArrayEquals(ramp(8, 2f), Buffers.toFloats(again));
        }
    }

    @Test
    void carvedViewsAreDenseDisjointArraysTheKernelsHandle() {
        CpuKernels k = new CpuKernels();
        try (Arena arena = Arena.slab(k)) {
            arena.carve(100);
            arena.rewind(); // the slab now holds the first round, so these views have offsets
            INDArray pad = arena.carve(5);
            INDArray a = arena.carve(3, 4);
            INDArray b = arena.carve(5, 4);
            INDArray c = arena.carve(3, 5);
            assertTrue(a.offset() > 0 && c.offset() > b.offset(), "views of one slab at increasing offsets");
            assertEquals('c', c.ordering());
            Buffers.fb(a).put(0, ramp(12, 1f));
            Buffers.fb(b).put(0, ramp(20, -2f));
            Buffers.fb(pad).put(0, ramp(5, 100f));
            k.gemm(a, b, c, false, true, 1f, 0f);
            INDArray want = Buffers.of(ramp(12, 1f), 3, 4).mmul(Buffers.of(ramp(20, -2f), 5, 4).transpose());
            assertArrayEquals(Buffers.toFloats(want.dup('c')), Buffers.toFloats(c), 1e-4f);
            assertArrayEquals(ramp(5, 100f), Buffers.toFloats(pad), "neighbours untouched");
            k.zero(a);
            assertArrayEquals(new float[12], Buffers.toFloats(a));
            assertArrayEquals(ramp(20, -2f), Buffers.toFloats(b), "zeroing one view leaves the next alone");
            assertArrayEquals(Buffers.toFloats(c), Buffers.toFloats(c.dup()), "ND4J ops honour the offset");
        }
    }

    @Test
    void rewoundRoundsReuseTheMemoryAndZerosAreZeros() {
        CountingKernels counting = new CountingKernels();
        try (Arena arena = Arena.slab(counting.kernels())) {
            for (long[] s : List.of(new long[] {4, 8}, new long[] {2, 3, 5}, new long[] {16})) {
                arena.carve(s);
            }
            arena.rewind(); // the first round overflowed: one slab for all of it, with room to grow
            long allocated = counting.bytes();
            List<List<Long>> addresses = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                List<INDArray> views = new ArrayList<>();
                views.add(arena.carve(round % 2 == 0 ? new long[] {4, 8} : new long[] {9, 3}));
                views.add(arena.zeros(2, 3, 5));
                views.add(arena.carve(16));
                assertArrayEquals(new float[30], Buffers.toFloats(views.get(1)), "zeros over memory an earlier round wrote");
                List<Long> at = new ArrayList<>();
                for (INDArray v : views) {
                    Buffers.fb(v).put(0, ramp((int) v.length(), round + 1f));
                    at.add(address(v));
                }
                addresses.add(at);
                arena.rewind();
            }
            assertEquals(allocated, counting.bytes(), "rounds that fit allocate nothing");
            assertEquals(addresses.get(0), addresses.get(2), "the same shapes land on the same memory");
            assertTrue(arena.bytes() < 2L * (32 + 30 + 16) * 4, "one slab: " + arena.bytes());
        }
    }

    @Test
    void aRoundThatDoesNotFitGrowsTheSlabGeometrically() {
        CountingKernels counting = new CountingKernels();
        Slab slab = new Slab(counting.kernels(), 100);
        slab.carve(new long[] {40}, false);
        slab.rewind();
        assertEquals(50, slab.capacity(), "the first round's demand and a quarter");
        for (long need : new long[] {60, 90, 150}) {
            for (int round = 0; round < 2; round++) {
                long before = counting.bytes();
                for (long len : new long[] {need / 2, need - need / 2}) {
                    INDArray a = slab.carve(new long[] {len}, true);
                    assertArrayEquals(new float[(int) len], Buffers.toFloats(a), need + " round " + round);
                    Buffers.fb(a).put(0, ramp((int) len, 1f)); // dirty memory for the next zeros
                }
                slab.rewind();
                if (round == 1) {
                    assertEquals(before, counting.bytes(), need + " floats fit after one rewind");
                }
            }
            assertTrue(slab.capacity() >= need, need + " floats: capacity " + slab.capacity());
        }
        long capacity = slab.capacity();
        slab.carve(new long[] {101}, false); // larger than a chunk: its own array each round, and no growth
        slab.rewind();
        assertEquals(capacity, slab.capacity());
        assertTrue(capacity <= 2 * 150, "chunks of at most 100 floats, grown by a quarter: " + capacity);
        slab.close();
        assertEquals(0, slab.bytes());
    }
}
