package org.tinysql.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What one run of a model should do besides the forward pass: which activations to keep ({@link #cache}), which
 * activations' gradients a later backward should keep ({@link #grads}), forward edits active for this run only
 * ({@link #edit}), logits for some rows only ({@link #logitRows}) and whether the backward accumulates parameter
 * gradients. {@link Transformer#run(RunSpec)} returns the {@link ActivationCache}.
 *
 * <pre>
 * try (ActivationCache c = model.run(RunSpec.of(tokens, mask).cache(HookName.z(0), HookName.residPost(1))
 *         .grads(name -&gt; name.endsWith("hook_resid_pre")).logitRows(rows))) {
 *     INDArray z0 = c.get(HookName.z(0));
 *     c.backward(dLogits);
 *     INDArray g = c.grad(HookName.residPre(0));
 * }
 * </pre>
 */
public final class RunSpec {
    private final int[][] tokens;
    private final int[][] mask;
    private int[][] positions;
    private Predicate<String> cache = name -> false;
    private Predicate<String> grads = name -> false;
    private final Map<String, List<Hooks.Forward>> edits = new LinkedHashMap<>();
    private final Map<String, List<Hooks.Backward>> gradEdits = new LinkedHashMap<>();
    private int[] logitRows;
    private boolean parameterGradients;

    private RunSpec(int[][] tokens, int[][] mask) {
        this.tokens = tokens;
        this.mask = mask;
    }

    /**
     * A run over token ids [B][T] with an attention mask [B][T] (null: all ones).
     * @param tokens the token ids [B][T], each in [0, V); not copied
     * @param mask the mask [B][T] (0 padding, else the sequence number within the row), or null for all ones
     * @return a new spec that caches nothing
     */
    public static RunSpec of(int[][] tokens, int[][] mask) {
        return new RunSpec(tokens, mask);
    }

    /**
     * Explicit position ids [B][T] (default 0..T-1).
     * @param positions the position ids [B][T], or null for 0..T-1 in every row; not copied
     * @return this spec
     */
    public RunSpec positions(int[][] positions) {
        this.positions = positions;
        return this;
    }

    /**
     * Keeps the activations whose hook names pass {@code filter} (in addition to earlier calls).
     * @param filter selects hook names (see {@link HookName}) to cache
     * @return this spec
     */
    public RunSpec cache(Predicate<String> filter) {
        this.cache = this.cache.or(filter);
        return this;
    }

    /**
     * Keeps these activations.
     * @param names hook names (see {@link HookName}) to cache
     * @return this spec
     */
    public RunSpec cache(String... names) {
        Set<String> s = Set.of(names);
        return cache(s::contains);
    }

    /**
     * Keeps the gradients of the activations whose hook names pass {@code filter} when the backward runs.
     * @param filter selects hook names (see {@link HookName}) whose gradients to keep
     * @return this spec
     */
    public RunSpec grads(Predicate<String> filter) {
        this.grads = this.grads.or(filter);
        return this;
    }

    /**
     * Keeps these activations' gradients.
     * @param names hook names (see {@link HookName}) whose gradients to keep
     * @return this spec
     */
    public RunSpec grads(String... names) {
        Set<String> s = Set.of(names);
        return grads(s::contains);
    }

    /**
     * Edits activation {@code name} during this run (before it is cached): the hook may change the activation in place
     * or return a replacement, as a {@link Hooks.Forward} does.
     * @param name the hook point to edit
     * @param edit the forward hook that edits it
     * @return this spec
     */
    public RunSpec edit(String name, Hooks.Forward edit) {
        edits.computeIfAbsent(name, k -> new ArrayList<>()).add(edit);
        return this;
    }

    /**
     * Edits the gradient of {@code name} during this run's backward (before it is kept).
     * @param name the hook point whose gradient to edit
     * @param edit the backward hook that edits it
     * @return this spec
     */
    public RunSpec editGrad(String name, Hooks.Backward edit) {
        gradEdits.computeIfAbsent(name, k -> new ArrayList<>()).add(edit);
        return this;
    }

    /**
     * Logits of these flat rows b*T + t only (the rest stay zero; the backward reads only these rows); an empty array
     * skips the unembedding (a run for activations only).
     * @param rows the flat row indices b*T + t, or null for every row; copied
     * @return this spec
     */
    public RunSpec logitRows(int[] rows) {
        this.logitRows = rows == null ? null : rows.clone();
        return this;
    }

    /**
     * Whether the backward accumulates parameter gradients into {@link Transformer#gradients()} (default false).
     * @param on true to accumulate parameter gradients in the backward
     * @return this spec
     */
    public RunSpec parameterGradients(boolean on) {
        this.parameterGradients = on;
        return this;
    }

    int[][] tokens() {
        return tokens;
    }

    int[][] mask() {
        return mask;
    }

    int[][] positions() {
        return positions;
    }

    boolean caches(String name) {
        return cache.test(name);
    }

    boolean keepsGrad(String name) {
        return grads.test(name);
    }

    Map<String, List<Hooks.Forward>> edits() {
        return edits;
    }

    Map<String, List<Hooks.Backward>> gradEdits() {
        return gradEdits;
    }

    int[] logitRows() {
        return logitRows;
    }

    boolean parameterGradients() {
        return parameterGradients;
    }

    @Override
    public String toString() {
        return "RunSpec[" + tokens.length + "x" + tokens[0].length + ", edits " + edits.keySet() + ", logit rows "
                + (logitRows == null ? "all" : Arrays.toString(logitRows)) + "]";
    }
}
