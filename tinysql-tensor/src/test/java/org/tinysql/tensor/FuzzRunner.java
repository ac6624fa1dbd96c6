package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs fuzz inputs one at a time with a per-input time limit and sorts the outcomes: clear errors (the documented
 * exception type with a message the caller accepts), accepted inputs (checked by the caller's oracle), crashes (any
 * other exception or error), hangs, silent acceptances (an input that must fail but loaded, or loaded wrongly), wrong
 * rejections (a harmless input that must load) and unclear errors.
 */
public final class FuzzRunner {
    /**
     * One input: {@code attempt} loads it and returns normally if it was accepted with a correct result (checked with
     * JUnit assertions, whose failure counts as a silent acceptance).
     */
    public record Input(String kind, Expect expect, Attempt attempt) {
    }

    /** What an input must do. */
    public enum Expect {
        /** Be rejected with a clear error. */
        FAIL,
        /** Load correctly (a harmless mutation). */
        LOAD,
        /** Either. */
        EITHER
    }

    /** Loads one input and checks what was accepted; throws when the input is rejected. */
    @FunctionalInterface
    public interface Attempt {
        void load() throws Exception;
    }

    /** Decides whether a rejection is a clear error. */
    @FunctionalInterface
    public interface ErrorCheck {
        boolean isClear(Throwable t);
    }

    private final String name;
    private final long limitMillis;
    private int errors;
    private int accepted;
    private final List<String> crashes = new ArrayList<>();
    private final List<String> hangs = new ArrayList<>();
    private final List<String> silent = new ArrayList<>();
    private final List<String> unclear = new ArrayList<>();
    private final List<String> wronglyRejected = new ArrayList<>();

    public FuzzRunner(String name, long limitMillis) {
        this.name = name;
        this.limitMillis = limitMillis;
    }

    /** Runs all inputs, prints the one-line summary and asserts 0 crashes, hangs, silent acceptances and unclear errors. */
    public void run(List<Input> inputs, ErrorCheck check) throws InterruptedException {
        ExecutorService pool = Executors.newSingleThreadExecutor(FuzzRunner::daemon);
        try {
            for (int i = 0; i < inputs.size(); i++) {
                Input in = inputs.get(i);
                String id = "#" + i + " " + in.kind();
                Future<?> f = pool.submit(() -> {
                    in.attempt().load();
                    return null;
                });
                try {
                    f.get(limitMillis, TimeUnit.MILLISECONDS);
                    accepted++;
                    if (in.expect() == Expect.FAIL) {
                        silent.add(id);
                    }
                } catch (TimeoutException e) {
                    f.cancel(true);
                    hangs.add(id);
                    pool.shutdownNow();
                    pool = Executors.newSingleThreadExecutor(FuzzRunner::daemon);
                } catch (ExecutionException e) {
                    classify(id, e.getCause(), check);
                    if (in.expect() == Expect.LOAD) {
                        wronglyRejected.add(id + ": " + e.getCause());
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        String summary = String.format(Locale.ROOT, "fuzz %s: %d inputs, %d clear errors, %d accepted, %d crashes, %d hangs,"
                + " %d silently accepted, %d wrongly rejected, %d unclear errors", name, inputs.size(), errors, accepted, crashes.size(),
                hangs.size(), silent.size(), wronglyRejected.size(), unclear.size());
        System.out.println(summary);
        assertEquals(List.of(), crashes, "crashes");
        assertEquals(List.of(), hangs, "hangs");
        assertEquals(List.of(), silent, "must-fail inputs that were accepted");
        assertEquals(List.of(), wronglyRejected, "harmless inputs that were rejected");
        assertEquals(List.of(), unclear, "unclear errors");
    }

    private void classify(String id, Throwable t, ErrorCheck check) {
        if (t instanceof AssertionError) {
            silent.add(id + ": accepted with a wrong result: " + t.getMessage());
        } else if (!(t instanceof Exception)) {
            crashes.add(id + ": " + t);
        } else if (check.isClear(t)) {
            errors++;
        } else if (t instanceof RuntimeException) {
            crashes.add(id + ": " + t);
        } else {
            unclear.add(id + ": " + t);
        }
    }

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r, "fuzz");
        t.setDaemon(true);
        return t;
    }
}
