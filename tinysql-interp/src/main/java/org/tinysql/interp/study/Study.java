package org.tinysql.interp.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.interp.patching.TableConflict;
import org.tinysql.interp.sae.Sae;
import org.tinysql.model.SqlPredictor;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.util.AtomicFiles;
import org.tinysql.util.ConsoleProgressBar;

/**
 * The TinySQL study: the paper's analyses on a set of models (one per command set and variant, e.g. a zoo), written
 * as {@code study.json} (every number), {@code study.md} (tables) and {@code report/study.html} (tables and figures).
 * <ol>
 *   <li>accuracy of each model on its command set and every lower one ({@link AccuracyMatrix});</li>
 *   <li>circuits per corruption kind with EAP and EAP-IG ({@link CircuitStudy});</li>
 *   <li>how much they vary across command sets, kinds and prompt batches ({@link CircuitVariation});</li>
 *   <li>minimal circuits: greedy head removal under mean ablation per position ({@link MinimalStudy});</li>
 *   <li>the logit lens by SQL role ({@link LensStudy});</li>
 *   <li>TopK SAEs on every residual stream and MLP output ({@link SaeStudy});</li>
 *   <li>error prediction from the SAE latents against the raw residual ({@link ErrorProbe});</li>
 *   <li>the instruction-vs-Context table-name heuristic ({@link TableConflict}).</li>
 * </ol>
 * Resumable: each (model, analysis) result is a file under {@code results/} ({@link ResultStore}), reused by later runs
 * with the same settings and the same model file.
 * <pre>{@code
 * Study.Result r = new Study(Path.of("runs/study"), StudyOptions.full()).run(StudyModel.discover(Path.of("runs/zoo"), false));
 * }</pre>
 */
public final class Study {
    /** Every number of the study. */
    public static final String STUDY_JSON = "study.json";
    /** The tables. */
    public static final String STUDY_MD = "study.md";
    /** The report, relative to the output folder. */
    public static final String STUDY_HTML = "report/study.html";
    private static final Logger LOG = LoggerFactory.getLogger(Study.class);

    private final Path out;
    private final StudyOptions options;

    /**
     * A study writing into {@code out}.
     *
     * @param out     the output folder (created when missing)
     * @param options the sizes of the analyses
     */
    public Study(Path out, StudyOptions options) {
        this.out = out;
        this.options = options;
    }

    /**
     * The conflict-prompt measure of one model (analysis 7).
     *
     * @param contextRate   fraction of conflict prompts where the model follows the Context's table
     * @param meanLogitDiff mean logit[Context table] - logit[instruction table]
     * @param pairs         conflict prompts
     * @param cleanLogitDiff mean logit[Y] - logit[X] on the clean prompts (the instruction names the Context's table)
     * @param topHeads      the heads whose patch moves the logit difference most
     * @param heads         [layer][head] change of the mean logit difference when the head's clean output is patched in
     * @param skipped       why it was not measured (no conflict prompts for this tokenizer), else null
     */
    public record Heuristic(double contextRate, double meanLogitDiff, double cleanLogitDiff, int pairs,
                            List<TableConflict.HeadEffect> topHeads, double[][] heads, String skipped) {
        /**
         * Below this gap (logits) between the clean and the conflict logit difference the normalized head effects
         * divide by almost nothing (a model that ignores the instruction's table treats both prompts alike).
         */
        public static final double MIN_NORMALIZING_GAP = 1.0;

        /** @return whether the conflict moves the logit difference enough for normalized head effects to mean something */
        public boolean normalizable() {
            return Math.abs(cleanLogitDiff - meanLogitDiff) >= MIN_NORMALIZING_GAP;
        }
    }

