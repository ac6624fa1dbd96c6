package org.tinysql.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class DeadlineRunnerTest {

    /** Work that ignores interrupts, like a Java regular expression: only abandoning its thread bounds the wait. */
    private static long spinIgnoringInterrupts(AtomicBoolean stop) {
        long n = 0;
        while (!stop.get()) {
            n++;
        }
        return n;
    }

    @Test
    void anUninterruptibleTaskIsAbandonedAtTheDeadlineAndTheNextTaskRuns() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean cancelled = new AtomicBoolean();
        try (DeadlineRunner runner = new DeadlineRunner("test-worker")) {
            long t0 = System.nanoTime();
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThrows(TimeoutException.class,
                    () -> runner.run(() -> spinIgnoringInterrupts(stop), 300, () -> cancelled.set(true))));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 2_000, "waited " + ms + " ms for a 300 ms deadline");
            assertTrue(cancelled.get(), "the timeout hook ran");
            // The abandoned task is still spinning; the next task gets a fresh worker and runs at once.
            assertEquals(42, assertTimeoutPreemptively(Duration.ofSeconds(5), () -> runner.run(() -> 42, 1_000, () -> { })));
        } finally {
            stop.set(true);
        }
    }

    @Test
    void errorsOfTheTaskComeBackAsTheCause() {
        try (DeadlineRunner runner = new DeadlineRunner("test-worker")) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> runner.run(() -> {
                throw new StackOverflowError();
            }, 1_000, () -> { }));
            assertTrue(e.getCause() instanceof StackOverflowError);
        }
    }
}
