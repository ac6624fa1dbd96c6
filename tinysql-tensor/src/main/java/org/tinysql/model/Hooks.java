package org.tinysql.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Forward and backward hooks by hook point name. A forward hook sees an activation in its TransformerLens shape
 * (e.g. [B,T,C], [B,T,H,D], [B,H,T,T]); it may edit it in place or return a replacement of the same shape (returning
 * null or the argument keeps it). A backward hook sees the gradient of the loss (or metric) with respect to that
 * activation and may likewise replace it. Adding returns a {@link Handle} whose close() removes the hook, so
 * try-with-resources scopes a hook to a block.
 */
public final class Hooks {

    /** A forward hook. */
    @FunctionalInterface
    public interface Forward {
        /**
         * Sees (and may edit in place) an activation during the forward pass.
         * @param activation the activation in its TransformerLens shape, a view of the pass's buffer
         * @param name the hook point's name
         * @return a replacement of the same shape, or null (or {@code activation}) to keep it
         */
        INDArray apply(INDArray activation, String name);
    }

    /**
     * A forward hook that knows where in the sequence its activation starts, so that it can also run when decoding with
     * the KV cache, where each pass holds only the new positions [start, start + T) of the padded sequence. A full
     * forward pass calls it with start 0. {@link Generator} decodes with the cache only while every registered forward
     * hook is one of these (a plain {@link Forward} would see a one-position activation as if it were the whole
     * sequence), and otherwise runs the whole prefix each step.
     */
    @FunctionalInterface
    public interface PositionalForward extends Forward {
        /**
         * Sees (and may edit in place) an activation during the forward pass.
         * @param activation the activation in its TransformerLens shape, a view of the pass's buffer
         * @param name the hook point's name
         * @param start the position (in the padded sequence) of the activation's first time row: 0 for a full pass
         * @return a replacement of the same shape, or null (or {@code activation}) to keep it
         */
        INDArray apply(INDArray activation, String name, int start);

        @Override
        default INDArray apply(INDArray activation, String name) {
            return apply(activation, name, 0);
        }
    }

    /** A backward hook. */
    @FunctionalInterface
    public interface Backward {
        /**
         * Sees (and may edit in place) the gradient of an activation during the backward pass.
         * @param gradient the gradient, shaped like the activation, a view of the pass's buffer
         * @param name the hook point's name
         * @return a replacement of the same shape, or null (or {@code gradient}) to keep it
         */
        INDArray apply(INDArray gradient, String name);
    }

    /** Removes its hook when closed. */
    public interface Handle extends AutoCloseable {
        @Override
        void close();
    }

    private final ModelConfig cfg;
    private final java.util.Set<String> points;
    private final Map<String, List<Forward>> forward = new HashMap<>();
    private final Map<String, List<Backward>> backward = new HashMap<>();

    Hooks(ModelConfig cfg) {
        this.cfg = cfg;
        this.points = HookPoints.dims(cfg).keySet();
    }

    private void check(String name) {
        if (!points.contains(name)) {
            HookPoints.check(cfg, name);
        }
    }

    /**
     * Registers a forward hook until its handle is closed (hooks of one point run in registration order).
     * @param name the hook point (see {@link HookName}); must exist in the model
     * @param hook the hook
     * @return the handle that removes the hook
     */
    public Handle addForward(String name, Forward hook) {
        check(name);
        forward.computeIfAbsent(name, k -> new ArrayList<>()).add(hook);
        return () -> remove(forward, name, hook);
    }

    /**
     * Registers a backward hook until its handle is closed (hooks of one point run in registration order).
     * @param name the hook point (see {@link HookName}); must exist in the model
     * @param hook the hook
     * @return the handle that removes the hook
     */
    public Handle addBackward(String name, Backward hook) {
        check(name);
        backward.computeIfAbsent(name, k -> new ArrayList<>()).add(hook);
        return () -> remove(backward, name, hook);
    }

    private static <T> void remove(Map<String, List<T>> m, String name, T hook) {
        List<T> l = m.get(name);
        if (l != null) {
            l.remove(hook);
            if (l.isEmpty()) {
                m.remove(name);
            }
        }
    }

    /** Removes every forward and backward hook (their handles then do nothing). */
    public void clear() {
        forward.clear();
        backward.clear();
    }

    /**
     * Whether every registered forward hook is a {@link PositionalForward}, so that decoding with the KV cache runs them
     * as a full pass would (true when none is registered).
     * @return whether cached decoding keeps the hooks' meaning
     */
    public boolean decodable() {
        for (List<Forward> l : forward.values()) {
            for (Forward f : l) {
                if (!(f instanceof PositionalForward)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether a forward or backward hook is registered on an attention array (scores or pattern) of any layer. */
    boolean readsAttention() {
        return forward.keySet().stream().anyMatch(HookName::isAttentionArray)
                || backward.keySet().stream().anyMatch(HookName::isAttentionArray);
    }

    /** Whether no hook is registered. */
    boolean isEmpty() {
        return forward.isEmpty() && backward.isEmpty();
    }

    boolean hasForward(String name) {
        return forward.containsKey(name);
    }

    boolean hasBackward(String name) {
        return backward.containsKey(name);
    }

    /**
     * Runs the forward hooks of {@code name} on {@code view}, whose first time row is position {@code start} of the
     * sequence; the result is copied into the view if replaced.
     */
    void fireForward(String name, INDArray view, int start) {
        List<Forward> l = forward.get(name);
        if (l == null) {
            return;
        }
        for (Forward f : List.copyOf(l)) {
            INDArray out = f instanceof PositionalForward pf ? pf.apply(view, name, start) : f.apply(view, name);
            replace(name, view, out);
        }
    }

    void fireBackward(String name, INDArray view) {
        List<Backward> l = backward.get(name);
        if (l == null) {
            return;
        }
        for (Backward b : List.copyOf(l)) {
            INDArray out = b.apply(view, name);
            replace(name, view, out);
        }
    }

    private static void replace(String name, INDArray view, INDArray out) {
        if (out == null || out == view) {
            return;
        }
        if (!java.util.Arrays.equals(out.shape(), view.shape())) {
            throw new IllegalArgumentException("hook on '" + name + "' returned shape " + java.util.Arrays.toString(out.shape())
                    + ", expected " + java.util.Arrays.toString(view.shape()));
        }
        view.assign(out);
    }
}
