package org.tinysql.examples;

import java.util.Locale;
import org.tinysql.data.CorruptionKind;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.eap.CircuitDiscovery;
import org.tinysql.interp.eap.MinimalCircuit;
import org.tinysql.util.Progress;

/**
 * 07 - A minimal set of heads: ablate heads greedily (mean ablation of hook_z) while the logit difference stays at
 * least 90% of the unablated model's, for the table-name answer of instruction-table pairs.
 *
 * <pre>java -cp examples/target/tinysql.jar org.tinysql.examples.E07MinimalCircuit [model-folder]</pre>
 */
public final class E07MinimalCircuit {

    private E07MinimalCircuit() {
    }

    public static void main(String[] args) throws Exception {
        ExampleModel m = ExampleModel.load(args);
        PatchBatch b = CircuitDiscovery.pairs(m.tokenizer(), CircuitDiscovery.Options.defaults(CorruptionKind.INSTRUCTION_TABLE).withPairs(32));
        for (MinimalCircuit.Ablation a : MinimalCircuit.Ablation.values()) {
            MinimalCircuit.Result r = MinimalCircuit.search(m.model(), b, Metric.Kind.LOGIT_DIFF, a, 0.9, Progress.NONE);
            System.out.printf(Locale.ROOT, "%s ablation: %d of %d heads kept %s, ratio %.3f (full logit diff %.3f)%n", a, r.kept().size(), r.totalHeads(),
                    r.kept(), r.ratio(), r.fullMetric());
            r.removals().forEach(s -> System.out.printf(Locale.ROOT, "   removed %s -> %.3f%n", s.head(), s.ratio()));
        }
    }
}
