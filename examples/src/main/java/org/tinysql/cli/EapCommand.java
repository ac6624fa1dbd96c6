package org.tinysql.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.Variant;
import org.tinysql.interp.Metric;
import org.tinysql.interp.eap.CircuitDiscovery;
import org.tinysql.interp.eap.CircuitRunner;
import org.tinysql.interp.eap.EapResult;
import org.tinysql.interp.eap.Faithfulness;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.util.ConsoleProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tinysql eap}: edge attribution patching on TinySQL corruption pairs; writes JSON and an SVG graph. */
@Command(name = "eap", mixinStandardHelpOptions = true,
        description = "Find a circuit with edge attribution patching (EAP / EAP-IG) on clean/corrupt prompt pairs.")
public final class EapCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Model folder (HF layout with tokenizer.json).")
    Path model;

    @Option(names = "--corruption", defaultValue = "instruction-table",
            description = "Corruption kind, e.g. instruction-table, instruction-field, context-table (default: ${DEFAULT-VALUE}).")
    String corruption;

    @Option(names = "--cs", defaultValue = "1", description = "Command set of the prompts, 1..5 (default: ${DEFAULT-VALUE}).")
    String commandSet;

    @Option(names = "--variant", defaultValue = "literal", description = "literal or synonym prompts (default: ${DEFAULT-VALUE}).")
    String variant;

    @Option(names = "--n", defaultValue = "64", description = "Number of prompt pairs (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--top-edges", defaultValue = "50", description = "Circuit size in edges (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--selection", defaultValue = "top-n", description = "top-n or greedy (default: ${DEFAULT-VALUE}).")
    String selection;

    @Option(names = "--metric", defaultValue = "logit-diff", description = "logit-diff, prob-diff or kl (default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--ig-steps", defaultValue = "0", description = "EAP-IG interpolation steps (0: plain EAP; default: ${DEFAULT-VALUE}).")
    int igSteps;

    @Option(names = "--ablation", defaultValue = "corrupt", description = "What edges outside the circuit carry: corrupt, mean or zero (default: ${DEFAULT-VALUE}).")
    String ablation;

    @Option(names = "--batch", defaultValue = "16", description = "Pairs per forward/backward (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--no-prune", description = "Keep dangling edges in the circuit.")
    boolean noPrune;

    @Option(names = "--curve-points", defaultValue = "8", description = "Faithfulness curve points (0: no curve; default: ${DEFAULT-VALUE}).")
    int curvePoints;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of the prompt pairs (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "eap-out", description = "Output folder for eap.json and circuit.svg (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Transformer m = Transformer.fromPretrained(model);
        HfTokenizer tok = HfTokenizer.load(model); // the folder: tokenizer.json with its tokenizer_config.json
        CircuitDiscovery.Options o = new CircuitDiscovery.Options(CommandSet.parse(commandSet), Variant.parse(variant),
                CorruptionKind.parse(corruption), n, seed, Metric.Kind.parse(metric), igSteps, batchSize, Faithfulness.Selection.parse(selection),
                top, !noPrune, CircuitRunner.Ablation.parse(ablation), curvePoints);
        CircuitDiscovery.Result r;
        long work = (n + batchSize - 1) / batchSize + Math.max(0, curvePoints);
        try (ConsoleProgressBar bar = new ConsoleProgressBar("eap", work)) {
            r = CircuitDiscovery.run(m, tok, o, bar);
        }
        r.write(out);
        print(r);
        System.out.println("wrote " + out.resolve("eap.json") + " and " + out.resolve("circuit.svg"));
        return 0;
    }

    static void print(CircuitDiscovery.Result r) {
        EapResult s = r.scores();
        System.out.printf(Locale.ROOT, "%s on %d %s pairs: clean %s %.4f, corrupt %.4f (%d ms)%n", s.method(), r.batch().size(),
                r.options().corruption().name().toLowerCase(Locale.ROOT), s.metric().name().toLowerCase(Locale.ROOT), s.cleanMetric(),
                s.corruptMetric(), r.millis());
        System.out.printf(Locale.ROOT, "circuit: %d of %d edges, %d nodes, faithfulness %.3f (%s ablation)%n", r.circuit().edgeCount(),
                s.graph().edgeCount(), r.circuit().nodeNames().size(), r.faithfulness(), r.options().ablation().name().toLowerCase(Locale.ROOT));
        if (r.curve() != null) {
            System.out.printf(Locale.ROOT, "faithfulness curve area %.3f:", r.curve().area());
            r.curve().points().forEach(p -> System.out.printf(Locale.ROOT, " %d:%.2f", p.edges(), p.faithfulness()));
            System.out.println();
        }
        List<int[]> ranked = s.ranked();
        System.out.println("top edges:");
        for (int i = 0; i < Math.min(10, ranked.size()); i++) {
            int[] e = ranked.get(i);
            System.out.printf(Locale.ROOT, "  %-28s %+.5f%n", s.graph().edgeName(e[0], e[1]), s.scores()[e[0]][e[1]]);
        }
    }
}
