package org.tinysql.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.model.EmbeddingResize;
import org.tinysql.model.HfCheckpoint;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.DType;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.AtomicFiles;
import org.tinysql.util.Progress;

/**
 * Fine-tunes a pretrained HuggingFace checkpoint (GPT-Neo, GPT-2, Llama, Qwen2 folders) on a TinySQL dataset, as the
 * paper's BM1 (TinyStories-Instruct-2Layers-33M), BM2 (Qwen2.5-0.5B) and BM3 (Llama-3.2-1B) were made: the
 * checkpoint's own tokenizer with a pad token ({@link FinetuneTokenizer}; the embedding grows for an added one,
 * {@link EmbeddingResize}), prompt tokens masked, right padding, EOS appended, and the HuggingFace Trainer's recipe
 * ({@link Options#paper()}). Training is a {@link Trainer} run: progress, validation loss, atomic checkpoints in
 * {@code RUN/checkpoints} and exact resume. The memory settings (activation recomputation, BF16 moments) are the
 * cheapest that fit ({@link MemoryPlan}) unless given.
 *
 * <p>The run folder: tokenizer.json and tokenizer_config.json (written first), checkpoints/, and model/ at the end: a
 * HuggingFace folder (config.json with the new vocab_size and pad_token_id, model.safetensors, tokenizer.json,
 * tokenizer_config.json) that this engine and PyTorch load with the same logits.
 */
public final class FineTuner {
    private static final Logger LOG = LoggerFactory.getLogger(FineTuner.class);