    /**
     * Everything the study found.
     *
     * @param models      the models, in study order
     * @param options     the sizes used
     * @param accuracy    per model, one cell per command set it was evaluated on
     * @param circuits    per model, one result per (kind, method)
     * @param minimal     per model, its minimal circuit (absent when skipped)
     * @param acrossSets  circuit Jaccard across command sets, per (kind, variant)
     * @param acrossKinds circuit Jaccard across kinds, per model
     * @param lens        per model, the logit lens by SQL role
     * @param saes        per model, one result per hook
     * @param probes      per model, the error-prediction probes (absent without SAEs)
     * @param heuristics  per model, the table-name heuristic
     * @param minutes     the wall time of this run
     * @param reused      results read back from earlier runs
     * @param computed    results computed in this run
     * @param analysisSeconds per model, the seconds per analysis family (accuracy, circuit, minimal, lens, sae,
     *                    probe, heuristic); a reused result counts the time it took when it was computed
     */
    public record Result(List<StudyModel> models, StudyOptions options, Map<String, List<AccuracyMatrix.Cell>> accuracy,
                         Map<String, List<CircuitStudy.KindCircuit>> circuits, Map<String, MinimalStudy.Minimal> minimal,
                         List<CircuitVariation.Matrix> acrossSets, List<CircuitVariation.Matrix> acrossKinds,
                         Map<String, LensStudy.Lens> lens, Map<String, List<SaeStudy.SaeResult>> saes,
                         Map<String, ErrorProbe.Probe> probes, Map<String, Heuristic> heuristics, double minutes, int reused, int computed,
                         Map<String, Map<String, Double>> analysisSeconds) {
    }

