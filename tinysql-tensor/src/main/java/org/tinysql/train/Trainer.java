package org.tinysql.train;

import static org.tinysql.tensor.Buffers.fb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.data.TinySqlExample;
import org.tinysql.model.HfCheckpoint;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.SafeTensors;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.Progress;

/**
 * Supervised fine-tuning / training from scratch on TinySQL: loss only on response tokens, AdamW, warmup + cosine
 * learning rate, gradient-norm clipping, periodic validation loss, a NaN/Inf guard and atomic checkpoints
 * ({@code step-N/}: model.safetensors + config.json in HF layout, optimizer.safetensors, trainer_state.json,
 * tokenizer.json). The data order is a function of (seed, step), so a run resumed from a checkpoint produces the
 * same losses, bit for bit, as the uninterrupted run.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * @param steps           optimisation steps in total
     * @param batchSize       examples per step
     * @param peakLr          learning rate after warmup
     * @param minLr           learning rate at the end of the cosine decay
     * @param warmupSteps     linear warmup steps
     * @param weightDecay     AdamW decoupled weight decay
     * @param clipNorm        global gradient-norm clip (0 disables)
     * @param evalEvery       steps between validation losses (0 disables)
     * @param evalBatches     validation batches per evaluation
     * @param checkpointEvery steps between checkpoints (0: only at the end)
     * @param keepCheckpoints how many checkpoints to keep
     * @param seed            data-order seed
     * @param maxLength       longest example in tokens
     * @param lengthBuckets   batches per group sorted by length (1 = plain shuffled batches). Measured on CS1: 16
     *                        cut padding but made batches homogeneous in length (and so in the number of fields),
     *                        which slowed learning (73.6% exact match after 5000 steps against 94.0%); packing
     *                        removes the padding without that cost
     * @param pack            pack several examples into each row (segment-masked attention, positions restarting per
     *                        example): the same loss and gradients as one example per row, with almost no padding
     */
    public record Config(int steps, int batchSize, double peakLr, double minLr, int warmupSteps, double weightDecay,
                         double clipNorm, int evalEvery, int evalBatches, int checkpointEvery, int keepCheckpoints, long seed,
                         int maxLength, int lengthBuckets, boolean pack) {

        public Config {
            if (steps < 0 || batchSize < 1 || lengthBuckets < 1 || maxLength < 2) {
                throw new IllegalArgumentException("need steps >= 0, batchSize >= 1, lengthBuckets >= 1 and maxLength >= 2: steps "
                        + steps + ", batchSize " + batchSize + ", lengthBuckets " + lengthBuckets + ", maxLength " + maxLength);
            }
        }

        public Config(int steps, int batchSize, double peakLr, double minLr, int warmupSteps, double weightDecay,
                      double clipNorm, int evalEvery, int evalBatches, int checkpointEvery, int keepCheckpoints, long seed,
                      int maxLength) {
            this(steps, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches, checkpointEvery,
                    keepCheckpoints, seed, maxLength, 1, true);
        }

        public static Config defaults(int steps, int batchSize) {
            return new Config(steps, batchSize, 1e-3, 1e-4, Math.max(1, steps / 20), 0.01, 1.0, 0, 4, 0, 2, 1234, 512);
        }

        public Config withLengthBuckets(int groups) {
            return new Config(steps, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches,
                    checkpointEvery, keepCheckpoints, seed, maxLength, groups, pack);
        }

        /** The same configuration with packing on or off (see {@code pack}). */
        public Config withPacking(boolean on) {
            return new Config(steps, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches,
                    checkpointEvery, keepCheckpoints, seed, maxLength, lengthBuckets, on);
        }

        public Config withLr(double peak, double min) {
            return new Config(steps, batchSize, peak, min, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches,
                    checkpointEvery, keepCheckpoints, seed, maxLength, lengthBuckets, pack);
        }

        public Config withSteps(int s) {
            return new Config(s, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, evalEvery, evalBatches,
                    checkpointEvery, keepCheckpoints, seed, maxLength, lengthBuckets, pack);
        }

        public Config withCheckpoints(int every, int eval) {
            return new Config(steps, batchSize, peakLr, minLr, warmupSteps, weightDecay, clipNorm, eval, evalBatches, every,
                    keepCheckpoints, seed, maxLength, lengthBuckets, pack);
        }
    }

    /** One optimisation step's record. */
    public record StepLog(long step, double loss, double lr, double gradNorm, double tokensPerSecond) {
    }

    /** A validation record. */
    public record EvalLog(long step, double loss) {
    }

    /** Batches are padded to a multiple of this many tokens (fewer distinct shapes to keep buffers for). */
    static final int PAD_MULTIPLE = 8;

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final Config cfg;
    private final List<EncodedExample> train;
    private final List<EncodedExample> val;
    private final Path checkpointDir;
    private final AdamW opt;
    private final LrSchedule schedule;
    private final List<StepLog> history = new ArrayList<>();
    private final List<EvalLog> evals = new ArrayList<>();
    private long step;
    /** Test hook: a step at which the loss is replaced by NaN (simulates divergence). */
    private long poisonStep = -1;

    public Trainer(Transformer model, Tokenizer tokenizer, List<TinySqlExample> trainSet, List<TinySqlExample> valSet,
                   Config cfg, Path checkpointDir) {
        if (trainSet.size() < cfg.batchSize()) {
            throw new IllegalArgumentException("training set of " + trainSet.size() + " examples is smaller than one batch of "
                    + cfg.batchSize());
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.cfg = cfg;
        this.train = trainSet.stream().map(e -> EncodedExample.of(e, tokenizer, cfg.maxLength())).toList();
        this.val = valSet.stream().map(e -> EncodedExample.of(e, tokenizer, cfg.maxLength())).toList();
        this.checkpointDir = checkpointDir;
        this.opt = new AdamW(model.parameters(), 0.9, 0.95, 1e-8, cfg.weightDecay());
        this.schedule = new LrSchedule(cfg.peakLr(), cfg.minLr(), cfg.warmupSteps(), cfg.steps());
    }

    public List<StepLog> history() {
        return history;
    }

    public List<EvalLog> evals() {
        return evals;
    }

    public long step() {
        return step;
    }

    void poisonAt(long s) {
        poisonStep = s;
    }

    /**
     * The batch of step {@code s}. Epoch s / stepsPerEpoch is a seeded permutation of the training set, cut into
     * groups of {@code lengthBuckets} batches; each group is sorted by length and split into batches, which are
     * visited in a seeded order. Examples of similar length share a batch, so little of it is padding, while every
     * example is still seen once per epoch; the batches are no longer random samples, though, which slowed learning
     * on CS1 (see {@link Config}), so the default is 1 and {@code pack} removes the padding instead.
     */
    List<EncodedExample> batchAt(long s) {
        int bs = cfg.batchSize();
        int perEpoch = train.size() / bs;
        long epoch = s / perEpoch;
        int idx = (int) (s % perEpoch);
        int[] perm = permutation(epoch);
        int groupSize = cfg.lengthBuckets();
        int first = idx / groupSize * groupSize;
        int n = Math.min(groupSize, perEpoch - first);
        int[] group = group(epoch, first, n, perm);
        int slot = group[group.length - n + (idx - first)];
        List<EncodedExample> b = new ArrayList<>(bs);
        for (int i = 0; i < bs; i++) {
            b.add(train.get(group[slot * bs + i]));
        }
        return b;
    }

    private long lastGroupKey = -1;
    private int[] lastGroup;

    /**
     * Example indices of the n batches from batch {@code first} of the epoch, sorted by length (ties keep permutation
     * order), followed by the seeded visiting order of those n batches.
     */
    private int[] group(long epoch, int first, int n, int[] perm) {
        long key = epoch * 1_000_003L + first;
        if (key == lastGroupKey) {
            return lastGroup;
        }
        int bs = cfg.batchSize();
        Integer[] members = new Integer[n * bs];
        for (int i = 0; i < members.length; i++) {
            members[i] = perm[first * bs + i];
        }
        if (n > 1) {
            java.util.Arrays.sort(members, Comparator.comparingInt(i -> train.get(i).ids().length));
        }
        int[] out = new int[members.length + n];
        for (int i = 0; i < members.length; i++) {
            out[i] = members[i];
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(cfg.seed() * 7_919L + key);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        System.arraycopy(order, 0, out, members.length, n);
        lastGroupKey = key;
        lastGroup = out;
        return out;
    }

    private int[] lastPerm;
    private long lastEpoch = -1;

    private int[] permutation(long epoch) {
        if (epoch != lastEpoch) {
            int[] p = new int[train.size()];
            for (int i = 0; i < p.length; i++) {
                p[i] = i;
            }
            SplittableRandom r = new SplittableRandom(cfg.seed() * 1_000_003L + epoch);
            for (int i = p.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            lastPerm = p;
            lastEpoch = epoch;
        }
        return lastPerm;
    }

    /** Trains until {@code cfg.steps()}, resuming from the newest checkpoint in the checkpoint folder if there is one. */
    public List<StepLog> run(Progress progress) throws IOException {
        return runUntil(cfg.steps(), progress);
    }

    /**
     * Trains until step {@code stop} (at most {@code cfg.steps()}), as if interrupted there: a checkpoint is written at
     * the stop, and a later {@link #run} on the same folder continues exactly where this one ended.
     */
    public List<StepLog> runUntil(long stop, Progress progress) throws IOException {
        if (checkpointDir != null) {
            resume();
        }
        long end = Math.min(stop, cfg.steps());
        progress.advance(step);
        while (step < end) {
            long t0 = System.nanoTime();
            Batch b = batch(batchAt(step));
            // Logits only where the loss looks (the response tokens): most of the vocabulary GEMM is skipped.
            model.setLogitRows(Transformer.labelledRows(b.labels()));
            double loss;
            double gradNorm = Double.NaN;
            try {
                model.forward(b.ids(), b.mask(), b.positions());
                loss = model.loss(b.labels(), true);
                if (step == poisonStep) {
                    loss = Double.NaN;
                }
                model.zeroGrad();
                if (Double.isFinite(loss)) {
                    model.backward();
                    gradNorm = clip(model.gradients(), cfg.clipNorm());
                }
            } finally {
                model.setLogitRows(null);
            }
            if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
                throw new TrainingDivergedException(String.format(Locale.ROOT,
                        "training diverged at step %d: loss %s, gradient norm %s; parameters were not updated%s", step, loss,
                        gradNorm, checkpointDir == null ? "" : "; the last good checkpoint is kept in " + checkpointDir));
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
            if (checkpointDir != null && ((cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0) || step == end)) {
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

    /** Mean validation loss over the first {@code evalBatches} batches of the validation set. */
    public double validationLoss() {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < cfg.evalBatches() && i * cfg.batchSize() < val.size(); i++) {
            List<EncodedExample> part = val.subList(i * cfg.batchSize(), Math.min(val.size(), (i + 1) * cfg.batchSize()));
            Batch b = batch(part);
            model.setLogitRows(Transformer.labelledRows(b.labels()));
            try {
                model.forward(b.ids(), b.mask(), b.positions());
                sum += model.loss(b.labels(), false);
            } finally {
                model.setLogitRows(null);
            }
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Scales gradients so their global L2 norm is at most {@code max}; returns the norm before clipping. */
    static double clip(Parameters grads, double max) {
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

    /** Writes step-N/ atomically (temp folder, then rename) and prunes old checkpoints. */
    public Path save() throws IOException {
        Files.createDirectories(checkpointDir);
        String name = String.format(Locale.ROOT, "step-%08d", step);
        Path tmp = checkpointDir.resolve(name + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        HfCheckpoint.save(model.parameters(), tmp, DType.F32);
        SafeTensors.write(tmp.resolve("optimizer.safetensors"), opt.state(), DType.F32, null);
        if (tokenizer instanceof SqlVocabTokenizer s) {
            s.save(tmp.resolve("tokenizer.json"));
        }
        ObjectNode state = MAPPER.createObjectNode();
        state.put("step", step);
        state.put("optimizer_step", opt.stepCount());
        state.put("seed", cfg.seed());
        state.put("batch_size", cfg.batchSize());
        state.put("train_examples", train.size());
        state.put("length_buckets", cfg.lengthBuckets());
        state.put("packed", cfg.pack()); // the data order does not depend on it, so a resume may change it
        var h = state.putArray("loss_history");
        history.forEach(l -> h.add(l.loss()));
        MAPPER.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("trainer_state.json").toFile(), state);
        Path dst = checkpointDir.resolve(name);
        deleteTree(dst);
        Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
        prune();
        LOG.debug("checkpoint written to {}", dst);
        return dst;
    }

    private void prune() throws IOException {
        List<Path> all = checkpoints(checkpointDir);
        for (int i = 0; i < all.size() - Math.max(1, cfg.keepCheckpoints()); i++) {
            deleteTree(all.get(i));
        }
    }

    /** Completed checkpoints (step-N folders), oldest first. */
    public static List<Path> checkpoints(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().matches("step-\\d{8}"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    private void resume() throws IOException {
        List<Path> all = checkpoints(checkpointDir);
        if (all.isEmpty()) {
            return;
        }
        Path last = all.get(all.size() - 1);
        JsonNode st = MAPPER.readTree(last.resolve("trainer_state.json").toFile());
        if (st.path("seed").asLong() != cfg.seed() || st.path("batch_size").asInt() != cfg.batchSize()
                || st.path("train_examples").asInt() != train.size()
                || st.path("length_buckets").asInt(1) != cfg.lengthBuckets()) {
            throw new IOException(last + " was written with another seed, batch size, length bucketing or training set;"
                    + " refusing to resume");
        }
        Parameters p = HfCheckpoint.load(last, model.config());
        model.parameters().copyFrom(p);
        opt.load(SafeTensors.readAll(last.resolve("optimizer.safetensors")), st.path("optimizer_step").asLong());
        step = st.path("step").asLong();
        history.clear();
        int i = 0;
        for (JsonNode l : st.path("loss_history")) {
            history.add(new StepLog(++i, l.asDouble(), schedule.at(i - 1), Double.NaN, Double.NaN));
        }
        LOG.info("resumed from {} at step {}", last, step);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
