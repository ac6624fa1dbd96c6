package org.tinysql.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tinysql.train.TrainingRecipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tinysql train}: trains a model from scratch on a generated dataset folder with the recipe of its command set
 * and variant (read from stats.json; see {@link TrainRun#recipeOf}), each option overriding one value; resumable.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a small transformer from scratch on a TinySQL dataset folder with the recipe of its command set "
                + "and variant (from its stats.json; every option overrides the recipe); resumes from its checkpoints.")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "Dataset folder from 'generate' (train/validation.jsonl, tokenizer.json, "
            + "stats.json; without stats.json the CS1 recipe is used).")
    Path data;

    @Option(names = "--out", required = true,
            description = "Run folder: tokenizer.json (copied from --data at the start), checkpoints/, the final model/ and training.json.")
    Path out;

    @Mixin
    RecipeOverrides overrides;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of initialisation and data order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "200", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--force",
            description = "Resume even from checkpoints written with other settings (steps, batch, learning rate, seed, data) or another tokenizer.json.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        // Everything is checked before the run folder is written.
        TrainingRecipe recipe = overrides.apply(TrainRun.recipeOf(data));
        System.out.println("recipe: " + recipe.describe());
        TrainRun.run(data, out, recipe, seed, checkpointEvery, force);
        return 0;
    }
}
