package org.tinysql.sql;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time on a worker thread and stops waiting at a deadline. Some work cannot be interrupted
 * (a Java regular expression, a tight loop inside a library), so a task that overruns is abandoned: its thread is
 * interrupted and left to finish alone, and the next task gets a fresh worker. The caller's time is bounded even
 * when the task's is not. Workers are daemon threads with a large stack.
 */
final class DeadlineRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeadlineRunner.class);
    private static final long WORKER_STACK_BYTES = 16L << 20;

    private final String name;
    private ExecutorService worker;
    private int abandoned;

    DeadlineRunner(String name) {
        this.name = name;
        this.worker = newWorker();
    }

    /**
     * The task's result, or a {@link TimeoutException} once {@code millis} have passed; {@code onTimeout} runs
     * first (e.g. to cancel a query) and the worker is replaced.
     *
     * @throws ExecutionException with the task's exception or error as its cause
     */
    synchronized <T> T run(Callable<T> task, long millis, Runnable onTimeout) throws TimeoutException, ExecutionException {
        Future<T> f = worker.submit(task);
        try {
            return f.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            abandon(f, onTimeout);
            LOG.warn("{}: a task overran its {} ms deadline and was abandoned ({} so far)", name, millis, abandoned);
            throw e;
        } catch (InterruptedException e) {
            abandon(f, onTimeout);
            Thread.currentThread().interrupt();
            throw new ExecutionException("interrupted while waiting for the task", e);
        }
    }

    private void abandon(Future<?> f, Runnable onTimeout) {
        onTimeout.run();
        f.cancel(true);
        worker.shutdownNow();
        worker = newWorker();
        abandoned++;
    }

    private ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, name, WORKER_STACK_BYTES);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized void close() {
        worker.shutdownNow();
    }
}
