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

    /** What to run. */
    public record Options(CommandSet commandSet, Variant variant, CorruptionKind corruption, int pairs, long seed,
                          Metric.Kind metric, int igSteps, int batchSize, Faithfulness.Selection selection, int top,
                          boolean prune, CircuitRunner.Ablation ablation, int curvePoints) {

        /** Checks the values: every choice given, at least one pair, edge and pair per batch, no negative counts. */
        public Options {
            if (commandSet == null || variant == null || corruption == null || metric == null || selection == null
                    || ablation == null) {
                throw new IllegalArgumentException("circuit options need a command set, variant, corruption, metric,"
                        + " selection and ablation");
            }
            if (pairs < 1 || batchSize < 1 || top < 1 || igSteps < 0 || curvePoints < 0) {
                throw new IllegalArgumentException("circuit options need pairs, batch size and top edges >= 1 and"
                        + " integrated-gradient steps and curve points >= 0: pairs " + pairs + ", batch size " + batchSize
                        + ", top edges " + top + ", igSteps " + igSteps + ", curve points " + curvePoints);
            }
        }

        public static Options defaults(CorruptionKind kind) {
            return new Options(CommandSet.CS1, Variant.LITERAL, kind, 64, 7, Metric.Kind.LOGIT_DIFF, 0, 16,
                    Faithfulness.Selection.TOP_N, 50, true, CircuitRunner.Ablation.CORRUPT, 8);
        }

        public Options withPairs(int n) {
            return new Options(commandSet, variant, corruption, n, seed, metric, igSteps, batchSize, selection, top, prune, ablation, curvePoints);
        }

        public Options withTop(int n) {
            return new Options(commandSet, variant, corruption, pairs, seed, metric, igSteps, batchSize, selection, n, prune, ablation, curvePoints);
        }

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

    /** The outcome. */
    public record Result(Options options, PatchBatch batch, EapResult scores, Circuit circuit, double faithfulness,
                         Faithfulness.Curve curve, long millis) {

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

        public String svg() {
            return GraphExport.toSvg(scores, circuit, options.corruption().name().toLowerCase(Locale.ROOT).replace('_', '-')
                    + " circuit (" + circuit.edgeCount() + " edges, faithfulness " + String.format(Locale.ROOT, "%.2f", faithfulness) + ")");
        }

        /** Writes {@code eap.json} and {@code circuit.svg} into {@code dir}. */
        public void write(Path dir) throws IOException {
            GraphExport.writeJson(json(), dir.resolve("eap.json"));
            AtomicFiles.writeString(dir.resolve("circuit.svg"), svg());
        }
    }

    private CircuitDiscovery() {
    }

    /** Pairs of the configured kind whose answers differ (logit and probability differences need that). */
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

    public static Result run(Transformer model, Tokenizer tok, Options o, Progress progress) {
        long t0 = System.nanoTime();
        PatchBatch batch = pairs(tok, o);
        LOG.info("{} pairs of {} ({} tokens max)", batch.size(), o.corruption(), batch.length());
        EdgeAttribution eap = new EdgeAttribution(model);
        EapResult scores = eap.run(batch, o.metric(), o.igSteps(), o.batchSize(), progress);
        CircuitRunner runner = new CircuitRunner(model, scores.graph(), batch, o.ablation(), o.metric());
        Circuit c = Faithfulness.select(scores, o.selection(), o.top(), o.prune());
        double f = runner.faithfulness(c);
        Faithfulness.Curve curve = o.curvePoints() > 1
                ? Faithfulness.curve(scores, runner, o.selection(), Faithfulness.sizes(scores.graph().edgeCount(), o.curvePoints()), o.prune(), progress)
                : null;
        return new Result(o, batch, scores, c, f, curve, (System.nanoTime() - t0) / 1_000_000);
    }
}
