package org.tinysql.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.DatasetStats;
import org.tinysql.data.Split;
import org.tinysql.data.Variant;
import org.tinysql.util.ConsoleProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tinysql generate}: writes a TinySQL dataset as train/validation/test JSONL files. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a TinySQL dataset (train/validation/test JSONL + stats.json).")
public final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--cs", defaultValue = "1", description = "Command set 1..5 (default: ${DEFAULT-VALUE}).")
    String commandSet;

    @Option(names = "--variant", defaultValue = "literal", description = "literal or synonym (default: ${DEFAULT-VALUE}).")
    String variant;

    @Option(names = "--n", defaultValue = "100000", description = "Number of examples (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (n <= 0) {
            throw new IllegalArgumentException("--n must be positive, got " + n);
        }
        DatasetGenerator gen = new DatasetGenerator(CommandSet.parse(commandSet), Variant.parse(variant), seed);
        long t0 = System.nanoTime();
        DatasetStats stats;
        try (ConsoleProgressBar bar = new ConsoleProgressBar("generate", n)) {
            stats = gen.writeSplits(out, n, bar);
        }
        int[] sizes = Split.sizes(n);
        System.out.printf(Locale.ROOT, "wrote %s: train %d / validation %d / test %d in %.2f s%n", out, sizes[0], sizes[1], sizes[2],
                (System.nanoTime() - t0) / 1e9);
        System.out.println(stats.describe());
        return 0;
    }
}
