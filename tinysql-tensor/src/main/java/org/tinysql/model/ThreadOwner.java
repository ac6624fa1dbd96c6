package org.tinysql.model;

import java.util.ConcurrentModificationException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Confines a {@link Transformer} to one thread at a time. A forward pass leaves its activations, and the logits it
 * returns, in buffers of the model that a later loss or backward (and the caller reading the logits) still needs, so
 * the model belongs to the thread that ran it until that thread {@link #release releases} it or ends; a call from
 * another thread meanwhile would silently mix two threads' activations. Such a call waits up to {@link #WAIT_MILLIS}
 * for the owner to release the model or end (a worker thread that is just shutting down) and then throws.
 */
final class ThreadOwner {
    /** How long a call from another thread waits for the owner thread to end before it throws. */
    static final long WAIT_MILLIS = 1000;
    /** How often a waiting call looks whether the owner has released the model (or ended). */
    static final long SLICE_MILLIS = 5;

    private final AtomicReference<Thread> owner = new AtomicReference<>();

    /** Makes the current thread the owner, or throws if another live thread owns the model. */
    void claim() {
        Thread me = Thread.currentThread();
        Thread o = owner.get();
        if (o == me) {
            return;
        }
        long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
        while (true) {
            if ((o == null || !o.isAlive()) && owner.compareAndSet(o, me)) {
                return;
            }
            o = owner.get();
            if (o == null || !o.isAlive()) {
                continue;
            }
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw inUse(o, me);
            }
            try {
                // in slices, so that a release() by a live owner is seen within SLICE_MILLIS, not at the deadline
                o.join(Math.min(left, SLICE_MILLIS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw inUse(o, me);
            }
        }
    }

    /** Gives the model up so that another thread may use it; only the owner (or anyone, if none) may. */
    void release() {
        Thread me = Thread.currentThread();
        Thread o = owner.get();
        if (o != null && o != me && o.isAlive()) {
            throw inUse(o, me);
        }
        owner.compareAndSet(o, null);
    }

    private static ConcurrentModificationException inUse(Thread owner, Thread caller) {
        return new ConcurrentModificationException("Transformer is not thread-safe: it belongs to thread '" + owner.getName()
                + "' (its activations and last logits live in the model), and thread '" + caller.getName()
                + "' called it; use one instance per thread (new Transformer(model.parameters()) shares the weights),"
                + " or call release() on '" + owner.getName() + "' when it is done with the model");
    }
}
