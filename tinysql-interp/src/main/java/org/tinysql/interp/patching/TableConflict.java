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
     * @param contextRate      the fraction of prompts where logit[Y] > logit[X] (the model follows the Context)
     * @param meanLogitDiff    the mean of logit[Y] - logit[X] on the conflict prompts
     * @param cleanLogitDiff   the same mean on the clean prompts (the instruction names Y too)
     * @param heads            head-output patching, clean into conflict, normalized: (patched - conflict) / (clean -
     *                         conflict), which blows up where a model treats both prompts alike (clean ~ conflict)
     * @param pairs            the number of conflict prompts
     */
    public record Measure(double contextRate, double meanLogitDiff, double cleanLogitDiff, PatchingResult heads, int pairs) {

        /**
         * Each head's patching effect in logits: how much patching its clean output into the conflict run moves the mean
         * logit[Y] - logit[X] (the normalized effect times clean - conflict); finite where the normalized one is not.
         *
         * @return [layer][head] change of the mean logit difference
         */
        public double[][] logitChanges() {
            double span = cleanLogitDiff - meanLogitDiff;
            double[][] v = heads.values();
            double[][] out = new double[v.length][];
            for (int l = 0; l < v.length; l++) {
                out[l] = new double[v[l].length];
                for (int h = 0; h < v[l].length; h++) {
                    out[l][h] = v[l][h] * span;
                }
            }
            return out;
        }

        /**
         * The heads whose patch moves the logit difference most (largest |change in logits| first).
         *
         * @param n how many
         * @return names {@code a{layer}.h{head}} with their effects
         */
        public List<HeadEffect> topHeads(int n) {
            List<HeadEffect> all = new ArrayList<>();
            double[][] v = heads.values();
            double[][] d = logitChanges();
            for (int l = 0; l < v.length; l++) {
                for (int h = 0; h < v[l].length; h++) {
                    all.add(new HeadEffect(HeadName.of(l, h), v[l][h], d[l][h]));
                }
            }
            all.sort(Comparator.comparingDouble((HeadEffect e) -> -Math.abs(e.logitChange())));
            return List.copyOf(all.subList(0, Math.min(n, all.size())));
        }
    }

    /**
     * One head's patching effect.
     *
     * @param head        {@code a{layer}.h{head}}
     * @param effect      the normalized effect of patching its output (1 = restores the clean logit difference)
     * @param logitChange the change of the mean logit[Y] - logit[X] in logits
     */
    public record HeadEffect(String head, double effect, double logitChange) {
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
        ActivationPatching patching = new ActivationPatching(model, b, Metric.Kind.LOGIT_DIFF);
        PatchingResult heads = patching.headOutputs(Progress.NONE);
        return new Measure(context / (double) b.size(), diff, patching.cleanMetric(), heads, b.size());
    }
}
