package org.tinysql.train;

import static org.tinysql.tensor.Buffers.fb;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.data.TinySqlExample;
import org.tinysql.model.HfCheckpoint;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.DType;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.AtomicFiles;
import org.tinysql.util.Progress;

/**
 * Supervised fine-tuning / training from scratch on TinySQL: loss only on response tokens, AdamW, warmup + cosine
 * learning rate, gradient-norm clipping, periodic validation loss, a NaN/Inf guard and atomic checkpoints
 * ({@code step-N/}: model.safetensors + config.json in HF layout, optimizer.safetensors, trainer_state.json,
 * tokenizer.json). The data order is a function of (seed, step), so a run resumed from a checkpoint produces the
 * same losses, bit for bit, as the uninterrupted run. Before step 1 the checkpoint folder is checked and cleaned
 * ({@link CheckpointStore#open}); a checkpoint's trainer_state.json is validated before a resume uses it, and a resume
 * with other settings than the checkpoint's is refused unless {@link TrainerConfig#force()}.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    /**
     * One optimisation step's record.
     * @param step the step number after the update (1 for the first step)
     * @param loss the training loss of the step's batch, in nats per scored token
     * @param lr the learning rate the update used
     * @param gradNorm the global gradient L2 norm before clipping (NaN for steps restored from a checkpoint)
     * @param tokensPerSecond real (non-padding) batch tokens per second of the step (NaN for restored steps)
     */
    public record StepLog(long step, double loss, double lr, double gradNorm, double tokensPerSecond) {
    }

    /**
     * A validation record.
     * @param step the step after which the validation ran
     * @param loss the mean validation loss, in nats per scored token
     */
    public record EvalLog(long step, double loss) {
    }

    /** Batches are padded to a multiple of this many tokens (fewer distinct shapes to keep buffers for). */
    static final int PAD_MULTIPLE = 8;

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final TrainerConfig cfg;
    private final List<EncodedExample> train;
    private final List<EncodedExample> val;
    private final BatchOrder order;
    /** The batches of the curriculum's first steps (see {@link Curriculum}), or null without one. */
    private final BatchOrder shortOrder;
    /** Checkpoints, or null when the run keeps none. */
    private final CheckpointStore store;
    private final StepLoss stepLoss;
    private final AdamW opt;
    private final LrSchedule schedule;
    private final List<StepLog> history = new ArrayList<>();
    private final List<EvalLog> evals = new ArrayList<>();
    private long step;
    private long resumedFrom;

    /**
     * A trainer that keeps no checkpoints (an interrupted run starts again from step 0).
     * @param model the model to train, in place
     * @param tokenizer encodes the examples; its pad id pads the batches
     * @param trainSet the training examples; at least one batch of them
     * @param valSet the validation examples (may be empty)
     * @param cfg the run's settings
     */
    public Trainer(Transformer model, Tokenizer tokenizer, List<TinySqlExample> trainSet, List<TinySqlExample> valSet,
                   TrainerConfig cfg) {
        this(model, tokenizer, trainSet, valSet, cfg, null);
    }

    /**
     * A trainer whose checkpoints (if {@code checkpointDir} is not null) hold the tokenizer's tokenizer.json when it
     * is a {@link SqlVocabTokenizer}; for other tokenizers pass the file, see the other constructor.
     * @param model the model to train, in place
     * @param tokenizer encodes the examples; its pad id pads the batches
     * @param trainSet the training examples; at least one batch of them
     * @param valSet the validation examples (may be empty)
     * @param cfg the run's settings
     * @param checkpointDir the checkpoint folder, or null to keep no checkpoints
     */
    public Trainer(Transformer model, Tokenizer tokenizer, List<TinySqlExample> trainSet, List<TinySqlExample> valSet,
                   TrainerConfig cfg, Path checkpointDir) {
        this(model, tokenizer, TokenizerFiles.json(tokenizer), trainSet, valSet, cfg, checkpointDir, StepLoss.MODEL);
    }

    /**
     * A trainer that puts {@code tokenizerJson} (the file {@code tokenizer} was loaded from) into every checkpoint; the
     * file is read now, so the run does not depend on it any more.
     * @param model the model to train, in place
     * @param tokenizer encodes the examples; its pad id pads the batches
     * @param tokenizerJson the tokenizer.json to copy into every checkpoint
     * @param trainSet the training examples; at least one batch of them
     * @param valSet the validation examples (may be empty)
     * @param cfg the run's settings
     * @param checkpointDir the checkpoint folder, or null to keep no checkpoints
     * @throws IOException when {@code tokenizerJson} cannot be read
     */
    public Trainer(Transformer model, Tokenizer tokenizer, Path tokenizerJson, List<TinySqlExample> trainSet,
                   List<TinySqlExample> valSet, TrainerConfig cfg, Path checkpointDir) throws IOException {
        this(model, tokenizer, TokenizerFiles.read(tokenizerJson), trainSet, valSet, cfg, checkpointDir, StepLoss.MODEL);
    }

    /** The seam for tests: {@code stepLoss} computes each step's loss. */
    Trainer(Transformer model, Tokenizer tokenizer, byte[] tokenizerJson, List<TinySqlExample> trainSet,
            List<TinySqlExample> valSet, TrainerConfig cfg, Path checkpointDir, StepLoss stepLoss) {
        this(model, tokenizer, tokenizerJson == null ? Map.of() : Map.of(CheckpointStore.TOKENIZER_JSON, tokenizerJson), trainSet,
                valSet, cfg, checkpointDir, stepLoss);
    }

    /** A trainer whose checkpoints get {@code tokenizerFiles} (name to content; a fine-tune's tokenizer.json and config). */
    Trainer(Transformer model, Tokenizer tokenizer, Map<String, byte[]> tokenizerFiles, List<TinySqlExample> trainSet,
            List<TinySqlExample> valSet, TrainerConfig cfg, Path checkpointDir, StepLoss stepLoss) {
        if (trainSet.size() < cfg.batchSize()) {
            throw new IllegalArgumentException("training set of " + trainSet.size() + " examples is smaller than one batch of "
                    + cfg.batchSize());
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.cfg = cfg;
        this.train = trainSet.stream().map(e -> EncodedExample.of(e, tokenizer, cfg.maxLength())).toList();
        this.val = valSet.stream().map(e -> EncodedExample.of(e, tokenizer, cfg.maxLength())).toList();
        this.order = new BatchOrder(train, cfg.batchSize(), cfg.lengthBuckets(), cfg.seed());
        this.shortOrder = cfg.curriculum().active() ? cfg.curriculum().batchOrder(trainSet, train, cfg) : null;
        this.store = checkpointDir == null ? null : new CheckpointStore(checkpointDir, cfg.keepCheckpoints(), tokenizerFiles);
        this.stepLoss = stepLoss;
        OptimizerConfig o = cfg.optimizer();
        this.opt = new AdamW(model.parameters(), o.beta1(), o.beta2(), o.eps(), cfg.weightDecay(), o.moments());
        this.schedule = new LrSchedule(cfg.peakLr(), cfg.minLr(), cfg.warmupSteps(), cfg.steps(), o.schedule());
    }

    /**
     * Number of training examples (encoded; the trainer keeps no parsed examples).
     * @return the number of encoded training examples
     */
    public int trainingExamples() {
        return train.size();
    }

    /**
     * The log of every step so far, including those restored from a resumed checkpoint (without norms and speeds).
     * @return the trainer's live list, oldest first
     */
    public List<StepLog> history() {
        return history;
    }

    /**
     * The validation records of this trainer's runs.
     * @return the trainer's live list, oldest first
     */
    public List<EvalLog> evals() {
        return evals;
    }

    /**
     * The number of steps completed so far.
     * @return the current step (0 before the first)
     */
    public long step() {
        return step;
    }

    /**
     * The step the last run resumed from (the newest checkpoint's), or 0 when it started from scratch.
     * @return the resumed step, or 0
     */
    public long resumedFrom() {
        return resumedFrom;
    }

    /** The batch of step {@code s} (see {@link BatchOrder}): from the short examples during a {@link Curriculum}. */
    List<EncodedExample> batchAt(long s) {
        return shortOrder != null && s < cfg.curriculum().steps() ? shortOrder.at(s) : order.at(s);
    }

    /**
     * Trains until {@code cfg.steps()}, resuming from the newest checkpoint in the checkpoint folder if there is one. A
     * resume reads the checkpoint straight into the model's parameters (a second copy of a large model would not fit),
     * so when it fails on a damaged checkpoint the parameters are partly overwritten: start again from the original
     * weights.
     * @param progress receives one unit per step and a status line with the loss
     * @return the log of every step, as {@link #history()}
     * @throws IOException when the checkpoint folder cannot be read or written, or a checkpoint is refused
     */
    public List<StepLog> run(Progress progress) throws IOException {
        return runUntil(cfg.steps(), progress);
    }

    /**
     * {@link #run(Progress)} without progress reporting.
     * @return the log of every step
     * @throws IOException when the checkpoint folder cannot be read or written, or a checkpoint is refused
     */
    public List<StepLog> run() throws IOException {
        return run(Progress.NONE);
    }

    /**
     * Trains until step {@code stop} (at most {@code cfg.steps()}), as if interrupted there: a checkpoint is written at
     * the stop, and a later {@link #run} on the same folder continues exactly where this one ended.
     * @param stop the step to stop after (capped at {@code cfg.steps()})
     * @param progress receives one unit per step and a status line with the loss
     * @return the log of every step, as {@link #history()}
     * @throws IOException when the checkpoint folder cannot be read or written, or a checkpoint is refused
     */
    public List<StepLog> runUntil(long stop, Progress progress) throws IOException {
        if (store != null) {
            long params = model.parameters().count();
            store.open(params * 4L + AdamW.stateBytes(params, opt.moments())); // the model in F32 and AdamW's moments
            resume();
        }
        long end = Math.min(stop, cfg.steps());
        progress.advance(step);
        while (step < end) {
            long t0 = System.nanoTime();
            Batch b = batch(batchAt(step));
            // Logits only where the loss looks (the response tokens): most of the vocabulary GEMM is skipped.
            double loss = stepLoss.compute(model, b, step);
            double gradNorm = Double.NaN;
            model.zeroGrad();
            if (Double.isFinite(loss)) {
                model.backward();
                gradNorm = clip(model.gradients(), cfg.clipNorm());
            }
            if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
                throw new TrainingDivergedException(String.format(Locale.ROOT,
                        "training diverged at step %d: loss %s, gradient norm %s; parameters were not updated%s", step, loss,
                        gradNorm, store == null ? "" : "; the last good checkpoint is kept in " + store.dir()));
            }
            double lr = schedule.at(step);
            opt.step(model.parameters(), model.gradients(), lr);
            step++;
            double secs = (System.nanoTime() - t0) / 1e9;
            StepLog log = new StepLog(step, loss, lr, gradNorm, b.tokens() / secs);
            history.add(log);
            progress.status(String.format(Locale.ROOT, "loss %.4f lr %.2e %.0f tok/s", loss, lr, log.tokensPerSecond()));
            progress.advance(1);
            if (cfg.evalEvery() > 0 && (step % cfg.evalEvery() == 0 || step == cfg.steps()) && !val.isEmpty()) {
                evals.add(new EvalLog(step, validationLoss()));
                LOG.info("step {}: train loss {}, validation loss {}", step, String.format(Locale.ROOT, "%.4f", loss),
                        String.format(Locale.ROOT, "%.4f", evals.get(evals.size() - 1).loss()));
            }
            if (store != null && ((cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0) || step == end)) {
                save();
            }
        }
        return history;
    }

    /** The examples as model input: packed rows or one example per row, per the configuration. */
    private Batch batch(List<EncodedExample> examples) {
        int pad = Math.max(0, tokenizer.padId());
        return cfg.pack() ? Batch.packed(examples, pad, PAD_MULTIPLE, cfg.maxLength())
                : Batch.of(examples, pad, PAD_MULTIPLE, cfg.maxLength());
    }

    /**
     * Mean validation loss over the first {@code evalBatches} batches of the validation set.
     * @return the mean over batches of each batch's loss (nats per scored token), or NaN without validation batches
     */
    public double validationLoss() {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < cfg.evalBatches() && i * cfg.batchSize() < val.size(); i++) {
            List<EncodedExample> part = val.subList(i * cfg.batchSize(), Math.min(val.size(), (i + 1) * cfg.batchSize()));
            Batch b = batch(part);
            sum += model.forwardLoss(b.ids(), b.mask(), b.positions(), b.labels(), false);
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * Scales gradients so their global L2 norm is at most {@code max}; returns the norm before clipping.
     * @param grads the gradients, scaled in place
     * @param max the largest allowed norm (0 or less: no clipping)
     * @return the global L2 norm before clipping
     */
    public static double clip(Parameters grads, double max) {
        double ss = 0;
        for (INDArray g : grads.asMap().values()) {
            FloatBuffer b = fb(g);
            for (int i = 0; i < g.length(); i++) {
                double v = b.get(i);
                ss += v * v;
            }
        }
        double norm = Math.sqrt(ss);
        if (max > 0 && norm > max && Double.isFinite(norm)) {
            float s = (float) (max / (norm + 1e-6));
            for (INDArray g : grads.asMap().values()) {
                FloatBuffer b = fb(g);
                for (int i = 0; i < g.length(); i++) {
                    b.put(i, b.get(i) * s);
                }
            }
        }
        return norm;
    }

    /**
     * Writes checkpoint step-N/ (see {@link CheckpointStore}) and prunes old checkpoints.
     * @return the checkpoint folder written
     * @throws IOException when the checkpoint cannot be written
     */
    public Path save() throws IOException {
        if (store == null) {
            throw new IllegalStateException("this trainer has no checkpoint folder");
        }
        double[] losses = history.stream().mapToDouble(StepLog::loss).toArray();
        TrainerState state = new TrainerState(step, opt.stepCount(), RunSettings.of(cfg, train.size()), cfg.pack(), losses);
        return store.save(step, tmp -> {
            HfCheckpoint.save(model.parameters(), tmp, DType.F32);
            opt.save(tmp.resolve("optimizer.safetensors"));
            AtomicFiles.writeString(tmp.resolve(TrainerState.FILE), state.toJson());
        });
    }

    /**
     * Completed checkpoints (step-N folders), oldest first.
     * @param dir the checkpoint folder
     * @return the step-N folders found
     * @throws IOException when the folder cannot be listed
     */
    public static List<Path> checkpoints(Path dir) throws IOException {
        return CheckpointStore.list(dir);
    }

    /**
     * Continues from the newest checkpoint, if any: refuses one written with other settings (each difference listed)
     * unless {@link TrainerConfig#force()}.
     */
    private void resume() throws IOException {
        Optional<Path> found = store.latest();
        if (found.isEmpty()) {
            return;
        }
        Path last = found.get();
        TrainerState st = TrainerState.read(last.resolve(TrainerState.FILE));
        RunSettings now = RunSettings.of(cfg, train.size());
        List<String> diffs = new ArrayList<>(st.settings().differences(now));
        for (Map.Entry<String, byte[]> f : store.files().entrySet()) {
            if (TokenizerFiles.differs(last.resolve(f.getKey()), f.getValue())) {
                diffs.add(f.getKey() + " differs");
            }
        }
        if (!diffs.isEmpty() && !cfg.force()) {
            // A user's mistake (FileAlreadyExistsException: the folder holds another run), not a failure.
            throw new java.nio.file.FileAlreadyExistsException(null, null, "refusing to resume from " + last + ": it was written with other settings (checkpoint -> now): "
                    + String.join(", ", diffs) + "; use another folder for a new run, or resume anyway with force"
                    + " (TrainerConfig.withForce; the CLI's force option)");
        }
        if (!diffs.isEmpty()) {
            LOG.warn("resuming from {} with other settings than it was written with (forced): {}", last, String.join(", ", diffs));
        }
        List<String> unrecorded = st.settings().unrecorded(now);
        if (!unrecorded.isEmpty()) {
            LOG.warn("{} does not record {}; resuming without checking them", last, String.join(", ", unrecorded));
        }
        HfCheckpoint.loadInto(last, model.parameters());
        opt.load(last.resolve("optimizer.safetensors"), st.optimizerStep());
        step = st.step();
        resumedFrom = step;
        history.clear();
        double[] losses = st.losses();
        for (int i = 0; i < losses.length; i++) {
            history.add(new StepLog(i + 1, losses[i], schedule.at(i), Double.NaN, Double.NaN));
        }
        LOG.info("resumed from {} at step {}", last, step);
    }
}