    /**
     * @param steps           optimisation steps (0: {@code epochs} passes over the training split)
     * @param epochs          passes over the training split when {@code steps} is 0
     * @param batchSize       examples per step
     * @param lr              peak learning rate (after warmup; linear decay to 0 after it)
     * @param warmupSteps     linear warmup steps
     * @param weightDecay     AdamW's decoupled weight decay (matrices only)
     * @param maxLength       longest example in tokens; longer training examples are left out (and counted)
     * @param clipNorm        global gradient-norm clip (0: none)
     * @param evalEvery       steps between validation losses (-1: an eighth of the run, as the original; 0: none)
     * @param evalBatches     validation batches per evaluation
     * @param checkpointEvery steps between checkpoints (-1: half the run, as the original; 0: only at the end)
     * @param seed            data-order seed
     * @param pack            pack several examples into each row (same loss and gradients, less padding) instead of
     *                        one right-padded example per row
     * @param recompute       activation recomputation per block (null: when needed to fit)
     * @param moments         AdamW moment storage (null: F32 when it fits, else BF16)
     * @param saveDType       storage type of the final model (F32: the exact trained weights)
     * @param force           resume or reuse the run folder even when its settings or tokenizer differ
     */
    public record Options(int steps, double epochs, int batchSize, double lr, int warmupSteps, double weightDecay, int maxLength,
                          double clipNorm, int evalEvery, int evalBatches, int checkpointEvery, long seed, boolean pack,
                          Boolean recompute, AdamW.Moments moments, DType saveDType, boolean force) {
        /**
         * Checks the options: counts, rates and lengths in range, and a save type given.
         * @param steps optimisation steps, at least 0 (0: {@code epochs} passes)
         * @param epochs passes over the training split when {@code steps} is 0; positive
         * @param batchSize examples per step, at least 1
         * @param lr peak learning rate; positive
         * @param warmupSteps linear warmup steps, at least 0
         * @param weightDecay AdamW's decoupled weight decay, at least 0
         * @param maxLength longest example in tokens, at least 2
         * @param clipNorm global gradient-norm clip, at least 0 (0: none)
         * @param evalEvery steps between validation losses, at least -1 (-1: an eighth of the run; 0: none)
         * @param evalBatches validation batches per evaluation, at least 1
         * @param checkpointEvery steps between checkpoints, at least -1 (-1: half the run; 0: only at the end)
         * @param seed data-order seed
         * @param pack whether to pack several examples into each row
         * @param recompute activation recomputation per block, or null to decide from the memory plan
         * @param moments AdamW moment storage, or null to decide from the memory plan
         * @param saveDType storage type of the final model; not null
         * @param force whether to resume or reuse the run folder even when its settings or tokenizer differ
         */
        public Options {
            if (steps < 0 || !(epochs > 0) || batchSize < 1 || !(lr > 0) || warmupSteps < 0 || weightDecay < 0 || maxLength < 2
                    || clipNorm < 0 || evalEvery < -1 || evalBatches < 1 || checkpointEvery < -1 || saveDType == null) {
                throw new IllegalArgumentException("bad fine-tuning options: " + this);
            }
        }

        /**
         * The recipe of the TinySQL fine-tunes (the HuggingFace Trainer as the original finetune.py drove it): one epoch,
         * batch 8, learning rate 2e-5 with 50 warmup steps and linear decay, AdamW (0.9, 0.999) with weight decay 0.01,
         * gradient clipping at 1, sequences up to 512 tokens, validation every eighth and a checkpoint every half of
         * the run.
         * @return the options of the original fine-tunes
         */
        public static Options paper() {
            return new Options(0, 1, 8, 2e-5, 50, 0.01, 512, 1.0, -1, 8, -1, 42, false, null, null, DType.F32, false);
        }

        /**
         * The same options with a fixed number of steps.
         * @param n optimisation steps (0: {@code epochs} passes over the training split)
         * @return new options; these are unchanged
         */
        public Options withSteps(int n) {
            return new Options(n, epochs, batchSize, lr, warmupSteps, weightDecay, maxLength, clipNorm, evalEvery, evalBatches,
                    checkpointEvery, seed, pack, recompute, moments, saveDType, force);
        }

        /**
         * The same options with another batch size.
         * @param n examples per step, at least 1
         * @return new options; these are unchanged
         */
        public Options withBatch(int n) {
            return new Options(steps, epochs, n, lr, warmupSteps, weightDecay, maxLength, clipNorm, evalEvery, evalBatches,
                    checkpointEvery, seed, pack, recompute, moments, saveDType, force);
        }

        /**
         * The same options with another learning rate and warmup.
         * @param peak the peak learning rate
         * @param warmup linear warmup steps
         * @return new options; these are unchanged
         */
        public Options withLr(double peak, int warmup) {
            return new Options(steps, epochs, batchSize, peak, warmup, weightDecay, maxLength, clipNorm, evalEvery, evalBatches,
                    checkpointEvery, seed, pack, recompute, moments, saveDType, force);
        }

        /**
         * The same options with other memory settings.
         * @param recomputation activation recomputation per block, or null to decide from the memory plan
         * @param storage AdamW moment storage, or null to decide from the memory plan
         * @return new options; these are unchanged
         */
        public Options withMemory(Boolean recomputation, AdamW.Moments storage) {
            return new Options(steps, epochs, batchSize, lr, warmupSteps, weightDecay, maxLength, clipNorm, evalEvery, evalBatches,
                    checkpointEvery, seed, pack, recomputation, storage, saveDType, force);
        }

        /**
         * The same options with other validation and checkpoint intervals.
         * @param every steps between validation losses (-1: an eighth of the run; 0: none)
         * @param batches validation batches per evaluation
         * @param checkpointsEvery steps between checkpoints (-1: half the run; 0: only at the end)
         * @return new options; these are unchanged
         */
        public Options withEvaluation(int every, int batches, int checkpointsEvery) {
            return new Options(steps, epochs, batchSize, lr, warmupSteps, weightDecay, maxLength, clipNorm, every, batches,
                    checkpointsEvery, seed, pack, recompute, moments, saveDType, force);
        }

        /**
         * The same options with or without forced reuse of the run folder.
         * @param on true to resume or reuse the run folder even when its settings or tokenizer differ
         * @return new options; these are unchanged
         */
        public Options withForce(boolean on) {
            return new Options(steps, epochs, batchSize, lr, warmupSteps, weightDecay, maxLength, clipNorm, evalEvery, evalBatches,
                    checkpointEvery, seed, pack, recompute, moments, saveDType, on);
        }
    }

