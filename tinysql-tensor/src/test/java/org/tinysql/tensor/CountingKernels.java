package org.tinysql.tensor;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The CPU kernels behind a proxy that counts the bytes the backend allocates ({@link Kernels#zeros} and
 * {@link Kernels#zerosInt}): every buffer of a model, its slabs included, comes from there, so a pass that leaves
 * the count unchanged allocated no off-heap memory for its activations.
 */
public final class CountingKernels {
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong calls = new AtomicLong();
    private final Kernels kernels;

    public CountingKernels() {
        Kernels cpu = new CpuKernels();
        kernels = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
                (proxy, method, args) -> {
                    Object out;
                    try {
                        out = method.invoke(cpu, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().startsWith("zeros") && out instanceof INDArray a) {
                        bytes.addAndGet(a.length() * a.dataType().width());
                        calls.incrementAndGet();
                    }
                    return out;
                });
    }

    /** The counting backend. */
    public Kernels kernels() {
        return kernels;
    }

    /** Bytes allocated through {@link #kernels()} so far. */
    public long bytes() {
        return bytes.get();
    }

    /** Allocations through {@link #kernels()} so far. */
    public long calls() {
        return calls.get();
    }
}
