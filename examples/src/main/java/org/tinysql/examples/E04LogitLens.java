package org.tinysql.examples;

import java.util.List;
import java.util.Locale;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.TokenTagger;
import org.tinysql.interp.cache.CacheAnalysis;
import org.tinysql.interp.cache.LogitLens;
import org.tinysql.interp.eap.CircuitDiscovery;

/**
 * 04 - Logit lens and direct logit attribution. Which layer knows the next SQL token, by role (keyword, table,
 * field)? Then, at the answer position of an instruction-table pair, which heads and MLPs write the logit
 * difference between the clean table and the corrupt one?
 *
 * <pre>java -cp examples/target/tinysql.jar org.tinysql.examples.E04LogitLens [model-folder]</pre>
 */
public final class E04LogitLens {

    private E04LogitLens() {
    }

    public static void main(String[] args) throws Exception {
        ExampleModel m = ExampleModel.load(args);
        List<TinySqlExample> test = DatasetIO.read(E01GenerateDataset.DATA, Split.TEST).subList(0, 100);
        LogitLens.Table t = LogitLens.run(m.model(), new TokenTagger(m.tokenizer()), test, org.tinysql.util.Progress.NONE);
        System.out.println(t.format());

        // Direct logit attribution on one pair: components of the final residual along W_U[clean] - W_U[corrupt].
        var opts = CircuitDiscovery.Options.defaults(CorruptionKind.INSTRUCTION_TABLE).withPairs(1);
        PatchBatch b = CircuitDiscovery.pairs(m.tokenizer(), opts);
        int pos = b.pos()[0];
        CacheAnalysis ca = CacheAnalysis.run(m.model(), new int[][] {java.util.Arrays.copyOf(b.clean()[0], pos + 1)}, null);
        float[] dir = ca.logitDiffDirection(b.cleanAnswer()[0], b.corruptAnswer()[0]);
        double[] dla = ca.directLogitAttribution(0, pos, dir);
        List<String> labels = ca.dlaLabels(0, pos);
        double total = 0;
        for (int i = 0; i < dla.length; i++) {
            total += dla[i];
            System.out.printf(Locale.ROOT, "%-14s %+8.3f%n", labels.get(i), dla[i]);
        }
        System.out.printf(Locale.ROOT, "sum = logit difference %.3f (clean answer '%s' vs corrupt '%s')%n", total,
                m.tokenizer().decode(new int[] {b.cleanAnswer()[0]}), m.tokenizer().decode(new int[] {b.corruptAnswer()[0]}));
        System.out.println(CommandSet.CS1 + " " + Variant.LITERAL + " prompt: " + m.tokenizer().decode(java.util.Arrays.copyOf(b.clean()[0], pos + 1)));
    }
}
