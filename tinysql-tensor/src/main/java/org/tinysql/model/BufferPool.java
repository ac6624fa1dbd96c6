package org.tinysql.model;

import java.util.LinkedHashMap;
import org.tinysql.tensor.Kernels;

/**
 * Activation buffers of recent batch shapes, most recently used last. Training on length-bucketed batches alternates
 * between a few sequence lengths and decoding between a prefill and single-token steps; re-allocating every buffer
 * at each change would cost more than the pass. Bounded by {@link #MAX_SHAPES} shapes and {@link #MAX_BYTES}.
 */
final class BufferPool implements AutoCloseable {
    static final int MAX_SHAPES = 16;
    static final long MAX_BYTES = 1L << 30;

    private record Shape(int batch, int time, int keys, boolean recompute) {
    }

    private final ModelConfig cfg;
    private final Kernels kernels;
    private final LinkedHashMap<Shape, ActivationBuffers> shapes = new LinkedHashMap<>(16, 0.75f, true);
    private boolean recompute;

    BufferPool(ModelConfig cfg, Kernels kernels) {
        this.cfg = cfg;
        this.kernels = kernels;
    }

    /** Whether new passes get buffers for activation recomputation (see {@link ActivationBuffers}). */
    void recompute(boolean on) {
        recompute = on;
    }

    /** The buffers for [b, t] over tk keys: reused when this shape ran recently, else allocated (evicting old ones). */
    ActivationBuffers get(int b, int t, int tk) {
        Shape key = new Shape(b, t, tk, recompute);
        ActivationBuffers a = shapes.get(key);
        if (a != null) {
            return a;
        }
        a = new ActivationBuffers(cfg, kernels, b, t, tk, recompute);
        shapes.put(key, a);
        long total = 0;
        for (ActivationBuffers x : shapes.values()) {
            total += x.bytes();
        }
        var it = shapes.values().iterator();
        while ((total > MAX_BYTES || shapes.size() > MAX_SHAPES) && it.hasNext()) {
            ActivationBuffers x = it.next();
            if (x != a) {
                total -= x.bytes();
                x.close();
                it.remove();
            }
        }
        return a;
    }

    @Override
    public void close() {
        shapes.values().forEach(ActivationBuffers::close);
        shapes.clear();
    }
}
