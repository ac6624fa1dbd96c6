package org.tinysql.examples;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.tinysql.data.CorruptionKind;
import org.tinysql.interp.eap.Circuit;
import org.tinysql.interp.eap.CircuitComparison;
import org.tinysql.interp.eap.CircuitDiscovery;
import org.tinysql.util.Progress;

/**
 * 06 - Edge attribution patching. Score every edge of the head-level graph on instruction-table pairs (EAP, then
 * EAP-IG with 5 steps), keep the top 40 edges, measure faithfulness, and write eap.json + circuit.svg. Then find
 * circuits for three corruption kinds and compare them (Jaccard overlap of edges and nodes).
 *
 * <pre>java -cp examples/target/tinysql.jar org.tinysql.examples.E06EapCircuit [model-folder]</pre>
 */
public final class E06EapCircuit {

    private E06EapCircuit() {
    }

    public static void main(String[] args) throws Exception {
        ExampleModel m = ExampleModel.load(args);
        CircuitDiscovery.Options base = CircuitDiscovery.Options.defaults(CorruptionKind.INSTRUCTION_TABLE).withPairs(32).withTop(40);
        CircuitDiscovery.Result eap = CircuitDiscovery.run(m.model(), m.tokenizer(), base, Progress.NONE);
        eap.write(Path.of("runs/examples/eap"));
        System.out.printf(Locale.ROOT, "EAP: circuit of %d edges, faithfulness %.3f, curve area %.3f%n", eap.circuit().edgeCount(), eap.faithfulness(),
                eap.curve().area());

        CircuitDiscovery.Options ig = new CircuitDiscovery.Options(base.commandSet(), base.variant(), base.corruption(), base.pairs(),
                base.seed(), base.metric(), 5, base.batchSize(), base.selection(), base.top(), base.prune(), base.ablation(), 0);
        CircuitDiscovery.Result eapIg = CircuitDiscovery.run(m.model(), m.tokenizer(), ig, Progress.NONE);
        System.out.printf(Locale.ROOT, "EAP-IG(5): faithfulness %.3f; edge overlap with EAP %.2f%n", eapIg.faithfulness(),
                Circuit.jaccard(eap.circuit().edgeNames(), eapIg.circuit().edgeNames()));

        Map<String, Circuit> circuits = new LinkedHashMap<>();
        for (CorruptionKind k : new CorruptionKind[] {CorruptionKind.INSTRUCTION_TABLE, CorruptionKind.CONTEXT_TABLE,
            CorruptionKind.INSTRUCTION_FIELD}) {
            CircuitDiscovery.Options o = new CircuitDiscovery.Options(base.commandSet(), base.variant(), k, 24, base.seed(), base.metric(), 0,
                    base.batchSize(), base.selection(), 30, true, base.ablation(), 0);
            circuits.put(k.name().toLowerCase(), CircuitDiscovery.run(m.model(), m.tokenizer(), o, Progress.NONE).circuit());
        }
        CircuitComparison cmp = CircuitComparison.of(circuits);
        System.out.println("circuit overlap (edge Jaccard | node Jaccard):\n" + cmp.table());
        System.out.println("wrote runs/examples/eap/eap.json and circuit.svg");
    }
}
