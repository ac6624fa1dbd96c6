package org.tinysql.interp.study;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.tinysql.data.CorruptionKind;

/**
 * How much of each analysis a {@link Study} runs. {@link #full()} is the study of the paper's sizes; {@link #quick()}
 * the same analyses on small batches (a CI smoke run). Build others with {@link #builder()}.
 *
 * @param evalPrompts        held-out test prompts per (model, command set) of the accuracy matrix
 * @param pairBatches        batches of clean/corrupt pairs per corruption kind (the paper's stability rule compares them)
 * @param pairsPerBatch      pairs per batch (the paper: 30)
 * @param stableTop          an edge is stable when it is among the top this-many edges of every batch
 * @param igSteps            EAP-IG's interpolation steps, run beside EAP; 0 for EAP only
 * @param faithfulnessTarget the fraction a circuit must keep (the paper: 0.9): the faithfulness of EAP circuits, the
 *                           output similarity (over the intact model's) of minimal circuits
 * @param minimalPrompts     prompts of one length for the minimal-circuit search; 0 skips it
 * @param lensPrompts        prompts of the logit lens by SQL role
 * @param saeSteps           training steps of each SAE (batches of 1024 activations); 0 skips the SAEs
 * @param saeExpansion       SAE width over d_model (the paper: 15)
 * @param saeK               active latents per token of the TopK SAEs (the paper: 32)
 * @param saeTrainPrompts    training prompts whose activations train the SAEs
 * @param saeEvalPrompts     validation prompts of the SAE metrics and feature analysis
 * @param probePrompts       held-out prompts of the error-prediction probes (decoded, then split 70/30), at most
 * @param probePerClass      right and wrong answers each after which the probe stops decoding (a weak model's
 *                           classes fill long before {@code probePrompts})
 * @param heuristicPairs     conflict prompts of the table-name heuristic
 * @param kinds              the corruption kinds studied (each where the model's command set has the element)
 * @param seed               the seed of pairs, prompts and SAEs
 */
