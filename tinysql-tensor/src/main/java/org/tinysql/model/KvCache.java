package org.tinysql.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Kernels;

/**
 * Key/value cache for incremental decoding: per layer keys and values [B, capacity, KV, D] (keys after RoPE when the
 * model rotates them), the key mask [B][capacity] and the number of filled positions. Made by
 * {@link Transformer#newCache(int, int)}; close it to free its memory now.
 */
public final class KvCache implements AutoCloseable {
    private final INDArray[] keys;
    private final INDArray[] values;
    /** The same memory as rows [B*capacity, KV*D], made once (a view costs microseconds per decoding step). */
    private final INDArray[] keyRows;
    private final INDArray[] valueRows;
    final int[][] keyMask;
    final int batch;
    private final int capacity;
    private int length;
    /** Cache rows (b * capacity + position) of the pass being run. */
    private int[] rows;

    KvCache(ModelConfig cfg, Kernels kernels, int batch, int capacity) {
        if (cfg.positions() == ModelConfig.Positions.LEARNED && capacity > cfg.maxPositions()) {
            throw new IllegalArgumentException("capacity " + capacity + " exceeds max_position_embeddings " + cfg.maxPositions());
        }
        this.batch = batch;
        this.capacity = capacity;
        keys = new INDArray[cfg.nLayers()];
        values = new INDArray[cfg.nLayers()];
        keyRows = new INDArray[cfg.nLayers()];
        valueRows = new INDArray[cfg.nLayers()];
        long width = (long) cfg.nKvHeads() * cfg.headDim();
        for (int i = 0; i < cfg.nLayers(); i++) {
            keys[i] = kernels.zeros(batch, capacity, cfg.nKvHeads(), cfg.headDim());
            values[i] = kernels.zeros(batch, capacity, cfg.nKvHeads(), cfg.headDim());
            keyRows[i] = keys[i].reshape('c', (long) batch * capacity, width);
            valueRows[i] = values[i].reshape('c', (long) batch * capacity, width);
        }
        keyMask = new int[batch][capacity];
    }

    /**
     * Filled positions.
     * @return the number of positions the cache holds so far
     */
    public int length() {
        return length;
    }

    /**
     * The most positions the cache can hold.
     * @return the capacity given at creation
     */
    public int capacity() {
        return capacity;
    }

    /** Starts a pass of {@code mask[B][Tq]} new tokens at the next positions. */
    void begin(int[][] mask) {
        int tq = mask[0].length;
        if (mask.length != batch) {
            throw new IllegalArgumentException("batch " + mask.length + " does not match the cache's " + batch);
        }
        if (length + tq > capacity) {
            throw new IllegalArgumentException("KV cache full: " + length + " + " + tq + " > " + capacity);
        }
        rows = new int[batch * tq];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < tq; t++) {
                keyMask[b][length + t] = mask[b][t];
                rows[b * tq + t] = b * capacity + length + t;
            }
        }
    }

    /** Writes this pass's keys and values [B*Tq, KV*D] of {@code layer} into the cache. */
    void append(Kernels kernels, int layer, INDArray k, INDArray v) {
        kernels.scatterRows(k, rows, keyRows[layer], false);
        kernels.scatterRows(v, rows, valueRows[layer], false);
    }

    /** Ends the pass: its positions count as filled. */
    void advance(int tq) {
        length += tq;
        rows = null;
    }

    /** Cached keys of a layer [B, capacity, KV, D]. */
    INDArray keys(int layer) {
        return keys[layer];
    }

    INDArray values(int layer) {
        return values[layer];
    }

    /** Positions of the cache before the pass being run (the queries' offset). */
    int offset() {
        return length;
    }

    /** Frees the cache's off-heap memory now. */
    @Override
    public void close() {
        for (int i = 0; i < keys.length; i++) {
            keys[i].close();
            values[i].close();
        }
    }
}
