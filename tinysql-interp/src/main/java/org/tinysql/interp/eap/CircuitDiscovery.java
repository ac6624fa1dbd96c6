package org.tinysql.interp.eap;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tinysql.data.CommandSet;
import org.tinysql.util.AtomicFiles;
import org.tinysql.data.CorruptionGenerator;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.PromptPair;
import org.tinysql.data.Variant;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.Progress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The EAP workflow on TinySQL corruption pairs: make pairs with the model's tokenizer, score every edge (EAP or
 * EAP-IG), select a circuit, measure its faithfulness and a faithfulness curve, and write JSON + SVG.
 */
public final class CircuitDiscovery {
    private static final Logger LOG = LoggerFactory.getLogger(CircuitDiscovery.class);

    /**
     * What to run.
     *
     * @param commandSet  the command set of the generated examples
     * @param variant     literal or synonym instructions
     * @param corruption  the element the pairs differ in
     * @param pairs       the number of pairs wanted
     * @param seed        the dataset seed
     * @param metric      the metric edges are scored on
     * @param igSteps     0 for EAP, else EAP-IG's interpolation steps
     * @param batchSize   rows per minibatch
     * @param selection   how the circuit's edges are chosen
     * @param top         the circuit's size in edges
     * @param prune       whether dangling edges are removed
     * @param ablation    what edges outside the circuit carry
     * @param curvePoints circuit sizes of the faithfulness curve; 0 or 1 for no curve
     */
    public record Options(CommandSet commandSet, Variant variant, CorruptionKind corruption, int pairs, long seed,
                          Metric.Kind metric, int igSteps, int batchSize, Faithfulness.Selection selection, int top,
                          boolean prune, CircuitRunner.Ablation ablation, int curvePoints) {

        /**
         * Checks the values: every choice given, at least one pair, edge and pair per batch, no negative counts.
         *
         * @param commandSet  the command set of the prompts
         * @param variant     literal or synonym prompts
         * @param corruption  what the corrupt prompt changes
         * @param pairs       clean/corrupt prompt pairs, at least 1
         * @param seed        seed of the prompt pairs
         * @param metric      the metric whose change edges are scored by
         * @param igSteps     EAP-IG interpolation steps (0: plain EAP)
         * @param batchSize   pairs per forward and backward pass, at least 1
         * @param selection   how the circuit is chosen from the scores
         * @param top         circuit size in edges, at least 1
         * @param prune       whether to drop edges that do not connect input to logits
         * @param ablation    what edges outside the circuit carry
         * @param curvePoints points of the faithfulness curve (0: no curve)
         * @throws IllegalArgumentException when a choice is missing or a count is out of range
         */
        public Options {
            if (commandSet == null || variant == null || corruption == null || metric == null || selection == null
                    || ablation == null) {
                throw new IllegalArgumentException("circuit options need a command set, variant, corruption, metric,"
                        + " selection and ablation");
            }
            if (pairs < 1 || batchSize < 1 || top < 1 || igSteps < 0 || curvePoints < 0) {
                throw new IllegalArgumentException("circuit options need pairs, batch size and top edges >= 1 and"
                        + " integrated-gradient steps and curve points >= 0 (0 or 1: no curve): pairs " + pairs + ", batch size " + batchSize
                        + ", top edges " + top + ", igSteps " + igSteps + ", curve points " + curvePoints);
            }
        }

        /**
         * CS1 literal, 64 pairs, seed 7, logit difference, plain EAP, minibatches of 16, top 50 edges pruned, corrupt
         * ablation, 8 curve points.
         *
         * @param kind the corruption
         * @return the options
         */
        public static Options defaults(CorruptionKind kind) {
            return new Options(CommandSet.CS1, Variant.LITERAL, kind, 64, 7, Metric.Kind.LOGIT_DIFF, 0, 16,
                    Faithfulness.Selection.TOP_N, 50, true, CircuitRunner.Ablation.CORRUPT, 8);
        }

        /**
         * A copy with another number of pairs.
         *
         * @param n the number of pairs
         * @return the copy
         */
        public Options withPairs(int n) {
            return new Options(commandSet, variant, corruption, n, seed, metric, igSteps, batchSize, selection, top, prune, ablation, curvePoints);
        }

        /**
         * A copy with another circuit size.
         *
         * @param n the number of edges
         * @return the copy
         */
        public Options withTop(int n) {
            return new Options(commandSet, variant, corruption, pairs, seed, metric, igSteps, batchSize, selection, n, prune, ablation, curvePoints);
        }

        /**
         * A copy with another command set.
         *
         * @param cs the command set
         * @return the copy
         */
        public Options withCommandSet(CommandSet cs) {
            return new Options(cs, variant, corruption, pairs, seed, metric, igSteps, batchSize, selection, top, prune, ablation, curvePoints);
        }

        /**
         * A builder that starts from {@link #defaults} for {@code kind}.
         * @param kind what the corrupt prompt changes
         * @return a builder; {@link CircuitOptionsBuilder#build} makes the options
         */
        public static CircuitOptionsBuilder builder(CorruptionKind kind) {
            return new CircuitOptionsBuilder(defaults(kind));
        }

        /** @return a builder that starts from these options */
        public CircuitOptionsBuilder toBuilder() {
            return new CircuitOptionsBuilder(this);
        }
    }