public record StudyOptions(int evalPrompts, int pairBatches, int pairsPerBatch, int stableTop, int igSteps,
                           double faithfulnessTarget, int minimalPrompts, int lensPrompts, int saeSteps,
                           int saeExpansion, int saeK, int saeTrainPrompts, int saeEvalPrompts, int probePrompts, int probePerClass,
                           int heuristicPairs, Set<CorruptionKind> kinds, long seed) {

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException when a count is out of range or no kind is given
     */
    public StudyOptions {
        if (evalPrompts < 1 || pairBatches < 1 || pairsPerBatch < 2 || stableTop < 1 || igSteps < 0 || minimalPrompts < 0 || lensPrompts < 1
                || saeSteps < 0 || saeExpansion < 1 || saeK < 1 || saeTrainPrompts < 1
                || saeEvalPrompts < 1 || probePrompts < 4 || probePerClass < 2 || heuristicPairs < 2) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "study options out of range: eval prompts %d, "
                    + "pair batches %d of %d (at least 2), stable top %d, IG steps %d, minimal-circuit prompts %d, lens prompts %d, SAE steps %d, SAE %dx k=%d, "
                    + "SAE prompts %d/%d, probe prompts %d (at least 4) and %d per class (at least 2), heuristic pairs %d (at least 2)", evalPrompts, pairBatches,
                    pairsPerBatch, stableTop, igSteps, minimalPrompts, lensPrompts, saeSteps, saeExpansion, saeK, saeTrainPrompts, saeEvalPrompts,
                    probePrompts, probePerClass, heuristicPairs));
        }
        if (!(faithfulnessTarget > 0 && faithfulnessTarget <= 1)) {
            throw new IllegalArgumentException("the faithfulness target must be in (0, 1]: " + faithfulnessTarget);
        }
        if (kinds == null || kinds.isEmpty()) {
            throw new IllegalArgumentException("a study needs at least one corruption kind");
        }
        kinds = Set.copyOf(kinds);
    }

    /**
     * The paper's sizes: 300 test prompts per cell, 3 batches of 30 pairs per corruption kind, EAP (EAP-IG beside it
     * doubles the circuit time: {@code igSteps(5)}), faithfulness 0.9, minimal circuits on 32 prompts, TopK SAEs 15x with k = 32 (500 steps of 1024
     * activations from 2000 prompts), probes on up to 5000 prompts (decoding stops once 500 answers are right and
     * 500 wrong), every corruption kind.
     *
     * @return the options
     */
    public static StudyOptions full() {
        return new StudyOptions(300, 3, 30, 50, 0, 0.9, 32, 100, 500, 15, 32, 2000, 150, 5000, 500, 48,
                EnumSet.allOf(CorruptionKind.class), 7);
    }

    /**
     * Small batches for a smoke run: 40 test prompts, 2 batches of 8 pairs, EAP only, SAEs of 30 steps on 120 prompts.
     *
     * @return the options
     */
    public static StudyOptions quick() {
        return new StudyOptions(40, 2, 8, 20, 0, 0.9, 4, 16, 30, 15, 32, 120, 20, 120, 120, 16,
                EnumSet.allOf(CorruptionKind.class), 7);
    }

    /** @return a builder starting from {@link #full()} */
    public static Builder builder() {
        return new Builder(full());
    }

    /** @return a builder starting from these options */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** @return the pairs per corruption kind, all batches together */
    public int pairs() {
        return pairBatches * pairsPerBatch;
    }

    /** @return the kinds in declaration order */
    public List<CorruptionKind> kindList() {
        return EnumSet.copyOf(kinds).stream().toList();
    }

    /** A builder of {@link StudyOptions}; each setter returns the builder. */
    public static final class Builder {
        private int evalPrompts;
        private int pairBatches;
        private int pairsPerBatch;
        private int stableTop;
        private int igSteps;
        private double faithfulnessTarget;
        private int minimalPrompts;
        private int lensPrompts;
        private int saeSteps;
        private int saeExpansion;
        private int saeK;
        private int saeTrainPrompts;
        private int saeEvalPrompts;
        private int probePrompts;
        private int probePerClass;
        private int heuristicPairs;
        private Set<CorruptionKind> kinds;
        private long seed;

        private Builder(StudyOptions o) {
            evalPrompts = o.evalPrompts;
            pairBatches = o.pairBatches;
            pairsPerBatch = o.pairsPerBatch;
            stableTop = o.stableTop;
            igSteps = o.igSteps;
            faithfulnessTarget = o.faithfulnessTarget;
            minimalPrompts = o.minimalPrompts;
            lensPrompts = o.lensPrompts;
            saeSteps = o.saeSteps;
            saeExpansion = o.saeExpansion;
            saeK = o.saeK;
            saeTrainPrompts = o.saeTrainPrompts;
            saeEvalPrompts = o.saeEvalPrompts;
            probePrompts = o.probePrompts;
            probePerClass = o.probePerClass;
            heuristicPairs = o.heuristicPairs;
            kinds = o.kinds;
            seed = o.seed;
        }

        /** @param n test prompts per (model, command set) @return this builder */
        public Builder evalPrompts(int n) {
            evalPrompts = n;
            return this;
        }

        /** @param batches pair batches per kind @param perBatch pairs per batch @return this builder */
        public Builder pairs(int batches, int perBatch) {
            pairBatches = batches;
            pairsPerBatch = perBatch;
            return this;
        }

        /** @param n top edges per batch for the stability rule @return this builder */
        public Builder stableTop(int n) {
            stableTop = n;
            return this;
        }

        /** @param steps EAP-IG steps (0: EAP only) @return this builder */
        public Builder igSteps(int steps) {
            igSteps = steps;
            return this;
        }

        /** @param f the faithfulness a circuit must reach @return this builder */
        public Builder faithfulnessTarget(double f) {
            faithfulnessTarget = f;
            return this;
        }

        /** @param n prompts of the minimal-circuit search (0 skips it) @return this builder */
        public Builder minimalPrompts(int n) {
            minimalPrompts = n;
            return this;
        }

        /** @param n prompts of the logit lens @return this builder */
        public Builder lensPrompts(int n) {
            lensPrompts = n;
            return this;
        }

        /** @param steps SAE training steps (0 skips the SAEs) @return this builder */
        public Builder saeSteps(int steps) {
            saeSteps = steps;
            return this;
        }

        /** @param expansion SAE width over d_model @param k active latents @return this builder */
        public Builder sae(int expansion, int k) {
            saeExpansion = expansion;
            saeK = k;
            return this;
        }

        /** @param train SAE training prompts @param eval SAE validation prompts @return this builder */
        public Builder saePrompts(int train, int eval) {
            saeTrainPrompts = train;
            saeEvalPrompts = eval;
            return this;
        }

        /** @param n held-out prompts of the error-prediction probes, at most @return this builder */
        public Builder probePrompts(int n) {
            probePrompts = n;
            return this;
        }

        /** @param n right and wrong answers each after which the probe stops decoding @return this builder */
        public Builder probePerClass(int n) {
            probePerClass = n;
            return this;
        }

        /** @param n conflict prompts of the table-name heuristic @return this builder */
        public Builder heuristicPairs(int n) {
            heuristicPairs = n;
            return this;
        }

        /** @param k the corruption kinds studied @return this builder */
        public Builder kinds(Set<CorruptionKind> k) {
            kinds = k;
            return this;
        }

        /** @param s the seed @return this builder */
        public Builder seed(long s) {
            seed = s;
            return this;
        }

        /** @return the options, checked */
        public StudyOptions build() {
            return new StudyOptions(evalPrompts, pairBatches, pairsPerBatch, stableTop, igSteps, faithfulnessTarget,
                    minimalPrompts, lensPrompts, saeSteps, saeExpansion, saeK, saeTrainPrompts, saeEvalPrompts, probePrompts, probePerClass, heuristicPairs, kinds, seed);
        }
    }
}
