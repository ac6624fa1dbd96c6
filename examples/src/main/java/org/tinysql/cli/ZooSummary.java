package org.tinysql.cli;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.tinysql.sql.ScoreReport;
import org.tinysql.sql.SelectSizeAccuracy;
import org.tinysql.util.AtomicFiles;

/**
 * The zoo's table: one {@link Row} per evaluated model and one {@link Group} per (command set, variant) with the mean,
 * minimum and maximum over its seeds and whether issue 17's targets are met ({@link #exactTarget}, execution at least
 * exact, a spread of at most {@link #MAX_SPREAD}, {@link #minutesBudget}). Written as {@value #JSON} and
 * {@value #MARKDOWN}.
 *
 * @param rows   every evaluated model, by command set, variant and seed
 * @param groups the aggregates per (command set, variant)
 */
public record ZooSummary(List<Row> rows, List<Group> groups) {
    public static final String JSON = "summary.json";
    public static final String MARKDOWN = "summary.md";
    /** The largest spread of exact match over seeds the issue accepts (2 points). */
    public static final double MAX_SPREAD = 0.02;

    /**
     * One model. Accuracies are fractions in [0, 1] on the evaluated prompts; {@code clauses} is the structural
     * scorer's per-clause accuracy, {@code exactBySelectSize} exact match per size band of the gold SELECT list (empty
     * for results written before it). Minutes and tokens/s are null when not measured (see {@link TrainRun.Report}).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Row(int commandSet, String variant, long seed, int evalPrompts, double exact, double execution,
                      double structural, double partial, Map<String, Double> clauses,
                      List<SelectSizeAccuracy> exactBySelectSize, Double minutes, boolean minutesEstimated,
                      Double tokensPerSecond, long parameters, long steps, String recipe, boolean tuned) {
    }

    /** Mean, minimum, maximum and spread (maximum - minimum) of one measure over seeds. */
    public record Stats(double mean, double min, double max, double spread) {
        static <T> Stats of(List<T> items, ToDoubleFunction<T> f) {
            double[] v = items.stream().mapToDouble(f).toArray();
            double min = Arrays.stream(v).min().orElse(Double.NaN);
            double max = Arrays.stream(v).max().orElse(Double.NaN);
            return new Stats(Arrays.stream(v).average().orElse(Double.NaN), min, max, max - min);
        }
    }

    /**
     * The seeds of one (command set, variant).
     *
     * @param targetMet    every seed reaches {@code exactTarget} and has execution accuracy at least its exact match
     * @param spreadOk     exact match varies by at most {@link #MAX_SPREAD} over the seeds
     * @param withinBudget every seed trained within {@code minutesBudget} (null when a time is unknown)
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Group(int commandSet, String variant, int seeds, Stats exact, Stats execution, Stats structural,
                        Stats partial, Double maxMinutes, double exactTarget, int minutesBudget, boolean targetMet, boolean spreadOk,
                        Boolean withinBudget) {
    }

    /** Issue 17's exact-match target: 95% on CS1-CS3, 90% on CS4-CS5. */
    public static double exactTarget(int commandSet) {
        return commandSet <= 3 ? 0.95 : 0.90;
    }

    /** Issue 17's training-time budget in minutes on 2 cores: 30 on CS1-CS3, 60 on CS4-CS5. */
    public static int minutesBudget(int commandSet) {
        return commandSet <= 3 ? 30 : 60;
    }

    /** The table of these cells. */
    public static ZooSummary of(List<Zoo.CellResult> cells) {
        List<Row> rows = cells.stream().map(ZooSummary::row)
                .sorted(Comparator.comparingInt(Row::commandSet).thenComparing(Row::variant).thenComparingLong(Row::seed)).toList();
        Map<String, List<Row>> byPair = rows.stream().collect(Collectors.groupingBy(r -> r.commandSet() + " " + r.variant(),
                LinkedHashMap::new, Collectors.toList()));
        List<Group> groups = new ArrayList<>();
        byPair.values().forEach(g -> groups.add(group(g)));
        return new ZooSummary(rows, groups);
    }

    private static Row row(Zoo.CellResult c) {
        TrainRun.Report t = c.training();
        ScoreReport structural = c.report("structural");
        return new Row(c.commandSet(), c.variant(), c.seed(), c.evalPrompts(), accuracy(c, "exact"), accuracy(c, "execution"),
                accuracy(c, "structural"), accuracy(c, "partial"), structural == null ? Map.of() : structural.clauseAccuracy(),
                c.exactBySelectSize(), t.minutes(), t.minutesEstimated(), t.tokensPerSecond(), t.parameters(), t.steps(),
                t.recipe().describe(), t.recipe().tuned());
    }