    /**
     * Runs every analysis on every model (reusing stored results) and writes the outputs.
     *
     * @param models the models
     * @return the results
     * @throws IOException when a model cannot be loaded or an output cannot be written
     */
    public Result run(List<StudyModel> models) throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        ResultStore store = new ResultStore(out.resolve("results"));
        Map<String, List<AccuracyMatrix.Cell>> accuracy = new LinkedHashMap<>();
        Map<String, List<CircuitStudy.KindCircuit>> circuits = new LinkedHashMap<>();
        Map<String, MinimalStudy.Minimal> minimal = new LinkedHashMap<>();
        Map<String, LensStudy.Lens> lens = new LinkedHashMap<>();
        Map<String, List<SaeStudy.SaeResult>> saes = new LinkedHashMap<>();
        Map<String, ErrorProbe.Probe> probes = new LinkedHashMap<>();
        Map<String, Heuristic> heuristics = new LinkedHashMap<>();
        for (StudyModel m : models) {
            LOG.info("== {} ({}, {})", m.name(), m.label(), m.dir());
            Transformer model = Transformer.fromPretrained(m.dir());
            HfTokenizer tok = HfTokenizer.load(m.dir().resolve("tokenizer.json"));
            String stamp = stamp(m);
            accuracy.put(m.name(), accuracy(store, m, model, tok, stamp));
            circuits.put(m.name(), circuits(store, m, model, tok, stamp));
            if (options.minimalPrompts() > 0) {
                String settings = String.format(Locale.ROOT, "%s prompts=%d target=%.3f", stamp, options.minimalPrompts(),
                        options.faithfulnessTarget());
                int heads = model.config().nLayers() * model.config().nHeads();
                minimal.put(m.name(), store.get(m.name(), Analysis.MINIMAL.file(), settings, MinimalStudy.Minimal.class, () -> {
                    try (ConsoleProgressBar bar = new ConsoleProgressBar(m.name() + " minimal circuit", MinimalStudy.maxSteps(heads))) {
                        return MinimalStudy.run(model, tok, AccuracyMatrix.testPrompts(m, m.commandSet(), MinimalStudy.CANDIDATES),
                                options.minimalPrompts(), options.faithfulnessTarget(), bar);
                    }
                }));
            }
            lens.put(m.name(), store.get(m.name(), Analysis.LENS.file(), stamp + " prompts=" + options.lensPrompts(), LensStudy.Lens.class, () -> {
                try (ConsoleProgressBar bar = new ConsoleProgressBar(m.name() + " logit lens", options.lensPrompts())) {
                    return LensStudy.run(model, tok, AccuracyMatrix.testPrompts(m, m.commandSet(), options.lensPrompts()), bar);
                }
            }));
            saes.put(m.name(), saes(store, m, model, tok, stamp));
            if (options.saeSteps() > 0) {
                probes.put(m.name(), probe(store, m, model, tok, stamp));
            }
            heuristics.put(m.name(), store.get(m.name(), Analysis.HEURISTIC.file(), stamp + " pairs=" + options.heuristicPairs() + " seed=" + options.seed() + " logits",
                    Heuristic.class, () -> {
                        try {
                            TableConflict.Measure h = TableConflict.measure(model, tok, m.commandSet(), m.variant(), options.heuristicPairs(),
                                    options.seed());
                            return new Heuristic(h.contextRate(), h.meanLogitDiff(), h.cleanLogitDiff(), h.pairs(), h.topHeads(3),
                                    h.logitChanges(), null);
                        } catch (IllegalArgumentException | IllegalStateException e) {
                            LOG.warn("{}: table-name heuristic skipped: {}", m.name(), e.getMessage());
                            return new Heuristic(Double.NaN, Double.NaN, Double.NaN, 0, List.of(), new double[0][], e.getMessage());
                        }
                    }));
            model.freeBuffers(); // the next model's passes must not wait for a garbage collection to get this memory back
        }
        Result r = new Result(List.copyOf(models), options, accuracy, circuits, minimal,
                CircuitVariation.acrossCommandSets(models, circuits), CircuitVariation.acrossKinds(circuits), lens, saes, probes, heuristics,
                (System.nanoTime() - t0) / 6e10, store.reused(), store.computed(), store.seconds());
        AtomicFiles.writeString(out.resolve(STUDY_JSON), ResultStore.JSON.writeValueAsString(r));
        AtomicFiles.writeString(out.resolve(STUDY_MD), StudyTables.markdown(r));
        Files.createDirectories(out.resolve(STUDY_HTML).getParent());
        StudyReport.html(r, store).write(out.resolve(STUDY_HTML));
        LOG.info("study of {} models in {} minutes ({} results computed, {} reused): {}", models.size(),
                String.format(Locale.ROOT, "%.1f", r.minutes()), r.computed(), r.reused(), out.resolve(STUDY_MD));
        return r;
    }

    /**
     * What a stored result depends on besides the options: the model's files (size and modification time of
     * config.json, tokenizer.json and every .safetensors file, sharded or not) and its dataset (size and seed, which
     * decide the prompts). A retrained model, or the same folder studied as another dataset's, recomputes everything.
     */
    static String stamp(StudyModel m) throws IOException {
        StringBuilder sb = new StringBuilder("examples=" + m.examples() + " data_seed=" + m.dataSeed());
        List<Path> files = new ArrayList<>();
        try (java.util.stream.Stream<Path> s = Files.list(m.dir())) {
            s.filter(p -> {
                String n = p.getFileName().toString();
                return n.equals("config.json") || n.equals("tokenizer.json") || n.endsWith(".safetensors") || n.endsWith(".safetensors.index.json");
            }).sorted().forEach(files::add);
        }
        for (Path f : files) {
            sb.append(' ').append(f.getFileName()).append('=').append(Files.size(f)).append('@').append(Files.getLastModifiedTime(f).toMillis());
        }
        return sb.toString();
    }

    private List<AccuracyMatrix.Cell> accuracy(ResultStore store, StudyModel m, Transformer model, HfTokenizer tok, String stamp)
            throws IOException {
        SqlPredictor predictor = new SqlPredictor(model, tok, SqlPredictor.MAX_NEW_TOKENS);
        List<AccuracyMatrix.Cell> cells = new ArrayList<>();
        for (CommandSet cs : CommandSet.values()) {
            if (cs.level() > m.commandSet().level()) {
                break;
            }
            String settings = stamp + " prompts=" + options.evalPrompts();
            cells.add(store.get(m.name(), Analysis.ACCURACY.file(cs.name().toLowerCase(Locale.ROOT)), settings, AccuracyMatrix.Cell.class, () -> {
                List<org.tinysql.data.TinySqlExample> prompts = AccuracyMatrix.testPrompts(m, cs, options.evalPrompts());
                try (ConsoleProgressBar bar = new ConsoleProgressBar(m.name() + " on " + cs, prompts.size())) {
                    return AccuracyMatrix.evaluate(predictor, prompts, cs, bar);
                }
            }));
        }
        return cells;
    }

    private List<CircuitStudy.KindCircuit> circuits(ResultStore store, StudyModel m, Transformer model, HfTokenizer tok, String stamp)
            throws IOException {
        List<CircuitStudy.KindCircuit> all = new ArrayList<>();
        for (CorruptionKind kind : options.kindList()) {
            if (kind.minimumCommandSet().level() > m.commandSet().level()) {
                continue;
            }
            String settings = String.format(Locale.ROOT, "%s pairs=%dx%d top=%d ig=%d target=%.3f seed=%d", stamp, options.pairBatches(),
                    options.pairsPerBatch(), options.stableTop(), options.igSteps(), options.faithfulnessTarget(), options.seed());
            Path svg = store.circuitSvg(m.name(), CircuitStudy.name(kind));
            CircuitStudy.KindCircuit[] found = store.get(m.name(), Analysis.CIRCUIT.file(CircuitStudy.name(kind)), settings,
                    CircuitStudy.KindCircuit[].class, () -> {
                        CircuitStudy.Outcome o;
                        try (ConsoleProgressBar bar = new ConsoleProgressBar(m.name() + " " + CircuitStudy.name(kind),
                                CircuitStudy.progressSteps(model.config(), options))) {
                            o = CircuitStudy.run(model, tok, m, kind, options, bar);
                        }
                        if (o.svg() != null) {
                            Files.createDirectories(svg.getParent());
                            AtomicFiles.writeString(svg, o.svg());
                        } else {
                            Files.deleteIfExists(svg); // an earlier run's figure must not stand beside "skipped"
                        }
                        return o.circuits().toArray(CircuitStudy.KindCircuit[]::new);
                    });
            all.addAll(List.of(found));
        }
        return all;
    }

    private String saeSettings(String stamp) {
        return String.format(Locale.ROOT, "%s steps=%d x%d k=%d prompts=%d/%d seed=%d", stamp, options.saeSteps(),
                options.saeExpansion(), options.saeK(), options.saeTrainPrompts(), options.saeEvalPrompts(), options.seed());
    }

    /** The probes read the SAE on the last layer's residual stream, as trained by {@link #saes}. */
    private ErrorProbe.Probe probe(ResultStore store, StudyModel m, Transformer model, HfTokenizer tok, String stamp) throws IOException {
        String hook = org.tinysql.model.HookName.residPost(model.config().nLayers() - 1);
        String settings = saeSettings(stamp) + " probe=" + options.probePrompts() + "/" + options.probePerClass();
        return store.get(m.name(), Analysis.PROBE.file(), settings, ErrorProbe.Probe.class, () -> {
            Sae sae = Sae.load(store.folder(m.name()).resolve(Analysis.SAE.file(hook)), model.kernels());
            List<org.tinysql.data.TinySqlExample> prompts = AccuracyMatrix.testPrompts(m, m.commandSet(), options.probePrompts());
            try (ConsoleProgressBar bar = new ConsoleProgressBar(m.name() + " error probe", prompts.size())) {
                return ErrorProbe.run(model, tok, sae, prompts, options.probePerClass(), options.seed(), bar);
            }
        });
    }

    private List<SaeStudy.SaeResult> saes(ResultStore store, StudyModel m, Transformer model, HfTokenizer tok, String stamp)
            throws IOException {
        List<SaeStudy.SaeResult> all = new ArrayList<>();
        if (options.saeSteps() == 0) {
            return all;
        }
        String settings = saeSettings(stamp);
        Map<String, SaeStudy.SaeResult> found = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        List<String> hooks = SaeStudy.hooks(model.config().nLayers());
        for (String hook : hooks) {
            SaeStudy.SaeResult r = store.find(m.name(), Analysis.SAE.file(hook), settings, SaeStudy.SaeResult.class);
            if (r != null) {
                found.put(hook, r);
            } else {
                missing.add(hook);
            }
        }
        if (!missing.isEmpty()) {
            Map<String, Sae> trained;
            long t0 = System.nanoTime();
            try (ConsoleProgressBar bar = new ConsoleProgressBar(m.name() + " SAEs (" + missing.size() + ")", (long) options.saeSteps() * missing.size())) {
                trained = SaeStudy.train(model, tok, m, missing, options, bar);
            }
            double trainShare = (System.nanoTime() - t0) / 1e9 / missing.size(); // trained together: each hook takes its share
            for (String hook : missing) {
                long t1 = System.nanoTime();
                try (ConsoleProgressBar bar = new ConsoleProgressBar(m.name() + " SAE " + hook + " metrics", options.saeEvalPrompts())) {
                    SaeStudy.SaeResult r = SaeStudy.measure(model, tok, m, hook, trained.get(hook), options,
                            store.folder(m.name()).resolve(Analysis.SAE.file(hook)), bar);
                    store.put(m.name(), Analysis.SAE.file(hook), settings, r, trainShare + (System.nanoTime() - t1) / 1e9);
                    found.put(hook, r);
                }
            }
        }
        for (String hook : hooks) {
            all.add(found.get(hook));
        }
        return all;
    }
}
