package org.tinysql.interp.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.Split;
import org.tinysql.data.StrictJson;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;

/**
 * One model of a study: an HF-format folder (config.json, model.safetensors, tokenizer.json) and the command set and
 * variant it was trained on.
 *
 * @param name       a short unique name, used for result folders and table rows (e.g. {@code cs2-literal-seed1})
 * @param dir        the model folder
 * @param commandSet the command set it was trained on; it is evaluated on this one and every lower one
 * @param variant    literal or synonym training instructions
 * @param examples   the size of the dataset it was trained on (held-out test prompts are that dataset's test split)
 * @param dataSeed   the seed that dataset was generated with
 */
public record StudyModel(String name, Path dir, CommandSet commandSet, Variant variant, int examples, long dataSeed) {
    /** The dataset size and seed assumed for models not in a zoo ({@code tinysql generate}'s defaults). */
    public static final int DEFAULT_EXAMPLES = 100_000;
    /** The data seed assumed for models not in a zoo. */
    public static final long DEFAULT_DATA_SEED = 42;
    private static final Pattern ZOO_CELL = Pattern.compile("cs([1-5])-(literal|synonym)-seed(\\d+)");
    private static final Pattern CS_IN_NAME = Pattern.compile("(?i)(?:^|[^a-z0-9])cs([1-5])(?![0-9])");
    private static final Pattern SYNONYM_IN_NAME = Pattern.compile("(?i)(?:^|[^a-z])syn(?:onyms?)?(?![a-z])");
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private static final int MAX_JSON_BYTES = 1 << 16;

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException when a value is missing, the name is not a plain file name, or counts are not positive
     */
    public StudyModel {
        if (name == null || dir == null || commandSet == null || variant == null) {
            throw new IllegalArgumentException("a study model needs a name, folder, command set and variant");
        }
        if (!SAFE_NAME.matcher(name).matches() || name.startsWith(".")) {
            throw new IllegalArgumentException("model name '" + name + "' must be 1-100 letters, digits, '.', '_' or '-' and not start with '.'");
        }
        if (examples < 10) {
            throw new IllegalArgumentException("model " + name + ": a dataset of " + examples + " examples has no test split");
        }
    }

