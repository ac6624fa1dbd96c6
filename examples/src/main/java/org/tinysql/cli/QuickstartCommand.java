package org.tinysql.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.DatasetStats;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.sql.Scoring;
import org.tinysql.util.ConsoleProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tinysql quickstart}: the README's main job. Today it builds the CS1 and CS2 datasets and checks the
 * scorers on them; training, evaluation of a model, logit lens, EAP, SAE and the HTML report join as they land.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = "Run the end-to-end TinySQL pipeline on this CPU (no downloads).")
public final class QuickstartCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "runs/quickstart", description = "Work folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--n", defaultValue = "20000", description = "Examples per command set (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        for (CommandSet cs : List.of(CommandSet.CS1, CommandSet.CS2)) {
            Path dir = out.resolve("data").resolve(cs.name().toLowerCase(java.util.Locale.ROOT));
            DatasetStats stats;
            try (ConsoleProgressBar bar = new ConsoleProgressBar("generate " + cs, n)) {
                stats = new DatasetGenerator(cs, Variant.SYNONYM, seed).writeSplits(dir, n, bar);
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
        return 0;
    }
}
