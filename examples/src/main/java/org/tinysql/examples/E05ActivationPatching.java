package org.tinysql.examples;

import java.util.Locale;
import org.tinysql.data.CorruptionKind;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.eap.CircuitDiscovery;
import org.tinysql.interp.patching.ActivationPatching;
import org.tinysql.interp.patching.AttributionPatching;
import org.tinysql.interp.patching.PatchingResult;
import org.tinysql.util.Progress;

/**
 * 05 - Activation patching. Run the corrupt prompt (instruction names another table), restore one activation from
 * the clean run, and see how much of the clean logit difference comes back: residual stream by layer and position,
 * then each head's output over 16 pairs. Attribution patching estimates the same from one backward pass.
 *
 * <pre>java -cp examples/target/tinysql.jar org.tinysql.examples.E05ActivationPatching [model-folder]</pre>
 */
public final class E05ActivationPatching {

    private E05ActivationPatching() {
    }

    public static void main(String[] args) throws Exception {
        ExampleModel m = ExampleModel.load(args);
        PatchBatch pairs = CircuitDiscovery.pairs(m.tokenizer(), CircuitDiscovery.Options.defaults(CorruptionKind.INSTRUCTION_TABLE).withPairs(16));
        PatchBatch one = pairs.slice(0, 1);

        ActivationPatching ap = new ActivationPatching(m.model(), one, Metric.Kind.LOGIT_DIFF);
        System.out.printf(Locale.ROOT, "clean logit diff %.3f, corrupt %.3f%n", ap.cleanMetric(), ap.corruptMetric());
        PatchingResult resid = ap.residualStream(Progress.NONE);
        System.out.println(resid.format());
        System.out.println("tokens: " + m.tokenizer().decode(java.util.Arrays.copyOf(one.clean()[0], one.pos()[0] + 1)));

        PatchingResult heads = new ActivationPatching(m.model(), pairs, Metric.Kind.LOGIT_DIFF).headOutputs(Progress.NONE);
        System.out.println(heads.format());
        AttributionPatching at = new AttributionPatching(m.model(), pairs, Metric.Kind.LOGIT_DIFF);
        System.out.println(at.headOutputs().format());
    }
}
