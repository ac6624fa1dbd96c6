package org.tinysql.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.DatasetMeta;
import org.tinysql.data.PredictionsFile;
import org.tinysql.data.Split;
import org.tinysql.data.StrictJson;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.sql.ScoreReport;
import org.tinysql.sql.SelectSizeAccuracy;
import org.tinysql.train.SmallModelRecipe;
import org.tinysql.train.TrainingRecipe;
import org.tinysql.util.AtomicFiles;
import org.tinysql.util.ConsoleProgressBar;

/**
 * The model zoo: one model per (command set, variant, seed), each trained from scratch with the recipe of its dataset
 * ({@link SmallModelRecipe#forDataset}, with the same {@link RecipeOverrides} for every cell) and evaluated like
 * {@code tinysql eval --model} on the first test prompts. Layout of the zoo folder:
 * <pre>
 * zoo.json                      the settings the zoo was started with (examples, data seed, evaluation prompts, overrides)
 * data/cs{N}-{variant}/         one dataset per (command set, variant), generated once with the data seed
 * cs{N}-{variant}-seed{S}/      a run folder as 'tinysql train' writes it, plus result.json and predictions.jsonl
 *                               once evaluated
 * summary.json, summary.md      every evaluated cell and the per-(command set, variant) aggregates ({@link ZooSummary})
 * </pre>
 * Resumable: a cell with result.json is skipped, a trained one (training.json) is only evaluated, and an interrupted
 * training resumes from its checkpoints. A cell trained with another recipe than today's (the recipe table was edited)
 * keeps its result, with a warning; delete its folder to train it again.
 */
public final class Zoo {
    /** A cell's result, in its folder. */
    public static final String RESULT_JSON = "result.json";
    /** Each model's greedy predictions beside the gold SQL ({@link PredictionsFile#write}). */
    public static final String PREDICTIONS_JSONL = "predictions.jsonl";
    /** The zoo's settings, in the zoo folder. */
    public static final String ZOO_JSON = "zoo.json";
    /** Threads that score predictions (as {@code tinysql eval}'s default). */
    static final int SCORING_THREADS = 2;
    private static final int MAX_JSON_BYTES = 1 << 20;
    private static final Logger LOG = LoggerFactory.getLogger(Zoo.class);

    /**
     * What to train and how to evaluate it.
     *
     * @param commandSets     the command sets (duplicates dropped)
     * @param variants        the variants (duplicates dropped)
     * @param seeds           the model seeds (initialisation and data order; not negative; duplicates dropped)
     * @param examples        examples per dataset (all splits)
     * @param evalPrompts     test prompts evaluated per model (the first of the test split)
     * @param dataSeed        the seed every dataset is generated with
     * @param checkpointEvery steps between checkpoints (0: only at the end)
     * @param overrides       recipe values that replace the table's in every cell
     */
    public record Options(List<CommandSet> commandSets, List<Variant> variants, List<Long> seeds, int examples, int evalPrompts,
                          long dataSeed, int checkpointEvery, RecipeOverrides overrides) {
        public Options {
            if (commandSets == null || commandSets.isEmpty() || variants == null || variants.isEmpty() || seeds == null
                    || seeds.isEmpty() || overrides == null) {
                throw new IllegalArgumentException("a zoo needs at least one command set, variant and seed");
            }
            commandSets = List.copyOf(new LinkedHashSet<>(commandSets));
            variants = List.copyOf(new LinkedHashSet<>(variants));
            seeds = List.copyOf(new LinkedHashSet<>(seeds));
            for (long s : seeds) {
                if (s < 0) {
                    throw new IllegalArgumentException("--seeds must not be negative, not " + s);
                }
            }
            if (examples < 1 || evalPrompts < 1 || checkpointEvery < 0) {
                throw new IllegalArgumentException("need --n >= 1, --eval >= 1 and --checkpoint-every >= 0, not " + examples
                        + ", " + evalPrompts + " and " + checkpointEvery);
            }
        }

        /** The grid: CS1..CS5, literal and synonym, seeds 1, 2, 3, 100k examples, 500 prompts, data seed 42. */
        public static Options defaults() {
            return new Options(List.of(CommandSet.values()), List.of(Variant.values()), List.of(1L, 2L, 3L), 100_000, 500, 42,
                    200, new RecipeOverrides());
        }
    }

    /**
     * One evaluated cell ({@value #RESULT_JSON}).
     *
     * @param reports           one per standard scorer, as {@code tinysql eval --out} writes them
     * @param exactBySelectSize exact match per size band of the gold SELECT list; empty in results written before it
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record CellResult(int commandSet, String variant, long seed, int examples, long dataSeed, int evalPrompts,
                             TrainRun.Report training, List<ScoreReport> reports, List<SelectSizeAccuracy> exactBySelectSize) {
        public CellResult {
            if (commandSet < 1 || commandSet > CommandSet.values().length || variant == null || seed < 0 || examples < 1
                    || evalPrompts < 1 || training == null || reports == null) {
                throw new IllegalArgumentException("a cell result needs command_set 1..5, a variant, a seed >= 0, examples and "
                        + "eval_prompts >= 1, training and reports");
            }
            Variant.parse(variant);
            reports = List.copyOf(reports);
            exactBySelectSize = exactBySelectSize == null ? List.of() : List.copyOf(exactBySelectSize);
        }

        /** The report of one scorer ("exact", "execution", "structural", "partial", "original"), or null. */
        public ScoreReport report(String scorer) {
            return reports.stream().filter(r -> r.scorer().equals(scorer)).findFirst().orElse(null);
        }

