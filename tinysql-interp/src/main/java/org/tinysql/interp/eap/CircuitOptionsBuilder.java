package org.tinysql.interp.eap;

import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.Variant;
import org.tinysql.interp.Metric;

/**
 * Builds {@link CircuitDiscovery.Options} by name instead of 13 positional values; every setting starts at
 * {@link CircuitDiscovery.Options#defaults}: CS1 literal prompts, 64 pairs, seed 7, logit difference, plain EAP
 * (0 integrated-gradient steps), 16 pairs per batch, the top 50 edges, pruned, corrupt ablation, an 8-point
 * faithfulness curve.
 *
 * <pre>{@code
 * CircuitDiscovery.Options o = CircuitDiscovery.Options.builder(CorruptionKind.INSTRUCTION_TABLE)
 *         .commandSet(CommandSet.CS2).pairs(32).igSteps(5).topEdges(40).build();
 * }</pre>
 */
public final class CircuitOptionsBuilder {
    private CommandSet commandSet;
    private Variant variant;
    private CorruptionKind corruption;
    private int pairs;
    private long seed;
    private Metric.Kind metric;
    private int igSteps;
    private int batch;
    private Faithfulness.Selection selection;
    private int topEdges;
    private boolean prune;
    private CircuitRunner.Ablation ablation;
    private int curvePoints;

    CircuitOptionsBuilder(CircuitDiscovery.Options o) {
        commandSet = o.commandSet();
        variant = o.variant();
        corruption = o.corruption();
        pairs = o.pairs();
        seed = o.seed();
        metric = o.metric();
        igSteps = o.igSteps();
        batch = o.batchSize();
        selection = o.selection();
        topEdges = o.top();
        prune = o.prune();
        ablation = o.ablation();
        curvePoints = o.curvePoints();
    }

    /**
     * @param cs command set of the prompts
     * @return this builder
     */
    public CircuitOptionsBuilder commandSet(CommandSet cs) {
        commandSet = cs;
        return this;
    }

    /**
     * @param v literal or synonym prompts
     * @return this builder
     */
    public CircuitOptionsBuilder variant(Variant v) {
        variant = v;
        return this;
    }

    /**
     * @param kind what the corrupt prompt changes
     * @return this builder
     */
    public CircuitOptionsBuilder corruption(CorruptionKind kind) {
        corruption = kind;
        return this;
    }

    /**
     * @param n clean/corrupt prompt pairs, at least 1
     * @return this builder
     */
    public CircuitOptionsBuilder pairs(int n) {
        pairs = n;
        return this;
    }

    /**
     * @param s seed of the prompt pairs
     * @return this builder
     */
    public CircuitOptionsBuilder seed(long s) {
        seed = s;
        return this;
    }

    /**
     * @param m the metric whose change edges are scored by
     * @return this builder
     */
    public CircuitOptionsBuilder metric(Metric.Kind m) {
        metric = m;
        return this;
    }

    /**
     * @param steps EAP-IG interpolation steps (0: plain EAP)
     * @return this builder
     */
    public CircuitOptionsBuilder igSteps(int steps) {
        igSteps = steps;
        return this;
    }

    /**
     * @param pairsPerBatch pairs per forward and backward pass
     * @return this builder
     */
    public CircuitOptionsBuilder batch(int pairsPerBatch) {
        batch = pairsPerBatch;
        return this;
    }

    /**
     * @param s how the circuit is chosen from the scores
     * @return this builder
     */
    public CircuitOptionsBuilder selection(Faithfulness.Selection s) {
        selection = s;
        return this;
    }

    /**
     * @param n circuit size in edges
     * @return this builder
     */
    public CircuitOptionsBuilder topEdges(int n) {
        topEdges = n;
        return this;
    }

    /**
     * @param on whether to drop edges that do not connect input to logits
     * @return this builder
     */
    public CircuitOptionsBuilder prune(boolean on) {
        prune = on;
        return this;
    }

    /**
     * @param a what edges outside the circuit carry
     * @return this builder
     */
    public CircuitOptionsBuilder ablation(CircuitRunner.Ablation a) {
        ablation = a;
        return this;
    }

    /**
     * @param n points of the faithfulness curve (0: no curve)
     * @return this builder
     */
    public CircuitOptionsBuilder curvePoints(int n) {
        curvePoints = n;
        return this;
    }

    /**
     * @return the options
     * @throws IllegalArgumentException when a value is out of range (see {@link CircuitDiscovery.Options})
     */
    public CircuitDiscovery.Options build() {
        return new CircuitDiscovery.Options(commandSet, variant, corruption, pairs, seed, metric, igSteps, batch, selection,
                topEdges, prune, ablation, curvePoints);
    }
}
