package org.tinysql.cli;

import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.data.DatasetMeta;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.StrictJson;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.train.SmallModelRecipe;
import org.tinysql.train.Trainer;
import org.tinysql.train.TrainerConfig;
import org.tinysql.train.TrainingRecipe;
import org.tinysql.util.AtomicFiles;
import org.tinysql.util.ConsoleProgressBar;

/**
 * Training one model from scratch into a run folder, resuming from its checkpoints: {@code tinysql train} and every
 * cell of {@code tinysql zoo}. The folder gets tokenizer.json (copied from the dataset first), checkpoints/, the final
 * model/ (HF layout) and {@value #TRAINING_JSON} (the {@link Report}).
 */
public final class TrainRun {
    /** The report of a finished training, in the run folder. */
    public static final String TRAINING_JSON = "training.json";
    /** Largest tokenizer.json accepted (large BPE vocabularies are about 10 MiB). */
    private static final long MAX_TOKENIZER_BYTES = 256L << 20;
    /** training.json is small; anything larger is not one. */
    private static final int MAX_REPORT_BYTES = 1 << 20;
    private static final ObjectReader READER = StrictJson.reader(Report.class);
    private static final Logger LOG = LoggerFactory.getLogger(TrainRun.class);

    private TrainRun() {
    }

    /**
     * What a finished training reports.
     *
     * @param recipe           the recipe trained, overrides applied
     * @param seed             the seed of initialisation and data order
     * @param steps            steps trained in all
     * @param resumedFrom      the checkpoint step this process resumed from (0: from scratch)
     * @param parameters       the model's parameters
     * @param seconds          training time of this process
     * @param minutes          training time of the whole run: {@code seconds} when it did not resume, else estimated from
     *                         this process's steps ({@code minutesEstimated}); null when this process trained no step
     * @param minutesEstimated whether {@code minutes} is an estimate
     * @param tokensPerSecond  mean throughput of this process's steps (null without any)
     * @param finalLoss        training loss of the last step (null when unknown)
     * @param validationLoss   the last validation loss (null without any)
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Report(TrainingRecipe recipe, long seed, long steps, long resumedFrom, long parameters, double seconds,
                         Double minutes, boolean minutesEstimated, Double tokensPerSecond, Double finalLoss, Double validationLoss) {
        public Report {
            if (recipe == null || steps < 0 || resumedFrom < 0 || resumedFrom > steps || parameters < 0 || !(seconds >= 0)
                    || Double.isInfinite(seconds) || (minutes != null && !(minutes >= 0))) {
                throw new IllegalArgumentException("a training report needs a recipe, 0 <= resumed_from <= steps, parameters, "
                        + "seconds and minutes that are not negative");
            }
        }

        /** Reads a run folder's {@value #TRAINING_JSON}; a problem is a DataFormatException naming file and field. */
        public static Report read(Path file) throws IOException {
            return StrictJson.readFile(READER, file, MAX_REPORT_BYTES);
        }
    }

    /**
     * The recipe of a dataset folder: {@link SmallModelRecipe#forDataset} for the command set and variant in its
     * stats.json. A folder without stats.json (not made by {@code tinysql generate}) gets the CS1 recipe, with a
     * warning; a stats.json that cannot be read is an error naming the file and field.
     */
    public static TrainingRecipe recipeOf(Path data) throws IOException {
        if (!Files.isDirectory(data)) {
            throw new IllegalArgumentException("the dataset folder " + data + " does not exist (make one with 'tinysql generate')");
        }
        Path stats = data.resolve("stats.json");
        if (!Files.exists(stats)) {
            LOG.warn("{} has no stats.json, so its command set and variant are unknown: training with the CS1 recipe", data);
            return SmallModelRecipe.CS1.as("dataset without stats.json", false, "CS1 recipe");
        }
        DatasetMeta meta = DatasetMeta.read(stats);
        return SmallModelRecipe.forDataset(meta.commandSet(), meta.variant());
    }

    /**
     * Trains {@code recipe} on the dataset folder {@code data} into the run folder {@code out}, or resumes the run there.
     *
     * @param checkpointEvery steps between checkpoints (0: only at the end)
     * @param force           resume even from checkpoints written with other settings or another tokenizer.json
     */
    public static Report run(Path data, Path out, TrainingRecipe recipe, long seed, int checkpointEvery, boolean force)
            throws IOException {
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("--checkpoint-every must be 0 (only at the end) or more, not " + checkpointEvery);
        }
        Path tokFile = runTokenizer(data, out, force);
        HfTokenizer tok = HfTokenizer.load(tokFile);
        Transformer model = recipe.model(tok, seed);
        TrainerConfig tc = recipe.training(seed).withCheckpoints(checkpointEvery, Math.max(1, recipe.steps() / 10)).withForce(force);
        Trainer trainer = trainer(data, model, tok, tokFile, tc, out.resolve("checkpoints"));
        System.out.printf(Locale.ROOT, "model %s, %,d parameters; %d training examples%n", model.config(), model.parameters().count(),
                trainer.trainingExamples());
        long t0 = System.nanoTime();
        try (ConsoleProgressBar bar = new ConsoleProgressBar("train", recipe.steps())) {
            trainer.run(bar);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Path modelDir = out.resolve("model");
        ModelFolders.save(model.parameters(), tokFile, modelDir);
        Report report = report(recipe, seed, trainer, model.parameters().count(), seconds);
        AtomicFiles.writeString(out.resolve(TRAINING_JSON), StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
        long done = trainer.step() - trainer.resumedFrom();
        System.out.printf(Locale.ROOT, "trained %d steps (%s) in %.1f s (%.0f tokens/s); final loss %s; validation %s%n", trainer.step(),
                trainer.resumedFrom() == 0 ? "from scratch" : done + " in this run, resumed from step " + trainer.resumedFrom(),
                seconds, report.tokensPerSecond() == null ? Double.NaN : report.tokensPerSecond(), format(report.finalLoss()),
                format(report.validationLoss()));
        System.out.println("model written to " + modelDir);
        return report;
    }

    private static Report report(TrainingRecipe recipe, long seed, Trainer trainer, long parameters, double seconds) {
        List<Trainer.StepLog> h = trainer.history();
        double tps = h.stream().filter(l -> Double.isFinite(l.tokensPerSecond())).mapToDouble(Trainer.StepLog::tokensPerSecond)
                .average().orElse(Double.NaN);
        long done = trainer.step() - trainer.resumedFrom();
        Double minutes = done == 0 ? null : seconds / 60 * trainer.step() / done;
        Double last = h.isEmpty() ? null : finite(h.get(h.size() - 1).loss());
        Double val = trainer.evals().isEmpty() ? null : finite(trainer.evals().get(trainer.evals().size() - 1).loss());
        return new Report(recipe, seed, trainer.step(), trainer.resumedFrom(), parameters, seconds, minutes,
                trainer.resumedFrom() > 0 && done > 0, finite(tps), last, val);
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static String format(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    /**
     * Copies the dataset's tokenizer.json into the run folder (the first write there, so an unwritable folder fails
     * now): the checkpoints and the final model take it from there, and deleting the dataset during the run does not
     * matter. A run folder that holds another tokenizer.json is refused unless {@code force}.
     */
    private static Path runTokenizer(Path data, Path out, boolean force) throws IOException {
        Path source = data.resolve("tokenizer.json");
        if (!Files.isRegularFile(source)) {
            throw new IllegalArgumentException("no tokenizer.json in " + data + " (made by 'tinysql generate')");
        }
        if (Files.size(source) > MAX_TOKENIZER_BYTES) {
            throw new IllegalArgumentException(source + " has " + Files.size(source) + " bytes, more than the "
                    + MAX_TOKENIZER_BYTES + " a tokenizer.json may have");
        }
        byte[] json = Files.readAllBytes(source);
        Path copy = out.resolve("tokenizer.json");
        if (Files.exists(copy) && !Arrays.equals(json, Files.readAllBytes(copy))) {
            if (!force) {
                throw new IllegalArgumentException("the run in " + out + " was started with another tokenizer.json than " + source
                        + "; use another --out, or --force to train on with the new one");
            }
            System.out.println("replacing " + copy + " with " + source + " (--force)");
        }
        AtomicFiles.write(copy, (AtomicFiles.StreamWriter) o -> o.write(json));
        return copy;
    }

    /**
     * The trainer over the dataset's train and validation splits. The examples are read here so that only their encoded
     * form (inside the trainer) stays reachable during training: the parsed JSON of a 100k CS5 dataset is ~0.3 GB of heap.
     */
    private static Trainer trainer(Path data, Transformer model, HfTokenizer tok, Path tokFile, TrainerConfig tc, Path checkpoints)
            throws IOException {
        return new Trainer(model, tok, tokFile, DatasetIO.read(data, Split.TRAIN), DatasetIO.read(data, Split.VALIDATION), tc,
                checkpoints);
    }
}