    private static double accuracy(Zoo.CellResult c, String scorer) {
        ScoreReport r = c.report(scorer);
        return r == null ? Double.NaN : r.accuracy();
    }

    private static Group group(List<Row> seeds) {
        Row first = seeds.get(0);
        double target = exactTarget(first.commandSet());
        int budget = minutesBudget(first.commandSet());
        Stats exact = Stats.of(seeds, Row::exact);
        boolean met = seeds.stream().allMatch(r -> r.exact() >= target && r.execution() >= r.exact());
        boolean timed = seeds.stream().allMatch(r -> r.minutes() != null);
        Double maxMinutes = timed ? seeds.stream().mapToDouble(Row::minutes).max().orElse(Double.NaN) : null;
        return new Group(first.commandSet(), first.variant(), seeds.size(), exact, Stats.of(seeds, Row::execution),
                Stats.of(seeds, Row::structural), Stats.of(seeds, Row::partial), maxMinutes, target, budget, met,
                exact.spread() <= MAX_SPREAD + 1e-12, timed ? maxMinutes <= budget : null);
    }

    /** Writes {@value #JSON} and {@value #MARKDOWN} into the zoo folder, each atomically. */
    public void write(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(JSON), Zoo.json(this));
        AtomicFiles.writeString(dir.resolve(MARKDOWN), markdown());
    }

    /** The table as Markdown: the aggregates first, then every model. */
    public String markdown() {
        StringBuilder md = new StringBuilder("# TinySQL model zoo\n\n");
        md.append("Greedy decoding on the first test prompts of each dataset (`tinysql eval`'s scorers). Targets (issue 17): ")
                .append("exact match >= 95% on CS1-CS3 and >= 90% on CS4-CS5 for every seed, execution >= exact, a spread of ")
                .append("at most 2 points over seeds, at most 30 (CS1-CS3) or 60 (CS4-CS5) training minutes.\n\n");
        md.append("## Per command set and variant\n\n");
        md.append("| CS | variant | seeds | exact mean (min-max) | execution mean (min-max) | structural | partial | max minutes "
                + "| target met | spread <= 2 | time budget |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Group g : groups) {
            md.append(String.format(Locale.ROOT, "| CS%d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |%n", g.commandSet(),
                    g.variant(), g.seeds(), stats(g.exact()), stats(g.execution()), pct(g.structural().mean()),
                    pct(g.partial().mean()), g.maxMinutes() == null ? "-" : String.format(Locale.ROOT, "%.1f", g.maxMinutes()),
                    yes(g.targetMet()) + String.format(Locale.ROOT, " (>= %.0f%%)", 100 * g.exactTarget()), yes(g.spreadOk()),
                    g.withinBudget() == null ? "-" : yes(g.withinBudget()) + " (<= " + g.minutesBudget() + " min)"));
        }
        md.append("\n## Per model\n\n");
        md.append("| CS | variant | seed | prompts | exact | execution | structural | partial | structural per clause "
                + "| exact by SELECT list size | minutes | tokens/s | parameters | steps | recipe |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            String clauses = r.clauses().entrySet().stream().map(e -> e.getKey() + " " + pct(e.getValue()))
                    .collect(Collectors.joining(", "));
            String sizes = r.exactBySelectSize().isEmpty() ? "-" : SelectSizeAccuracy.describe(r.exactBySelectSize());
            md.append(String.format(Locale.ROOT, "| CS%d | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %,d | %d | %s |%n",
                    r.commandSet(), r.variant(), r.seed(), r.evalPrompts(), pct(r.exact()), pct(r.execution()), pct(r.structural()),
                    pct(r.partial()), clauses, sizes, r.minutes() == null ? "-" : String.format(Locale.ROOT, "%.1f%s", r.minutes(),
                            r.minutesEstimated() ? " (est.)" : ""),
                    r.tokensPerSecond() == null ? "-" : String.format(Locale.ROOT, "%.0f", r.tokensPerSecond()), r.parameters(),
                    r.steps(), r.recipe().replace("|", "/")));
        }
        return md.toString();
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static String stats(Stats s) {
        return pct(s.mean()) + " (" + pct(s.min()) + "-" + pct(s.max()) + ")";
    }

    private static String yes(boolean b) {
        return b ? "yes" : "no";
    }
}