    /**
     * What a fine-tune did.
     *
     * @param model        the final model folder
     * @param parameters   the trained weights (what the folder holds, in memory)
     * @param config       its config (vocabulary, EOS and pad ids)
     * @param tokenizer    what the run trained with
     * @param plan         the memory plan it ran with
     * @param trainExamples training examples used
     * @param skipped      training examples left out for exceeding {@link Options#maxLength()}
     * @param history      every step's loss
     * @param evals        the validation losses
     */
    public record Result(Path model, Parameters parameters, ModelConfig config, FinetuneTokenizer.Prepared tokenizer, MemoryPlan plan, int trainExamples,
                         int skipped, List<Trainer.StepLog> history, List<Trainer.EvalLog> evals) {
    }

    private FineTuner() {
    }

    /**
     * Fine-tunes the checkpoint in {@code modelDir} on the train split of {@code dataDir} (validation loss on its
     * validation split) into {@code runDir}; run it again on the same folder to resume from the newest checkpoint.
     * {@code progress} makes the progress report once the number of steps is known (e.g. a console bar); it is closed at
     * the end.
     * @param modelDir the HuggingFace checkpoint folder (config.json, safetensors, tokenizer.json)
     * @param dataDir the TinySQL dataset folder with train and validation splits
     * @param runDir the run folder, created or resumed
     * @param o the options
     * @param progress makes the progress report from the number of steps
     * @return what the run did, with the final model folder
     * @throws IOException when a file cannot be read or written, or a checkpoint or the run folder is refused
     */
    public static Result run(Path modelDir, Path dataDir, Path runDir, Options o, LongFunction<Progress> progress)
            throws IOException {
        ModelConfig source = ModelConfig.load(modelDir.resolve("config.json"));
        FinetuneTokenizer.Prepared tp = FinetuneTokenizer.prepare(modelDir, runDir, source.maxPositions(), o.force());
        int tokenizerIds = tp.tokenizer().vocabSize() - (tp.padAdded() ? 1 : 0);
        if (tokenizerIds > source.vocabSize()) {
            throw new IllegalArgumentException(modelDir + ": tokenizer.json has " + tokenizerIds + " ids but the model only "
                    + source.vocabSize() + " embedding rows (vocab_size): they do not belong together");
        }
        int maxLength = Math.min(o.maxLength(), source.maxSequenceLength());
        List<TinySqlExample> all = DatasetIO.read(dataDir, Split.TRAIN);
        List<TinySqlExample> train = fitting(all, tp.tokenizer(), maxLength, "training");
        List<TinySqlExample> val = fitting(DatasetIO.read(dataDir, Split.VALIDATION), tp.tokenizer(), maxLength, "validation");
        if (train.size() < o.batchSize()) {
            throw new IllegalArgumentException(dataDir + ": " + train.size() + " training examples fit in " + maxLength
                    + " tokens, fewer than one batch of " + o.batchSize());
        }
        int steps = o.steps() > 0 ? o.steps() : (int) Math.max(1, Math.floor(o.epochs() * train.size() / o.batchSize()));
        int[] longest = longest(train, tp.tokenizer(), maxLength);
        ModelConfig target = source.withVocabSize(Math.max(source.vocabSize(), tp.tokenizer().vocabSize()))
                .withTokens(source.bosTokenId(), tp.eosId()).withPadToken(tp.padId());
        MemoryPlan plan = MemoryPlan.choose(target, o.batchSize(), longest[0], o.batchSize() * longest[1], MemoryPlan.budget(),
                o.recompute(),
                o.moments() != null ? o.moments() : recordedMoments(runDir.resolve("checkpoints")));
        LOG.info("memory plan: {}", plan);

        Parameters weights = EmbeddingResize.resize(HfCheckpoint.load(modelDir, source), target.vocabSize()).withConfig(target);
        Transformer model = new Transformer(weights);
        model.setRecompute(plan.recompute());
        TrainerConfig tc = new TrainerConfig(steps, o.batchSize(), o.lr(), 0, o.warmupSteps(), o.weightDecay(), o.clipNorm(),
                o.evalEvery() < 0 ? Math.max(1, steps / 8) : o.evalEvery(), o.evalBatches(),
                o.checkpointEvery() < 0 ? Math.max(1, steps / 2) : o.checkpointEvery(), 2, o.seed(), maxLength, 1, o.pack(),
                o.force(), OptimizerConfig.HF.withMoments(plan.moments()), Curriculum.NONE);
        Trainer trainer = new Trainer(model, tp.tokenizer(), tp.files(), train, val, tc, runDir.resolve("checkpoints"),
                StepLoss.MODEL);
        LOG.info("fine-tuning {} ({}) on {} examples of {}: {} steps of {}", modelDir, target, train.size(), dataDir, steps,
                o.batchSize());
        try (Progress bar = progress.apply(steps)) {
            trainer.run(bar);
        } finally {
            model.setRecompute(false);
        }
        Path out = saveModel(model.parameters(), tp.files(), runDir.resolve("model"), o.saveDType());
        return new Result(out, model.parameters(), target, tp, plan, train.size(), all.size() - train.size(), trainer.history(), trainer.evals());
    }

