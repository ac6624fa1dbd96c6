package org.tinysql.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.tinysql.train.TrainingRecipe;
import picocli.CommandLine.Option;

/**
 * The options that override fields of a dataset's {@link TrainingRecipe}, shared by {@code tinysql train} and
 * {@code tinysql zoo} (a picocli mixin) and usable from Java with the fluent setters. An option not given is null and
 * leaves the recipe's value.
 */
public final class RecipeOverrides {
    private static final String FROM_RECIPE = " (default: from the dataset's recipe).";

    @Option(names = "--arch", description = "llama (RMSNorm, RoPE, SwiGLU), gpt2 (learned positions, scaled attention) or gpt_neo"
            + FROM_RECIPE)
    String arch;

    @Option(names = "--layers", description = "Layers" + FROM_RECIPE)
    Integer layers;

    @Option(names = "--d-model", description = "Width" + FROM_RECIPE)
    Integer dModel;

    @Option(names = "--heads", description = "Attention heads" + FROM_RECIPE)
    Integer heads;

    @Option(names = "--steps", description = "Optimisation steps" + FROM_RECIPE)
    Integer steps;

    @Option(names = "--batch", description = "Batch size" + FROM_RECIPE)
    Integer batch;

    @Option(names = "--lr", description = "Peak learning rate; the cosine ends at the recipe's fraction of it" + FROM_RECIPE)
    Double lr;

    @Option(names = "--init-std", description = "Standard deviation of the initial weights (GPT-2 uses 0.02; small models learn "
            + "faster with more)" + FROM_RECIPE)
    Double initStd;

    public RecipeOverrides arch(String v) {
        arch = v;
        return this;
    }

    public RecipeOverrides layers(int v) {
        layers = v;
        return this;
    }

    public RecipeOverrides dModel(int v) {
        dModel = v;
        return this;
    }

    public RecipeOverrides heads(int v) {
        heads = v;
        return this;
    }

    public RecipeOverrides steps(int v) {
        steps = v;
        return this;
    }

    public RecipeOverrides batch(int v) {
        batch = v;
        return this;
    }

    public RecipeOverrides lr(double v) {
        lr = v;
        return this;
    }

    public RecipeOverrides initStd(double v) {
        initStd = v;
        return this;
    }

    /**
     * The recipe with every given option applied, checked ({@link TrainingRecipe#validate()}); a bad value fails with the
     * option's name, e.g. "--steps 0: steps must be at least 1, not 0". When an option is given, the recipe's note ends
     * with them ("...; overridden: --layers 2 --heads 8"), so its description says what was trained; its name and
     * {@code tuned} flag (whether the table's entry was measured) stay.
     */
    public TrainingRecipe apply(TrainingRecipe recipe) {
        TrainingRecipe r = recipe;
        r = with(r, "--arch", arch, TrainingRecipe::withArch);
        r = with(r, "--layers", layers, TrainingRecipe::withLayers);
        r = with(r, "--d-model", dModel, TrainingRecipe::withDModel);
        r = with(r, "--heads", heads, TrainingRecipe::withHeads);
        r = with(r, "--steps", steps, TrainingRecipe::withSteps);
        r = with(r, "--batch", batch, TrainingRecipe::withBatch);
        r = with(r, "--lr", lr, TrainingRecipe::withPeakLr);
        r = with(r, "--init-std", initStd, TrainingRecipe::withInitStd);
        String given = describe();
        try {
            r.validate();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + r.name() + " recipe" + (given.isEmpty() ? "" : " with " + given)
                    + " does not describe a model: " + e.getMessage(), e);
        }
        // The note travels with the recipe (training.json, the zoo's summary), so a run says it was not the table's recipe.
        return given.isEmpty() ? r : r.as(r.name(), r.tuned(), (r.note().isEmpty() ? "" : r.note() + "; ") + "overridden: " + given);
    }

    private static <T> TrainingRecipe with(TrainingRecipe r, String option, T value, BiFunction<TrainingRecipe, T, TrainingRecipe> set) {
        if (value == null) {
            return r;
        }
        try {
            return set.apply(r, value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + value + ": " + e.getMessage(), e);
        }
    }

    /** The options given, as on a command line ("--steps 3 --batch 4"), or "" when none is. */
    public String describe() {
        List<String> given = new ArrayList<>();
        add(given, "--arch", arch);
        add(given, "--layers", layers);
        add(given, "--d-model", dModel);
        add(given, "--heads", heads);
        add(given, "--steps", steps);
        add(given, "--batch", batch);
        add(given, "--lr", lr);
        add(given, "--init-std", initStd);
        return String.join(" ", given);
    }

    private static void add(List<String> given, String option, Object value) {
        if (value != null) {
            given.add(option + " " + value);
        }
    }
}
