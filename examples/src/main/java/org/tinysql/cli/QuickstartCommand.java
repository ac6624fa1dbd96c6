package org.tinysql.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.tinysql.data.CommandSet;
import org.tinysql.util.AtomicFiles;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.DatasetMeta;
import org.tinysql.data.DatasetStats;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.interp.report.HtmlReport;
import org.tinysql.interp.report.Svg;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.train.SmallModelRecipe;
import org.tinysql.train.Trainer;
import org.tinysql.train.TrainerConfig;
import org.tinysql.train.TrainingRecipe;
import org.tinysql.util.ConsoleProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tinysql quickstart}: the README's main job, end to end on a CPU with no downloads. It builds the CS1 and
 * CS2 datasets, trains a small model from scratch on CS1, evaluates it with every scorer, runs the logit lens, EAP on
 * instruction-table-name corruptions, trains a TopK SAE on one layer and writes {@code report/index.html}. Finished
 * steps are reused when run again (datasets, the trained model; training resumes from its last checkpoint).
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = "Run the end-to-end TinySQL pipeline on this CPU (no downloads) and write an HTML report.")
public final class QuickstartCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    @Option(names = "--out", defaultValue = "runs/quickstart", description = "Work folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--report", defaultValue = "report", description = "Report folder (default: ${DEFAULT-VALUE}).")
    Path report;

    @Option(names = "--n", defaultValue = "100000", description = "CS1 examples (fresh data avoids memorisation; default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--steps", defaultValue = "" + SmallModelRecipe.STEPS, description = "Training steps on CS1 (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", defaultValue = "" + SmallModelRecipe.BATCH, description = "Training batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--eval", defaultValue = "300", description = "Held-out prompts to evaluate (default: ${DEFAULT-VALUE}).")
    int evalCount;

    @Option(names = "--sae-steps", defaultValue = "600", description = "SAE training steps (default: ${DEFAULT-VALUE}).")
    int saeSteps;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--model", description = "Analyse this model folder (HF layout with tokenizer.json, e.g. from 'finetune' or a "
            + "download) instead of training one; prompts are encoded with its own tokenizer.")
    Path model;

    private final HtmlReport html = new HtmlReport("TinySQL-J quickstart report");
    /** Whether this run generated the CS1 data (so a model trained before was trained on other data). */
    private boolean cs1Generated;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Path cs1 = datasets();
        Transformer m;
        HfTokenizer tok;
        if (model != null) {
            m = Transformer.fromPretrained(model);
            tok = HfTokenizer.load(model); // tokenizer.json with its tokenizer_config.json
            System.out.printf(Locale.ROOT, "== analysing %s (%s, %,d parameters)%n", model, m.config(), m.parameters().count());
            html.section("Model", HtmlReport.p(String.format(Locale.ROOT, "%s from %s, %,d parameters, its own tokenizer "
                    + "(%,d tokens). Not trained by this run.", m.config(), model.toAbsolutePath(), m.parameters().count(), tok.vocabSize())));
        } else {
            tok = HfTokenizer.load(cs1.resolve("tokenizer.json"));
            m = train(cs1, tok);
        }
        new ModelReport(html, out, seed, saeSteps).run(m, tok, cs1, evalCount);
        html.section("Run", HtmlReport.p(String.format(Locale.ROOT, "Total time %.1f min on %d CPU threads. Work folder: %s.",
                (System.nanoTime() - t0) / 6e10, Runtime.getRuntime().availableProcessors(), out.toAbsolutePath())));
        Path index = report.resolve("index.html");
        html.write(index);
        System.out.println("== report written to " + index.toAbsolutePath());
        return 0;
    }

    private Path dataDir(CommandSet cs) {
        return out.resolve("data").resolve(cs.name().toLowerCase(Locale.ROOT));
    }

    /** CS1 (literal) and CS2 (synonyms); kept when already generated with the same size and seed. */
    private Path datasets() throws IOException {
        StringBuilder body = new StringBuilder();
        for (CommandSet cs : List.of(CommandSet.CS1, CommandSet.CS2)) {
            Path dir = dataDir(cs);
            int size = cs == CommandSet.CS1 ? n : Math.max(2000, n / 10);
            Variant variant = cs == CommandSet.CS1 ? Variant.LITERAL : Variant.SYNONYM;
            DatasetStats stats;
            DatasetMeta existing = DatasetFolders.reusable(dir, size, seed);
            if (existing != null) {
                stats = existing.stats();
                System.out.println("== " + cs + " dataset already in " + dir);
            } else {
                try (ConsoleProgressBar bar = new ConsoleProgressBar("generate " + cs, size)) {
                    stats = new DatasetGenerator(cs, variant, seed).writeSplits(dir, size, bar);
                }
                cs1Generated |= cs == CommandSet.CS1;
                System.out.println("== " + cs + " dataset in " + dir);
            }
            System.out.println(stats.describe());
            body.append("<h3>").append(cs).append(" (").append(variant.name().toLowerCase(Locale.ROOT)).append(", ")
                    .append(String.format(Locale.ROOT, "%,d", size)).append(" examples)</h3>").append(HtmlReport.pre(stats.describe()));
            if (cs == CommandSet.CS1) {
                TinySqlExample e = DatasetIO.read(dir, Split.TEST).get(0);
                body.append(HtmlReport.pre("example prompt: " + e.prompt() + "\nexample SQL:    " + e.sqlStatement()));
            }
        }
        html.section("Datasets", body.toString());
        return dataDir(CommandSet.CS1);
    }

    /** Trains (or resumes, or reuses) the CS1 model; the loss curve goes into the report. */
    private Transformer train(Path data, HfTokenizer tok) throws IOException {
        Path runDir = out.resolve("cs1-model");
        Path modelDir = runDir.resolve("model");
        Path historyFile = runDir.resolve("history.json");
        if (cs1Generated && Files.exists(runDir)) {
            System.out.println("== " + runDir + " holds a model of the CS1 data generated before; training a new one");
            DatasetFolders.deleteTree(runDir);
        }
        TrainingRecipe recipe = SmallModelRecipe.CS1.withSteps(steps).withBatch(batch);
        ModelConfig cfg = recipe.config(tok);
        Transformer model;
        Transformer trained = null;
        if (Files.exists(historyFile) && Files.exists(modelDir.resolve("config.json"))
                && JSON.readTree(historyFile.toFile()).path("steps").asInt() == steps) {
            trained = Transformer.fromPretrained(modelDir);
            ModelConfig c = trained.config();
            if (c.nLayers() != cfg.nLayers() || c.dModel() != cfg.dModel() || c.nHeads() != cfg.nHeads()) {
                System.out.println("== the model in " + modelDir + " has another shape than " + cfg + "; training a new one");
                trained = null;
            }
        }
        if (trained != null) {
            model = trained;
            System.out.println("== trained model already in " + modelDir);
        } else {
            model = recipe.model(tok, seed);
            TrainerConfig tc = recipe.training(1234).withCheckpoints(250, Math.max(1, steps / 6));
            Trainer trainer = new Trainer(model, tok, data.resolve("tokenizer.json"), DatasetIO.read(data, Split.TRAIN),
                    DatasetIO.read(data, Split.VALIDATION), tc, runDir.resolve("checkpoints"));
            System.out.printf(Locale.ROOT, "== training %s (%,d parameters) on CS1 for %d steps of %d%n", cfg, model.parameters().count(), steps, batch);
            try (ConsoleProgressBar bar = new ConsoleProgressBar("train", steps)) {
                trainer.run(bar);
            }
            ModelFolders.save(model.parameters(), data.resolve("tokenizer.json"), modelDir);
            var h = JSON.createObjectNode();
            h.put("steps", steps);
            ArrayNode train = h.putArray("train");
            trainer.history().forEach(s -> train.addArray().add(s.step()).add(s.loss()).add(s.tokensPerSecond()));
            ArrayNode val = h.putArray("validation");
            trainer.evals().forEach(e -> val.addArray().add(e.step()).add(e.loss()));
            AtomicFiles.writeString(historyFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(h));
        }
        JsonNode h = JSON.readTree(historyFile.toFile());
        List<Svg.Series> series = new ArrayList<>();
        series.add(series("train loss", h.path("train"), 25));
        series.add(series("validation loss", h.path("validation"), 1));
        double tps = 0;
        for (JsonNode r : h.path("train")) {
            tps += r.get(2).asDouble() / Math.max(1, h.path("train").size());
        }
        html.section("Training", HtmlReport.p(String.format(Locale.ROOT, "%s, %,d parameters, %d steps of %d examples, mean %.0f tokens/s.",
                model.config(), model.parameters().count(), steps, batch, tps))
                + HtmlReport.figure(Svg.lineChart("CS1 training curve", "step", "cross-entropy (response tokens)", series, 720, 320),
                "Loss per response token; validation every " + Math.max(1, steps / 6) + " steps."));
        return model;
    }

    private static Svg.Series series(String name, JsonNode rows, int smooth) {
        int m = rows.size();
        double[] x = new double[m];
        double[] y = new double[m];
        double acc = 0;
        for (int i = 0; i < m; i++) {
            x[i] = rows.get(i).get(0).asDouble();
            double v = rows.get(i).get(1).asDouble();
            acc = i == 0 ? v : acc + (v - acc) / Math.min(smooth, i + 1);
            y[i] = smooth > 1 ? acc : v;
        }
        return new Svg.Series(name, x, y);
    }

}