        /** The cell's folder name. */
        public String name() {
            return cellName(CommandSet.values()[commandSet - 1], Variant.parse(variant), seed);
        }

        static CellResult read(Path file) throws IOException {
            return StrictJson.readFile(StrictJson.reader(CellResult.class), file, MAX_JSON_BYTES);
        }
    }

    /** The settings that all cells of a zoo share ({@value #ZOO_JSON}). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Settings(int examples, long dataSeed, int evalPrompts, String overrides) {
        String describe() {
            return String.format(Locale.ROOT, "--n %d --data-seed %d --eval %d%s", examples, dataSeed, evalPrompts,
                    overrides.isEmpty() ? "" : " " + overrides);
        }
    }

    private final Path out;
    private final Options options;

    public Zoo(Path out, Options options) {
        this.out = out;
        this.options = options;
    }

    /** "cs3-synonym-seed2". */
    public static String cellName(CommandSet cs, Variant v, long seed) {
        return dataName(cs, v) + "-seed" + seed;
    }

    private static String dataName(CommandSet cs, Variant v) {
        return cs.name().toLowerCase(Locale.ROOT) + "-" + v.name().toLowerCase(Locale.ROOT);
    }

    /** The recipe of every cell of (cs, v): the table's, with the overrides. */
    public TrainingRecipe recipe(CommandSet cs, Variant v) {
        return options.overrides().apply(SmallModelRecipe.forDataset(cs.level(), v.name()));
    }

    /**
     * Checks every input (recipes, split sizes, the zoo folder's settings and results), then generates the missing
     * datasets and trains and evaluates the missing cells, writing the summary after each; returns the summary of
     * every evaluated cell in the zoo folder.
     */
    public ZooSummary run() throws IOException {
        Map<String, TrainingRecipe> recipes = check();
        List<String> pending = new ArrayList<>();
        for (CommandSet cs : options.commandSets()) {
            for (Variant v : options.variants()) {
                for (long seed : options.seeds()) {
                    String cell = cellName(cs, v, seed);
                    Path result = out.resolve(cell).resolve(RESULT_JSON);
                    if (Files.exists(result)) {
                        warnIfStale(CellResult.read(result).training().recipe(), recipes.get(dataName(cs, v)), cell);
                        System.out.println("== " + cell + ": evaluated before (" + result + "); skipped");
                    } else {
                        pending.add(cell);
                    }
                }
            }
        }
        Settings settings = new Settings(options.examples(), options.dataSeed(), options.evalPrompts(), options.overrides().describe());
        AtomicFiles.writeString(out.resolve(ZOO_JSON), json(settings));
        System.out.printf(Locale.ROOT, "== zoo in %s: %d cells to train or evaluate, %d finished before%n", out, pending.size(),
                options.commandSets().size() * options.variants().size() * options.seeds().size() - pending.size());
        int done = 0;
        for (CommandSet cs : options.commandSets()) {
            for (Variant v : options.variants()) {
                Path data = null;
                for (long seed : options.seeds()) {
                    String cell = cellName(cs, v, seed);
                    if (!pending.contains(cell)) {
                        continue;
                    }
                    data = data == null ? dataset(cs, v) : data;
                    System.out.printf(Locale.ROOT, "== [%d/%d] %s%n", ++done, pending.size(), cell);
                    CellResult r = cell(cs, v, seed, recipes.get(dataName(cs, v)), data);
                    AtomicFiles.writeString(out.resolve(cell).resolve(RESULT_JSON), json(r));
                    ZooSummary.of(results()).write(out);
                }
            }
        }
        ZooSummary summary = ZooSummary.of(results());
        summary.write(out);
        System.out.println(summary.markdown());
        System.out.println("== summary written to " + out.resolve(ZooSummary.JSON) + " and " + out.resolve(ZooSummary.MARKDOWN));
        return summary;
    }

    /** The checks before anything is written; returns the recipe of each (cs, variant) by data folder name. */
    private Map<String, TrainingRecipe> check() throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " is a file, not a folder");
        }
        int[] sizes = Split.sizes(options.examples());
        if (sizes[2] < options.evalPrompts() || sizes[1] < 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--n %d gives %d test prompts, fewer than --eval %d "
                    + "(or no validation split): use --n %d or more", options.examples(), sizes[2], options.evalPrompts(),
                    Math.max(10, 10 * options.evalPrompts())));
        }
        Map<String, TrainingRecipe> recipes = new LinkedHashMap<>();
        for (CommandSet cs : options.commandSets()) {
            for (Variant v : options.variants()) {
                TrainingRecipe r = recipe(cs, v);
                if (sizes[0] < r.batch()) {
                    throw new IllegalArgumentException("--n " + options.examples() + " gives a training split of " + sizes[0]
                            + " examples, fewer than one batch of " + r.batch() + " (" + r.name() + ")");
                }
                recipes.put(dataName(cs, v), r);
            }
        }
        Path zooJson = out.resolve(ZOO_JSON);
        if (Files.exists(zooJson)) {
            Settings before = StrictJson.readFile(StrictJson.reader(Settings.class), zooJson, MAX_JSON_BYTES);
            Settings now = new Settings(options.examples(), options.dataSeed(), options.evalPrompts(), options.overrides().describe());
            if (!before.equals(now)) {
                throw new IllegalArgumentException("the zoo in " + out + " was started with " + before.describe() + ", not "
                        + now.describe() + ": its models would not be comparable; use those settings or another --out");
            }
        }
        results(); // every result.json in the folder must be readable
        return recipes;
    }

    private static void warnIfStale(TrainingRecipe trained, TrainingRecipe now, String cell) {
        if (!trained.sameValues(now)) {
            LOG.warn("{} was trained with another recipe than today's ({}; today: {}); its result is kept: delete the folder to "
                    + "train it again", cell, trained.describe(), now.describe());
        }
    }

    /** The dataset of (cs, v): reused when complete and generated with these settings, else (re)generated. */
    private Path dataset(CommandSet cs, Variant v) throws IOException {
        Path dir = out.resolve("data").resolve(dataName(cs, v));
        DatasetMeta meta = DatasetFolders.reusable(dir, options.examples(), options.dataSeed());
        if (meta != null && meta.commandSet() == cs.level() && Variant.parse(meta.variant()) == v) {
            System.out.println("== dataset " + dir + " already generated");
            return dir;
        }
        if (Files.exists(dir)) {
            System.out.println("== " + dir + " is incomplete or was generated with other settings; generating again");
            DatasetFolders.deleteTree(dir);
        }
        try (ConsoleProgressBar bar = new ConsoleProgressBar("generate " + dataName(cs, v), options.examples())) {
            new DatasetGenerator(cs, v, options.dataSeed()).writeSplits(dir, options.examples(), bar);
        }
        return dir;
    }

    /** Trains (or resumes, or reuses) one cell's model and evaluates it. */
    private CellResult cell(CommandSet cs, Variant v, long seed, TrainingRecipe recipe, Path data) throws IOException {
        Path dir = out.resolve(cellName(cs, v, seed));
        Path trainingJson = dir.resolve(TrainRun.TRAINING_JSON);
        TrainRun.Report training;
        if (Files.exists(trainingJson) && Files.exists(dir.resolve("model").resolve("config.json"))) {
            training = TrainRun.Report.read(trainingJson);
            warnIfStale(training.recipe(), recipe, cellName(cs, v, seed));
            System.out.println("== trained before (" + trainingJson + "); evaluating");
        } else {
            System.out.println("recipe: " + recipe.describe());
            training = TrainRun.run(data, dir, recipe, seed, options.checkpointEvery(), false);
        }
        List<TinySqlExample> test = DatasetIO.read(data, Split.TEST).subList(0, options.evalPrompts());
        List<String> predictions = ModelEvaluation.predict(dir.resolve("model"), test);
        PredictionsFile.write(dir.resolve(PREDICTIONS_JSONL), test, predictions);
        ModelEvaluation.Scores scores = ModelEvaluation.score(test, predictions, SCORING_THREADS);
        System.out.print(scores.describe());
        return new CellResult(cs.level(), v.name().toLowerCase(Locale.ROOT), seed, options.examples(), options.dataSeed(),
                options.evalPrompts(), training, scores.reports(), scores.exactBySelectSize());
    }

    /** Every evaluated cell in the zoo folder, read and checked against its folder name. */
    private List<CellResult> results() throws IOException {
        List<CellResult> all = new ArrayList<>();
        if (!Files.isDirectory(out)) {
            return all;
        }
        try (var dirs = Files.list(out)) {
            for (Path dir : dirs.sorted().toList()) {
                String name = dir.getFileName().toString();
                Path file = dir.resolve(RESULT_JSON);
                if (!name.matches("cs[1-5]-(literal|synonym)-seed[0-9]{1,19}") || !Files.isRegularFile(file)) {
                    continue;
                }
                CellResult r = CellResult.read(file);
                if (!r.name().equals(name)) {
                    throw new IllegalArgumentException(file + " holds the result of " + r.name() + ", not of " + name);
                }
                all.add(r);
            }
        }
        return all;
    }

    static String json(Object value) throws JsonProcessingException {
        return StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(value);
    }
}
