package org.tinysql.interp.patching;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.Variant;
import org.tinysql.interp.HeadName;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.eap.CircuitDiscovery;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.Progress;

/**
 * The TinySQL paper's flawed heuristic: where does the model take the table name from? On conflict prompts the
 * instruction names table X while the Context's CREATE statement defines table Y (the corrupt prompt of an
 * {@link CorruptionKind#INSTRUCTION_TABLE} pair); the correct SQL uses Y. A model that copies the table from the
 * instruction (a shortcut that literal training data always rewards) writes X. Head-output patching from the clean
 * prompt (X = Y) shows the heads that carry the instruction's table name.
 */
public final class TableConflict {

    private TableConflict() {
    }

    /**
     * The outcome on conflict prompts.
     *
     * @param contextRate   the fraction of prompts where logit[Y] > logit[X] (the model follows the Context)
     * @param meanLogitDiff the mean of logit[Y] - logit[X]
     * @param heads         head-output patching, clean into conflict, normalized
     * @param pairs         the number of conflict prompts
     */
    public record Measure(double contextRate, double meanLogitDiff, PatchingResult heads, int pairs) {

        /**
         * The heads with the largest |normalized patching effect|, largest first.
         *
         * @param n how many
         * @return names {@code a{layer}.h{head}} with their effect
         */
        public List<HeadEffect> topHeads(int n) {
            List<HeadEffect> all = new ArrayList<>();
            double[][] v = heads.values();
            for (int l = 0; l < v.length; l++) {
                for (int h = 0; h < v[l].length; h++) {
                    all.add(new HeadEffect(HeadName.of(l, h), v[l][h]));
                }
            }
            all.sort(Comparator.comparingDouble((HeadEffect e) -> -Math.abs(e.effect())));
            return List.copyOf(all.subList(0, Math.min(n, all.size())));
        }
    }

    /**
     * One head's patching effect.
     *
     * @param head   {@code a{layer}.h{head}}
     * @param effect the normalized effect of patching its output
     */
    public record HeadEffect(String head, double effect) {
    }

    /**
     * Measures the heuristic on CS1 literal conflict prompts (48 pairs, seed 7).
     *
     * @param model the model
     * @param tok   its tokenizer
     * @return the measure
     */
    public static Measure measure(Transformer model, Tokenizer tok) {
        return measure(model, tok, CommandSet.CS1, Variant.LITERAL, 48, 7);
    }

    /**
     * Measures the heuristic on conflict prompts of a command set and variant.
     *
     * @param model      the model
     * @param tok        its tokenizer
     * @param commandSet the command set of the prompts
     * @param variant    literal or synonym instructions
     * @param pairs      the number of conflict prompts wanted
     * @param seed       the seed of the prompts
     * @return the measure
     */
    public static Measure measure(Transformer model, Tokenizer tok, CommandSet commandSet, Variant variant, int pairs, long seed) {
        CircuitDiscovery.Options o = CircuitDiscovery.Options.builder(CorruptionKind.INSTRUCTION_TABLE).commandSet(commandSet)
                .variant(variant).pairs(pairs).seed(seed).build();
        PatchBatch b = CircuitDiscovery.pairs(tok, o);
        float[][] logits = Metric.answerLogits(model.forward(b.corrupt(), b.mask()), b);
        int context = 0;
        double diff = 0;
        for (int i = 0; i < b.size(); i++) {
            double d = logits[i][b.cleanAnswer()[i]] - logits[i][b.corruptAnswer()[i]];
            diff += d / b.size();
            context += d > 0 ? 1 : 0;
        }
        PatchingResult heads = new ActivationPatching(model, b, Metric.Kind.LOGIT_DIFF).headOutputs(Progress.NONE);
        return new Measure(context / (double) b.size(), diff, heads, b.size());
    }
}
