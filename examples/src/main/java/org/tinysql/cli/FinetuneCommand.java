package org.tinysql.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.tinysql.tensor.DType;
import org.tinysql.train.AdamW;
import org.tinysql.train.FineTuner;
import org.tinysql.train.Trainer;
import org.tinysql.util.ConsoleProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tinysql finetune}: fine-tunes a pretrained HuggingFace checkpoint on a TinySQL dataset (BM1/BM2/BM3). */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Fine-tune a pretrained HuggingFace checkpoint (GPT-Neo, GPT-2, Llama, Qwen2 folder with tokenizer.json) on a"
                + " TinySQL dataset folder with the paper's recipe; resumes from RUN/checkpoints when run again.")
public final class FinetuneCommand implements Callable<Integer> {
    private static final FineTuner.Options PAPER = FineTuner.Options.paper();

    @Option(names = "--model", required = true, description = "HuggingFace checkpoint folder (config.json, safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--data", required = true, description = "Dataset folder from 'generate' (train.jsonl, validation.jsonl).")
    Path data;

    @Option(names = "--out", required = true,
            description = "Run folder: tokenizer.json and tokenizer_config.json (with the pad token), checkpoints/, and the final model/.")
    Path out;

    @Option(names = "--steps", defaultValue = "0", description = "Optimisation steps (0: --epochs passes over the training split; default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--epochs", defaultValue = "1", description = "Passes over the training split when --steps is 0 (default: ${DEFAULT-VALUE}).")
    double epochs;

    @Option(names = "--batch", defaultValue = "8", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "2e-5", description = "Peak learning rate, decayed linearly to 0 (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--warmup", defaultValue = "50", description = "Linear warmup steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--max-length", defaultValue = "512", description = "Longest example in tokens; longer ones are left out (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--eval-every", defaultValue = "-1", description = "Steps between validation losses (-1: an eighth of the run; 0: none; default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--checkpoint-every", defaultValue = "-1", description = "Steps between checkpoints (-1: half the run; 0: only at the end; default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--seed", defaultValue = "42", description = "Data-order seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--pack", description = "Pack several examples per row (same loss, less padding) instead of right padding one per row.")
    boolean pack;

    @Option(names = "--recompute", defaultValue = "auto",
            description = "Activation recomputation per block: auto (when needed to fit in memory), on or off (default: ${DEFAULT-VALUE}).")
    String recompute;

    @Option(names = "--moments", defaultValue = "auto",
            description = "AdamW moment storage: auto (f32 when it fits, else bf16), f32 or bf16 (default: ${DEFAULT-VALUE}).")
    String moments;

    @Option(names = "--save-dtype", defaultValue = "f32", description = "Storage of the final model: f32 (exact) or bf16 (half the size) (default: ${DEFAULT-VALUE}).")
    String saveDType;

    @Option(names = "--force", description = "Resume even from checkpoints written with other settings or tokenizer files.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        FineTuner.Options o = new FineTuner.Options(steps, epochs, batch, lr, warmup, weightDecay, maxLength, PAPER.clipNorm(),
                evalEvery, PAPER.evalBatches(), checkpointEvery, seed, pack, switch (recompute.toLowerCase(Locale.ROOT)) {
                    case "auto" -> null;
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw new IllegalArgumentException("--recompute must be auto, on or off, not '" + recompute + "'");
                }, moments.equalsIgnoreCase("auto") ? null : AdamW.Moments.parse(moments), dtype(saveDType), force);
        long t0 = System.nanoTime();
        FineTuner.Result r = FineTuner.run(model, data, out, o, n -> new ConsoleProgressBar("finetune", n));
        System.out.printf(Locale.ROOT, "model %s; pad token %s (id %d%s); %d training examples%s%n", r.config(), r.tokenizer().padToken(),
                r.tokenizer().padId(), r.tokenizer().padAdded() ? ", added" : "", r.trainExamples(),
                r.skipped() > 0 ? " (" + r.skipped() + " longer than --max-length left out)" : "");
        System.out.println("memory plan: " + r.plan());
        List<Trainer.StepLog> h = r.history();
        System.out.printf(Locale.ROOT, "fine-tuned %d steps in %.1f s; loss %.4f -> %.4f; validation %s%n", h.size(),
                (System.nanoTime() - t0) / 1e9, h.get(0).loss(), h.get(h.size() - 1).loss(),
                r.evals().isEmpty() ? "-" : String.format(Locale.ROOT, "%.4f", r.evals().get(r.evals().size() - 1).loss()));
        System.out.println("model written to " + r.model());
        return 0;
    }

    private static DType dtype(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--save-dtype must be f32 or bf16, not '" + s + "'");
        };
    }
}