    /**
     * The moment storage the newest checkpoint of a run was written with, or null (no checkpoint, or an older one that
     * does not say): a resume keeps it, so that an automatic choice made with more or less free memory than last time
     * does not turn the resume into another run.
     */
    private static AdamW.Moments recordedMoments(Path checkpoints) throws IOException {
        var last = new CheckpointStore(checkpoints, 1, Map.of()).latest();
        if (last.isEmpty()) {
            return null;
        }
        Object m = TrainerState.read(last.get().resolve(TrainerState.FILE)).settings().values().get("optimizer_moments");
        try {
            return m == null ? null : AdamW.Moments.parse(m.toString());
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(last.get().resolve(TrainerState.FILE), "optimizer_moments", e.getMessage());
        }
    }

    /** The examples whose prompt, response and EOS fit in {@code maxLength} tokens; the others are counted and logged. */
    private static List<TinySqlExample> fitting(List<TinySqlExample> all, Tokenizer tok, int maxLength, String what) {
        List<TinySqlExample> out = new ArrayList<>(all.size());
        for (TinySqlExample e : all) {
            if (length(e, tok) <= maxLength) {
                out.add(e);
            }
        }
        if (out.size() < all.size()) {
            LOG.warn("{} of {} {} examples are longer than {} tokens and are left out", all.size() - out.size(), all.size(), what,
                    maxLength);
        }
        return out;
    }

    private static int length(TinySqlExample e, Tokenizer tok) {
        return EncodedExample.promptIds(e, tok).length + EncodedExample.responseIds(e, tok).length + 1;
    }

    /**
     * The row length the memory plan is made for (the longest of the first 4096 training examples, rounded as batches
     * are, at most {@code cap}) and the longest response with its EOS (the labelled rows per example).
     */
    private static int[] longest(List<TinySqlExample> train, Tokenizer tok, int cap) {
        int n = 2;
        int response = 1;
        for (int i = 0; i < Math.min(train.size(), 4096); i++) {
            n = Math.max(n, length(train.get(i), tok));
            response = Math.max(response, EncodedExample.responseIds(train.get(i), tok).length + 1);
        }
        return new int[] {Math.min(cap, (n + Trainer.PAD_MULTIPLE - 1) / Trainer.PAD_MULTIPLE * Trainer.PAD_MULTIPLE), response};
    }

    /**
     * Writes the HuggingFace folder {@code dir}: config.json, model.safetensors ({@code dtype}) and the tokenizer files,
     * into a temporary folder first, which then replaces {@code dir}, so a crash never leaves half a model.
     */
    static Path saveModel(Parameters p, Map<String, byte[]> tokenizerFiles, Path dir, DType dtype) throws IOException {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        CheckpointStore.deleteTree(tmp);
        HfCheckpoint.save(p, tmp, dtype);
        for (Map.Entry<String, byte[]> f : tokenizerFiles.entrySet()) {
            AtomicFiles.write(tmp.resolve(f.getKey()), (AtomicFiles.StreamWriter) out -> out.write(f.getValue()));
        }
        CheckpointStore.deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        LOG.info("model written to {} ({})", dir, dtype.name().toLowerCase(Locale.ROOT));
        return dir;
    }
}
