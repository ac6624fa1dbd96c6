package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.ArrayPool;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.CpuKernels;

/** Freeing a model's buffers (and a pool's released arrays) gives the memory back and leaves both usable. */
class FreeBuffersTest {

    @Test
    void aModelRunsTheSameAfterFreeingItsBuffers() {
        Transformer m = new Transformer(Parameters.init(CacheReuseTest.CFG, 3));
        int[][] ids = CacheReuseTest.ids(1);
        float[] before = Buffers.toFloats(m.forward(ids, null));
        try (ActivationCache c = m.run(RunSpec.of(ids, null).cache(HookName.z(1)))) {
            assertTrue(c.get(HookName.z(1)).length() > 0);
        }
        m.freeBuffers();
        assertArrayEquals(before, Buffers.toFloats(m.forward(ids, null)), 0f);
        m.freeBuffers();
        m.freeBuffers(); // twice in a row is fine
        assertArrayEquals(before, Buffers.toFloats(m.forward(CacheReuseTest.ids(1), null)), 0f);
    }

    @Test
    void aClearedPoolClosesWhatItHeldAndAllocatesAfresh() {
        ArrayPool pool = new ArrayPool(new CpuKernels());
        INDArray a = pool.take(4, 8);
        pool.give(a);
        assertEquals(4 * 8 * 4, pool.bytes());
        pool.clear();
        assertEquals(0, pool.bytes());
        assertTrue(a.wasClosed(), "the released array's memory is freed");
        INDArray b = pool.take(4, 8);
        assertTrue(b != a && !b.wasClosed());
        pool.give(b);
        assertEquals(4 * 8 * 4, pool.bytes());
    }
}
