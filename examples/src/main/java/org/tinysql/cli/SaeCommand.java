package org.tinysql.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tinysql.data.DatasetIO;
import org.tinysql.util.AtomicFiles;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.TokenRole;
import org.tinysql.interp.sae.ActivationStore;
import org.tinysql.interp.sae.FeatureAnalysis;
import org.tinysql.interp.sae.Sae;
import org.tinysql.interp.sae.SaeConfig;
import org.tinysql.interp.sae.SaeMetrics;
import org.tinysql.interp.sae.SaeTrainer;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.util.ConsoleProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tinysql sae train|eval|features}: sparse autoencoders on a model's activations over a TinySQL split. */
@Command(name = "sae", mixinStandardHelpOptions = true, description = "Train, evaluate and inspect sparse autoencoders.",
        subcommands = {SaeCommand.Train.class, SaeCommand.Eval.class, SaeCommand.Features.class})
public final class SaeCommand implements Runnable {

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "choose a subcommand: train, eval or features");
    }

    /** Options shared by the subcommands. */
    static class Common {
        @Option(names = "--model", required = true, description = "Model folder (HF layout with tokenizer.json).")
        Path model;

        @Option(names = "--data", required = true, description = "Dataset folder (train/validation/test.jsonl).")
        Path data;

        Transformer loadModel() throws IOException {
            return Transformer.fromPretrained(model);
        }

        HfTokenizer tokenizer() throws IOException {
            return HfTokenizer.load(model); // the folder: tokenizer.json with its tokenizer_config.json
        }
    }

    /** Trains an SAE. */
    @Command(name = "train", mixinStandardHelpOptions = true, description = "Train an SAE on one hook point's activations.")
    static final class Train extends Common implements Callable<Integer> {
        @Option(names = "--hook", defaultValue = "blocks.0.hook_resid_post", description = "Hook point (default: ${DEFAULT-VALUE}).")
        String hook;

        @Option(names = "--arch", defaultValue = "topk", description = "topk, batchtopk, relu or jumprelu (default: ${DEFAULT-VALUE}).")
        String arch;

        @Option(names = "--expansion", defaultValue = "8", description = "Latents per input dimension (default: ${DEFAULT-VALUE}).")
        int expansion;

        @Option(names = "--k", defaultValue = "16", description = "TopK / BatchTopK k (default: ${DEFAULT-VALUE}).")
        int k;

        @Option(names = "--l1", defaultValue = "1.0", description = "ReLU L1 / JumpReLU L0 coefficient (default: ${DEFAULT-VALUE}).")
        double l1;

        @Option(names = "--steps", defaultValue = "2000", description = "Training steps (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--batch", defaultValue = "1024", description = "Activation rows per step (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
        double lr;

        @Option(names = "--examples", defaultValue = "4000", description = "Training examples to read activations from (default: ${DEFAULT-VALUE}).")
        int examples;

        @Option(names = "--cache", description = "Cache the activations as safetensors shards in this folder (reused when present).")
        Path cache;

        @Option(names = "--median-init", description = "Initialise b_dec to the coordinate-wise median (default: mean).")
        boolean median;

        @Option(names = "--out", required = true, description = "SAE folder to write (cfg.json + sae.safetensors).")
        Path out;

        @Override
        public Integer call() throws Exception {
            Transformer m = loadModel();
            HfTokenizer tok = tokenizer();
            List<TinySqlExample> train = DatasetIO.read(data, Split.TRAIN);
            train = train.subList(0, Math.min(examples, train.size()));
            int buffer = Math.max(4 * batch, 16_384);
            ActivationStore store;
            if (cache != null) {
                if (!java.nio.file.Files.isDirectory(cache) || !hasShards(cache)) {
                    long rows = ActivationStore.writeCache(m, tok, train, hook, 16, cache, 65_536);
                    System.out.println("cached " + rows + " activation rows in " + cache);
                }
                store = ActivationStore.fromCache(cache, buffer, 1, m.kernels());
            } else {
                store = ActivationStore.fromModel(m, tok, train, hook, 16, buffer, 1);
            }
            SaeConfig.Architecture a = SaeConfig.Architecture.parse(arch);
            SaeConfig base = SaeConfig.of(a, store.width(), expansion * store.width(), k, l1).withHook(hook);
            SaeTrainer.Trained fit;
            try (ConsoleProgressBar bar = new ConsoleProgressBar("sae " + a.key, steps)) {
                fit = SaeTrainer.fit(store, base, median, lr, batch, steps, 1, m.kernels(), bar);
            }
            Sae sae = fit.sae();
            SaeTrainer.StepStats st = fit.last();
            sae.save(out);
            System.out.println("trained " + a.key + " SAE (" + sae.config().dSae() + " latents) on " + hook + ": " + st.describe());
            System.out.println("wrote " + out);
            return 0;
        }

        private static boolean hasShards(Path dir) throws IOException {
            try (var s = java.nio.file.Files.list(dir)) {
                return s.anyMatch(p -> p.getFileName().toString().startsWith("activations_"));
            }
        }
    }

    /** Evaluates an SAE. */
    @Command(name = "eval", mixinStandardHelpOptions = true, description = "Reconstruction and CE-loss-recovered metrics of an SAE.")
    static final class Eval extends Common implements Callable<Integer> {
        @Option(names = "--sae", required = true, description = "SAE folder.")
        Path saeDir;

        @Option(names = "--examples", defaultValue = "200", description = "Validation examples (default: ${DEFAULT-VALUE}).")
        int examples;

        @Option(names = "--out", description = "Write the metrics as JSON here.")
        Path out;

        @Override
        public Integer call() throws Exception {
            Transformer m = loadModel();
            HfTokenizer tok = tokenizer();
            Sae sae = Sae.load(saeDir, m.kernels());
            List<TinySqlExample> val = DatasetIO.read(data, Split.VALIDATION);
            val = val.subList(0, Math.min(examples, val.size()));
            SaeMetrics.Reconstruction r = evaluate(m, tok, sae, val);
            SaeMetrics.Splice s = SaeMetrics.splice(m, tok, sae, sae.config().hookName(), val);
            System.out.println(SaeMetrics.describe(r, s));
            if (out != null) {
                AtomicFiles.writeString(out, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(SaeMetrics.toMap(r, s)));
            }
            return 0;
        }
    }

    static SaeMetrics.Reconstruction evaluate(Transformer m, HfTokenizer tok, Sae sae, List<TinySqlExample> val) throws IOException {
        return SaeMetrics.reconstruction(m, tok, sae, val);
    }

    /** Feature analysis. */
    @Command(name = "features", mixinStandardHelpOptions = true, description = "Top-activating tokens and role-specific latents.")
    static final class Features extends Common implements Callable<Integer> {
        @Option(names = "--sae", required = true, description = "SAE folder.")
        Path saeDir;

        @Option(names = "--examples", defaultValue = "200", description = "Validation examples (default: ${DEFAULT-VALUE}).")
        int examples;

        @Option(names = "--top-latents", defaultValue = "8", description = "Latents listed per role (default: ${DEFAULT-VALUE}).")
        int top;

        @Override
        public Integer call() throws Exception {
            Transformer m = loadModel();
            HfTokenizer tok = tokenizer();
            Sae sae = Sae.load(saeDir, m.kernels());
            List<TinySqlExample> val = DatasetIO.read(data, Split.VALIDATION);
            val = val.subList(0, Math.min(examples, val.size()));
            FeatureAnalysis.Result r;
            try (ConsoleProgressBar bar = new ConsoleProgressBar("features", val.size())) {
                r = FeatureAnalysis.run(m, tok, sae, sae.config().hookName(), val, 5, 5, top, bar);
            }
            print(r, top);
            return 0;
        }
    }

    static void print(FeatureAnalysis.Result r, int top) {
        for (Map.Entry<TokenRole, List<FeatureAnalysis.Specific>> e : r.byRole().entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            System.out.printf(Locale.ROOT, "%s (%d tokens):%n", e.getKey().label(), r.roleCounts().get(e.getKey()));
            for (FeatureAnalysis.Specific s : e.getValue().subList(0, Math.min(top, e.getValue().size()))) {
                FeatureAnalysis.Feature f = r.features().get(s.latent());
                String ex = f.top().isEmpty() ? "" : f.top().get(0).context();
                System.out.printf(Locale.ROOT, "  latent %5d share %.2f recall %.2f  e.g. %s%n", s.latent(), s.share(), s.recall(), ex.replace('\n', ' '));
            }
        }
    }
}