    /**
     * The outcome.
     *
     * @param options      the options run
     * @param batch        the pairs used
     * @param scores       the edge scores
     * @param circuit      the selected circuit
     * @param faithfulness the circuit's faithfulness
     * @param curve        the faithfulness curve, or {@code null}
     * @param millis       the wall-clock time in milliseconds
     */
    public record Result(Options options, PatchBatch batch, EapResult scores, Circuit circuit, double faithfulness,
                         Faithfulness.Curve curve, long millis) {

        /**
         * The JSON export: {@link GraphExport#toJson} plus the options and timings.
         *
         * @return a new JSON tree
         */
        public ObjectNode json() {
            ObjectNode j = GraphExport.toJson(scores, circuit, curve);
            j.put("corruption", options.corruption().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            j.put("command_set", options.commandSet().name());
            j.put("selection", options.selection().name().toLowerCase(Locale.ROOT));
            j.put("ablation", options.ablation().name().toLowerCase(Locale.ROOT));
            j.put("circuit_faithfulness", faithfulness);
            j.put("millis", millis);
            return j;
        }

        /**
         * The circuit drawing ({@link GraphExport#toSvg}), titled with the corruption, size and faithfulness.
         *
         * @return the SVG document
         */
        public String svg() {
            return GraphExport.toSvg(scores, circuit, options.corruption().name().toLowerCase(Locale.ROOT).replace('_', '-')
                    + " circuit (" + circuit.edgeCount() + " edges, faithfulness " + String.format(Locale.ROOT, "%.2f", faithfulness) + ")");
        }

        /**
         * Writes {@code eap.json} and {@code circuit.svg} into {@code dir}.
         *
         * @param dir the folder, created if missing; the files are replaced if present
         * @throws IOException if a file cannot be written
         */
        public void write(Path dir) throws IOException {
            GraphExport.writeJson(json(), dir.resolve("eap.json"));
            AtomicFiles.writeString(dir.resolve("circuit.svg"), svg());
        }
    }

    private CircuitDiscovery() {
    }

    /**
     * Pairs of the configured kind whose answers differ (logit and probability differences need that).
     *
     * @param tok the model's tokenizer
     * @param o   the options: command set, variant, seed, corruption, number of pairs and metric (KL keeps every pair)
     * @return at most {@code o.pairs()} pairs
     * @throws IllegalArgumentException if no pair qualifies, or too few pairs of the kind are found
     */
    public static PatchBatch pairs(Tokenizer tok, Options o) {
        CorruptionGenerator gen = new CorruptionGenerator(o.commandSet(), o.variant(), o.seed(), tok);
        List<PromptPair> all = gen.pairs(o.corruption(), o.pairs() * 2);
        List<PromptPair> use = new ArrayList<>();
        for (PromptPair p : all) {
            if ((p.answersDiffer() || o.metric() == Metric.Kind.KL) && use.size() < o.pairs()) {
                use.add(p);
            }
        }
        if (use.isEmpty()) {
            throw new IllegalArgumentException("no " + o.corruption() + " pairs with different answers: use the kl metric (Metric.Kind.KL) for this corruption");
        }
        return PatchBatch.of(use, tok);
    }

    /**
     * Makes pairs, scores every edge, selects the circuit and measures its faithfulness (and curve).
     *
     * @param model    the model
     * @param tok      the model's tokenizer
     * @param o        what to run
     * @return the outcome (as {@link #run(Transformer, Tokenizer, Options, Progress)} without progress reporting)
     */
    public static Result run(Transformer model, Tokenizer tok, Options o) {
        return run(model, tok, o, Progress.NONE);
    }

    /**
     * Makes pairs, scores every edge, selects the circuit and measures its faithfulness (and curve).
     *
     * @param model    the model
     * @param tok      the model's tokenizer
     * @param o        what to run
     * @param progress advanced per minibatch of scoring and per curve point
     * @return the outcome
     */
    public static Result run(Transformer model, Tokenizer tok, Options o, Progress progress) {
        long t0 = System.nanoTime();
        PatchBatch batch = pairs(tok, o);
        LOG.info("{} pairs of {} ({} tokens max)", batch.size(), o.corruption(), batch.length());
        EapResult scores;
        try (EdgeAttribution eap = new EdgeAttribution(model)) {
            scores = eap.run(batch, o.metric(), o.igSteps(), o.batchSize(), progress);
        }
        Circuit c = Faithfulness.select(scores, o.selection(), o.top(), o.prune());
        double f;
        Faithfulness.Curve curve;
        try (CircuitRunner runner = new CircuitRunner(model, scores.graph(), batch, o.ablation(), o.metric())) {
            f = runner.faithfulness(c);
            curve = o.curvePoints() > 1
                    ? Faithfulness.curve(scores, runner, o.selection(), Faithfulness.sizes(scores.graph().edgeCount(), o.curvePoints()), o.prune(), progress)
                    : null;
        }
        return new Result(o, batch, scores, c, f, curve, (System.nanoTime() - t0) / 1_000_000);
    }
}