    /** @return e.g. {@code CS2 literal} */
    public String label() {
        return commandSet + " " + variant.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The models under a folder:
     * <ul>
     *   <li>a zoo folder ({@code zoo.json}): one model per (command set, variant), the lowest seed with a trained model
     *       unless {@code allSeeds}; dataset size and seed from {@code zoo.json};</li>
     *   <li>a model folder ({@code config.json}): that model;</li>
     *   <li>any other folder: each sub-folder that is a model folder, or a zoo run folder with {@code model/}.</li>
     * </ul>
     * Outside a zoo the command set comes from the folder name ({@code cs1} .. {@code cs5}, as in the paper's
     * {@code sql_interp_bm1_cs3_experiment_...}) and the variant is synonym when the name has the word {@code syn} or
     * {@code synonym}.
     *
     * @param folder   the folder
     * @param allSeeds every seed of a zoo instead of the lowest per (command set, variant)
     * @return the models, ordered by command set, variant and name
     * @throws IOException when the folder is missing or cannot be read
     * @throws IllegalArgumentException when it holds no model, a model's name does not say its command set, or two have one name
     */
    public static List<StudyModel> discover(Path folder, boolean allSeeds) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new java.nio.file.NoSuchFileException(folder.toString(), null, "no such folder of models");
        }
        List<StudyModel> out;
        if (Files.isRegularFile(folder.resolve("zoo.json"))) {
            out = fromZoo(folder, allSeeds);
        } else if (Files.isRegularFile(folder.resolve("config.json"))) {
            out = List.of(fromFolder(folder));
        } else {
            out = new ArrayList<>();
            try (Stream<Path> s = Files.list(folder)) {
                for (Path p : s.sorted().toList()) {
                    if (Files.isRegularFile(p.resolve("config.json"))) {
                        out.add(fromFolder(p));
                    } else if (Files.isRegularFile(p.resolve("model/config.json"))) {
                        out.add(fromFolder(p.resolve("model")));
                    }
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(folder + ": no models (a zoo folder with zoo.json, a model folder with config.json, or a folder of them)");
        }
        List<StudyModel> sorted = new ArrayList<>(out);
        sorted.sort(Comparator.comparing(StudyModel::commandSet).thenComparing(StudyModel::variant).thenComparing(StudyModel::name));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
                throw new IllegalArgumentException(folder + ": two models named " + sorted.get(i).name());
            }
        }
        return List.copyOf(sorted);
    }

    private static List<StudyModel> fromZoo(Path zoo, boolean allSeeds) throws IOException {
        JsonNode settings = zooSettings(zoo.resolve("zoo.json"));
        int examples = settings.path("examples").asInt(DEFAULT_EXAMPLES);
        long dataSeed = settings.path("data_seed").asLong(DEFAULT_DATA_SEED);
        Map<String, StudyModel> first = new LinkedHashMap<>();
        List<StudyModel> all = new ArrayList<>();
        try (Stream<Path> s = Files.list(zoo)) {
            for (Path cell : s.sorted(Comparator.comparingLong(StudyModel::seedOf)).toList()) {
                Matcher m = ZOO_CELL.matcher(cell.getFileName().toString());
                if (!m.matches() || !Files.isRegularFile(cell.resolve("model/config.json"))) {
                    continue;
                }
                StudyModel sm = new StudyModel(cell.getFileName().toString(), cell.resolve("model"),
                        CommandSet.valueOf("CS" + m.group(1)), Variant.parse(m.group(2)), examples, dataSeed);
                all.add(sm);
                first.putIfAbsent(m.group(1) + m.group(2), sm);
            }
        }
        return allSeeds ? all : List.copyOf(first.values());
    }

    private static long seedOf(Path cell) {
        Matcher m = ZOO_CELL.matcher(cell.getFileName().toString());
        try {
            return m.matches() ? Long.parseLong(m.group(3)) : Long.MAX_VALUE;
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE; // a seed beyond long: sorted last
        }
    }

    /**
     * A model folder outside a zoo: its command set and variant from its name (or its parent's when the folder is a
     * run's {@code model/}). A zoo run's model ({@code ZOO/cs1-literal-seed1/model}) takes the dataset size and seed
     * from the zoo's {@code zoo.json}; any other is assumed trained on {@link #DEFAULT_EXAMPLES} examples of seed
     * {@link #DEFAULT_DATA_SEED} ({@code tinysql generate}'s defaults).
     *
     * @param dir the model folder
     * @return the model
     * @throws IOException when a zoo.json beside it cannot be read
     * @throws IllegalArgumentException when the name does not say the command set
     */
    public static StudyModel fromFolder(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        String own = abs.getFileName() == null ? "" : abs.getFileName().toString();
        String name = own.equals("model") && abs.getParent() != null && abs.getParent().getFileName() != null
                ? abs.getParent().getFileName().toString() : own;
        Matcher m = CS_IN_NAME.matcher(name);
        if (!m.find()) {
            throw new IllegalArgumentException(dir + ": the folder name must say the command set the model was trained on (cs1 .. cs5), e.g. "
                    + "my-model-cs3 or sql_interp_bm1_cs3_experiment_1.1");
        }
        Variant v = SYNONYM_IN_NAME.matcher(name).find() ? Variant.SYNONYM : Variant.LITERAL;
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        if (safe.length() > 100) {
            safe = safe.substring(0, 100);
        }
        if (safe.startsWith(".")) {
            safe = "_" + safe.substring(1);
        }
        Path zoo = own.equals("model") && abs.getParent() != null && abs.getParent().getParent() != null
                ? abs.getParent().getParent().resolve("zoo.json") : null;
        JsonNode settings = zoo != null && Files.isRegularFile(zoo) ? zooSettings(zoo) : StrictJson.mapper().createObjectNode();
        return new StudyModel(safe, dir, CommandSet.valueOf("CS" + m.group(1)), v, settings.path("examples").asInt(DEFAULT_EXAMPLES),
                settings.path("data_seed").asLong(DEFAULT_DATA_SEED));
    }

    /** A zoo's settings file (its examples and data_seed are read; absent ones take the defaults). */
    private static JsonNode zooSettings(Path zooJson) throws IOException {
        return StrictJson.readFile(StrictJson.reader(JsonNode.class), zooJson, MAX_JSON_BYTES);
    }

    /**
     * The first {@code n} rows of a split of the dataset this model's was generated as, for command set {@code cs}
     * (same variant, size and seed): what the model was trained on ({@code TRAIN}) or held out from.
     *
     * @param cs    the command set of the rows
     * @param split the split
     * @param n     how many (at most the split's size)
     * @return the rows, in dataset order
     */
    public List<TinySqlExample> rows(CommandSet cs, Split split, int n) {
        DatasetGenerator gen = new DatasetGenerator(cs, variant, dataSeed);
        int[] sizes = Split.sizes(examples);
        int first = 0;
        for (int k = 0; k < split.ordinal(); k++) {
            first += sizes[k];
        }
        int count = Math.min(n, sizes[split.ordinal()]);
        List<TinySqlExample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(gen.example(first + i, examples).row());
        }
        return out;
    }
}
