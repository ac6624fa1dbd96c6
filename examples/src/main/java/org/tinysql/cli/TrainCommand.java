package org.tinysql.cli;

import java.nio.file.Files;
import java.nio.file.Path;
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
import org.tinysql.util.ConsoleProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tinysql train}: trains a model from scratch on a generated dataset folder; resumable. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a small transformer from scratch on a TinySQL dataset folder (resumes from its checkpoints).")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "Dataset folder from 'generate' (train/validation.jsonl, tokenizer.json).")
    Path data;

    @Option(names = "--out", required = true, description = "Run folder: checkpoints/ and the final model/.")
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

    @Override
    public Integer call() throws Exception {
        List<TinySqlExample> train = DatasetIO.read(data, Split.TRAIN);
        List<TinySqlExample> val = DatasetIO.read(data, Split.VALIDATION);
        Path tokFile = data.resolve("tokenizer.json");
        if (!Files.exists(tokFile)) {
            throw new IllegalArgumentException("no tokenizer.json in " + data + " (made by 'tinysql generate')");
        }
        HfTokenizer tok = HfTokenizer.load(tokFile);
        ModelConfig cfg = (switch (arch) {
            case "llama" -> ModelConfig.llama(tok.vocabSize(), dModel, layers, heads, 512);
            case "gpt2" -> ModelConfig.gpt2(tok.vocabSize(), dModel, layers, heads, 512);
            case "gpt_neo" -> ModelConfig.gptNeo(tok.vocabSize(), dModel, layers, heads, 512);
            default -> throw new IllegalArgumentException("--arch must be llama, gpt2 or gpt_neo, not '" + arch + "'");
        }).withTokens(-1, tok.eosId());
        Transformer model = new Transformer(Parameters.init(cfg, seed, initStd));
        Trainer.Config tc = SmallModelRecipe.training(steps, batch, seed).withLr(lr, lr / 10)
                .withCheckpoints(checkpointEvery, Math.max(1, steps / 10));
        Trainer trainer = new Trainer(model, tok, train, val, tc, out.resolve("checkpoints"));
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
        System.out.printf("trained %d steps in %.1f s (%.0f tokens/s); final loss %.4f; validation %s%n", h.size(),
                (System.nanoTime() - t0) / 1e9, tps, h.get(h.size() - 1).loss(),
                trainer.evals().isEmpty() ? "-" : String.format("%.4f", trainer.evals().get(trainer.evals().size() - 1).loss()));
        System.out.println("model written to " + modelDir);
        return 0;
    }
}
