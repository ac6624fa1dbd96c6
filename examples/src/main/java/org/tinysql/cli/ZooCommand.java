package org.tinysql.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.tinysql.data.CommandSet;
import org.tinysql.data.Variant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tinysql zoo}: trains and evaluates one model per (command set, variant, seed); see {@link Zoo}. */
@Command(name = "zoo", mixinStandardHelpOptions = true,
        description = "Train and evaluate a model per command set, variant and seed, each with its dataset's recipe (resumable), "
                + "and write summary.json and summary.md (accuracy per scorer, minutes, tokens/s, parameters, targets met).")
public final class ZooCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "runs/zoo", description = "Zoo folder: data/, one run folder per model, the summary "
            + "(default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--cs", split = ",", defaultValue = "1,2,3,4,5", description = "Command sets, 1..5 (default: ${DEFAULT-VALUE}).")
    List<String> commandSets;

    @Option(names = "--variants", split = ",", defaultValue = "literal,synonym",
            description = "Variants, literal and/or synonym (default: ${DEFAULT-VALUE}).")
    List<String> variants;

    @Option(names = "--seeds", split = ",", defaultValue = "1,2,3", description = "Model seeds, not negative (default: ${DEFAULT-VALUE}).")
    List<Long> seeds;

    @Option(names = "--n", defaultValue = "100000", description = "Examples per dataset (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--eval", defaultValue = "500", description = "Test prompts evaluated per model (default: ${DEFAULT-VALUE}).")
    int eval;

    @Option(names = "--data-seed", defaultValue = "42", description = "Seed every dataset is generated with (default: ${DEFAULT-VALUE}).")
    long dataSeed;

    @Option(names = "--checkpoint-every", defaultValue = "200", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Mixin
    RecipeOverrides overrides;

    @Override
    public Integer call() throws Exception {
        List<CommandSet> cs = commandSets.stream().map(CommandSet::parse).toList();
        List<Variant> vs = variants.stream().map(Variant::parse).toList();
        new Zoo(out, new Zoo.Options(cs, vs, seeds, n, eval, dataSeed, checkpointEvery, overrides)).run();
        return 0;
    }
}
