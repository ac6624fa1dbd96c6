package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Item 7: one Transformer used from several threads gives correct results or a clear exception, never wrong ones. */
class TransformerThreadSafetyTest {
    private static final int THREADS = 4;
    private static final int CALLS = 25;
    private static final Parameters PARAMS = Parameters.init(ModelConfig.gptNeo(61, 32, 2, 4, 64), 11);

    /** Different tokens per thread, one shape: every forward reuses the same activation buffers. */
    private static int[][] input(int thread) {
        SplittableRandom r = new SplittableRandom(100 + thread);
        int[][] ids = new int[2][24];
        for (int[] row : ids) {
            for (int i = 0; i < row.length; i++) {
                row[i] = r.nextInt(61);
            }
        }
        return ids;
    }

    private static float[] reference(int thread) {
        return new Transformer(PARAMS).forward(input(thread), null).dup().data().asFloat();
    }

    private static boolean same(float[] want, float[] got) {
        if (want.length != got.length) {
            return false;
        }
        for (int i = 0; i < want.length; i++) {
            if (Math.abs(want[i] - got[i]) > 1e-4f * (1 + Math.abs(want[i]))) {
                return false;
            }
        }
        return true;
    }

    /** Outcome counts of THREADS threads each running CALLS forwards of their own input on {@code model(thread)}. */
    private static int[] hammer(java.util.function.IntFunction<Transformer> model) throws Exception {
        float[][] want = new float[THREADS][];
        for (int t = 0; t < THREADS; t++) {
            want[t] = reference(t);
        }
        AtomicInteger correct = new AtomicInteger();
        AtomicInteger wrong = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicReference<Throwable> other = new AtomicReference<>();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int me = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < CALLS; i++) {
                        try {
                            float[] got = model.apply(me).forward(input(me), null).dup().data().asFloat();
                            (same(want[me], got) ? correct : wrong).incrementAndGet();
                        } catch (ConcurrentModificationException e) {
                            assertTrue(e.getMessage().contains("not thread-safe") && e.getMessage().contains("one instance per thread"),
                                    e.getMessage());
                            refused.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    other.set(e);
                }
            }, "forward-" + t);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        if (other.get() != null) {
            throw new AssertionError("unexpected failure in a thread", other.get());
        }
        return new int[] {correct.get(), wrong.get(), refused.get()};
    }

    @Test
    void fourThreadsOnOneModelGetCorrectLogitsOrAClearErrorNeverWrongOnes() throws Exception {
        Transformer shared = new Transformer(PARAMS);
        int[] n = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> hammer(t -> shared));
        System.out.printf("4 threads x %d forwards on one model: %d correct, %d wrong, %d refused%n", CALLS, n[0], n[1], n[2]);
        assertEquals(0, n[1], "silently wrong results");
        assertEquals(THREADS * CALLS, n[0] + n[2]);
        assertTrue(n[0] >= CALLS, "the owner's calls all run");
    }

    @Test
    void oneInstancePerThreadSharingTheWeightsIsCorrect() throws Exception {
        Transformer[] models = new Transformer[THREADS];
        for (int t = 0; t < THREADS; t++) {
            models[t] = new Transformer(PARAMS);
        }
        int[] n = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> hammer(t -> models[t]));
        assertEquals(THREADS * CALLS, n[0], "all correct: " + n[0] + " correct, " + n[1] + " wrong, " + n[2] + " refused");
    }

    @Test
    void aBackwardFromAnotherThreadThanTheForwardIsRefusedWhileTheOwnerLives() throws Exception {
        Transformer m = new Transformer(PARAMS);
        CountDownLatch ranForward = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread owner = new Thread(() -> {
            m.forward(input(0), null);
            ranForward.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "owner");
        owner.start();
        ranForward.await();
        int[][] labels = input(0);
        try {
            ConcurrentModificationException e = assertThrows(ConcurrentModificationException.class, () -> m.loss(labels, true));
            assertTrue(e.getMessage().contains("'owner'") && e.getMessage().contains("'" + Thread.currentThread().getName() + "'"),
                    e.getMessage());
            assertThrows(ConcurrentModificationException.class, () -> m.forward(input(1), null));
            assertThrows(ConcurrentModificationException.class, m::release, "only the owner releases");
        } finally {
            done.countDown();
            owner.join();
        }
        // The owner has ended: the model passes to this thread.
        assertTrue(same(reference(1), m.forward(input(1), null).dup().data().asFloat()));
    }

    @Test
    void releaseHandsTheModelToAnotherThread() throws Exception {
        Transformer m = new Transformer(PARAMS);
        m.forward(input(2), null);
        m.release();
        AtomicReference<float[]> got = new AtomicReference<>();
        Thread other = new Thread(() -> got.set(m.forward(input(3), null).dup().data().asFloat()));
        other.start();
        other.join();
        assertTrue(same(reference(3), got.get()));
    }

    @Test
    void aWaitingThreadGetsTheModelSoonAfterALiveOwnerReleasesIt() throws Exception {
        Transformer m = new Transformer(PARAMS);
        java.util.concurrent.CountDownLatch owned = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread owner = new Thread(() -> {
            m.forward(input(2), null);
            owned.countDown();
            try {
                Thread.sleep(100);
                m.release();                     // released while this thread stays alive
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        owner.start();
        owned.await();
        long t0 = System.nanoTime();
        float[] got = m.forward(input(3), null).dup().data().asFloat();
        long waited = (System.nanoTime() - t0) / 1_000_000;
        done.countDown();
        owner.join();
        assertTrue(same(reference(3), got));
        // before: the waiter slept in join() until its 1 s deadline although the model was free after 100 ms
        assertTrue(waited < 600, "waited " + waited + " ms for a model released after 100 ms");
    }
}
