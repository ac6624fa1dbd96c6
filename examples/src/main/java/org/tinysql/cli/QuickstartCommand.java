package org.tinysql.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.DatasetStats;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.SqlPredictor;
import org.tinysql.model.Transformer;
import org.tinysql.sql.Scoring;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.train.Trainer;
import org.tinysql.util.ConsoleProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tinysql quickstart}: the README's main job. It builds the CS1 and CS2 datasets, checks the scorers on
 * them, trains a small model from scratch on CS1 (resumable from its checkpoints) and evaluates it with every
 * scorer. Logit lens, EAP, SAEs and the HTML report join as their issues land.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = "Run the end-to-end TinySQL pipeline on this CPU (no downloads).")
public final class QuickstartCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "runs/quickstart", description = "Work folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--n", defaultValue = "20000", description = "Examples per command set (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--steps", defaultValue = "1500", description = "Training steps on CS1 (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        for (CommandSet cs : List.of(CommandSet.CS1, CommandSet.CS2)) {
            Path dir = dataDir(cs);
            DatasetStats stats;
            try (ConsoleProgressBar bar = new ConsoleProgressBar("generate " + cs, n)) {
                stats = new DatasetGenerator(cs, cs == CommandSet.CS1 ? Variant.LITERAL : Variant.SYNONYM, seed)
                        .writeSplits(dir, n, bar);
            }
            System.out.println("== " + cs + " dataset in " + dir);
            System.out.println(stats.describe());
            List<TinySqlExample> test = DatasetIO.read(dir, Split.TEST);
            List<Scoring.Item> items = new ArrayList<>();
            for (TinySqlExample e : test.subList(0, Math.min(500, test.size()))) {
                items.add(new Scoring.Item(e.createStatement(), e.sqlStatement(), e.sqlStatement()));
            }
            System.out.println("scorer check (gold vs gold, " + items.size() + " test examples):");
            Scoring.report(Scoring.scoreAll(items, Scoring.standardScorers(), 2))
                    .forEach(r -> System.out.println("  " + r.describe()));
        }
        trainAndEvaluate(dataDir(CommandSet.CS1));
        return 0;
    }

    private Path dataDir(CommandSet cs) {
        return out.resolve("data").resolve(cs.name().toLowerCase(Locale.ROOT));
    }

    private void trainAndEvaluate(Path data) throws Exception {
        HfTokenizer tok = HfTokenizer.load(data.resolve("tokenizer.json"));
        ModelConfig cfg = ModelConfig.gpt2(tok.vocabSize(), 128, 2, 4, 512).withTokens(-1, tok.eosId());
        Transformer model = new Transformer(Parameters.init(cfg, seed));
        Trainer.Config tc = Trainer.Config.defaults(steps, 16).withLr(4e-3, 4e-4).withCheckpoints(250, Math.max(1, steps / 5));
        Trainer trainer = new Trainer(model, tok, DatasetIO.read(data, Split.TRAIN), DatasetIO.read(data, Split.VALIDATION), tc,
                out.resolve("cs1-model").resolve("checkpoints"));
        System.out.printf("== training %s (%,d parameters) on CS1 for %d steps%n", cfg, model.parameters().count(), steps);
        try (ConsoleProgressBar bar = new ConsoleProgressBar("train", steps)) {
            trainer.run(bar);
        }
        Path modelDir = out.resolve("cs1-model").resolve("model");
        ModelFolders.save(model.parameters(), data.resolve("tokenizer.json"), modelDir);
        List<TinySqlExample> test = DatasetIO.read(data, Split.TEST);
        test = test.subList(0, Math.min(300, test.size()));
        List<String> preds;
        try (ConsoleProgressBar bar = new ConsoleProgressBar("predict", test.size())) {
            preds = new SqlPredictor(model, tok, 48).predict(test, 64, bar);
        }
        List<Scoring.Item> items = new ArrayList<>();
        for (int i = 0; i < test.size(); i++) {
            items.add(new Scoring.Item(test.get(i).createStatement(), test.get(i).sqlStatement(), preds.get(i)));
        }
        System.out.println("== CS1 model on " + test.size() + " held-out prompts (greedy decoding); model in " + modelDir);
        Scoring.report(Scoring.scoreAll(items, Scoring.standardScorers(), 2)).forEach(r -> System.out.println("  " + r.describe()));
        System.out.println("  e.g. " + test.get(0).englishPrompt() + "\n    predicted: " + preds.get(0) + "\n    gold:      "
                + test.get(0).sqlStatement());
    }
}
