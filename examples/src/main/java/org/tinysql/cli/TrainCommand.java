package org.tinysql.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.train.SmallModelRecipe;
import org.tinysql.train.Trainer;
import org.tinysql.util.AtomicFiles;
import org.tinysql.util.ConsoleProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tinysql train}: trains a model from scratch on a generated dataset folder; resumable. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a small transformer from scratch on a TinySQL dataset folder (resumes from its checkpoints).")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "Dataset folder from 'generate' (train/validation.jsonl, tokenizer.json).")
    Path data;

    @Option(names = "--out", required = true,
            description = "Run folder: tokenizer.json (copied from --data at the start), checkpoints/ and the final model/.")
    Path out;

    @Option(names = "--arch", defaultValue = "llama",
            description = "llama (RMSNorm, RoPE, SwiGLU), gpt2 (learned positions, scaled attention) or gpt_neo (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--layers", defaultValue = "" + SmallModelRecipe.LAYERS, description = "Layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--d-model", defaultValue = "" + SmallModelRecipe.D_MODEL, description = "Width (default: ${DEFAULT-VALUE}).")
    int dModel;

    @Option(names = "--heads", defaultValue = "" + SmallModelRecipe.HEADS, description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--steps", defaultValue = "" + SmallModelRecipe.STEPS, description = "Optimisation steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", defaultValue = "" + SmallModelRecipe.BATCH, description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "" + SmallModelRecipe.PEAK_LR, description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--init-std", defaultValue = "" + SmallModelRecipe.INIT_STD,
            description = "Standard deviation of the initial weights (GPT-2 uses 0.02; small models learn faster with more; default: ${DEFAULT-VALUE}).")
    double initStd;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of initialisation and data order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "200", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--force",
            description = "Resume even from checkpoints written with other settings (steps, batch, learning rate, seed, data) or another tokenizer.json.")
    boolean force;

    /** Largest tokenizer.json accepted (large BPE vocabularies are about 10 MiB). */
    private static final long MAX_TOKENIZER_BYTES = 256L << 20;

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || batch < 1) {
            throw new IllegalArgumentException("--steps and --batch must be at least 1, not " + steps + " and " + batch);
        }
        if (!List.of("llama", "gpt2", "gpt_neo").contains(arch)) {
            // Checked before anything is read or written.
            throw new IllegalArgumentException("--arch must be llama, gpt2 or gpt_neo, not '" + arch + "'");
        }
        Path tokFile = runTokenizer();
        HfTokenizer tok = HfTokenizer.load(tokFile);
        List<TinySqlExample> train = DatasetIO.read(data, Split.TRAIN);
        List<TinySqlExample> val = DatasetIO.read(data, Split.VALIDATION);
        ModelConfig cfg = (switch (arch) {
            case "llama" -> ModelConfig.llama(tok.vocabSize(), dModel, layers, heads, 512);
            case "gpt2" -> ModelConfig.gpt2(tok.vocabSize(), dModel, layers, heads, 512);
            default -> ModelConfig.gptNeo(tok.vocabSize(), dModel, layers, heads, 512);
        }).withTokens(-1, tok.eosId());
        Transformer model = new Transformer(Parameters.init(cfg, seed, initStd));
        Trainer.Config tc = SmallModelRecipe.training(steps, batch, seed).withLr(lr, lr / 10)
                .withCheckpoints(checkpointEvery, Math.max(1, steps / 10)).withForce(force);
        Trainer trainer = new Trainer(model, tok, tokFile, train, val, tc, out.resolve("checkpoints"));
        System.out.printf("model %s, %,d parameters; %d training examples%n", cfg, model.parameters().count(), train.size());
        long t0 = System.nanoTime();
        try (ConsoleProgressBar bar = new ConsoleProgressBar("train", steps)) {
            trainer.run(bar);
        }
        Path modelDir = out.resolve("model");
        ModelFolders.save(model.parameters(), tokFile, modelDir);
        List<Trainer.StepLog> h = trainer.history();
        double tps = h.stream().filter(l -> Double.isFinite(l.tokensPerSecond())).mapToDouble(Trainer.StepLog::tokensPerSecond)
                .average().orElse(Double.NaN);
        long done = trainer.step() - trainer.resumedFrom();
        System.out.printf("trained %d steps (%s) in %.1f s (%.0f tokens/s); final loss %.4f; validation %s%n", h.size(),
                trainer.resumedFrom() == 0 ? "from scratch" : done + " in this run, resumed from step " + trainer.resumedFrom(),
                (System.nanoTime() - t0) / 1e9, tps, h.get(h.size() - 1).loss(),
                trainer.evals().isEmpty() ? "-" : String.format("%.4f", trainer.evals().get(trainer.evals().size() - 1).loss()));
        System.out.println("model written to " + modelDir);
        return 0;
    }

    /**
     * Copies the dataset's tokenizer.json into the run folder (the first write there, so an unwritable folder fails
     * now): the checkpoints and the final model take it from there, and deleting the dataset during the run does not
     * matter. A run folder that holds another tokenizer.json is refused unless {@code --force}.
     */
    private Path runTokenizer() throws IOException {
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
}
