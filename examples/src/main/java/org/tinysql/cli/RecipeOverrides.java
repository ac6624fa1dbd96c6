package org.tinysql.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.tinysql.train.Curriculum;
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

    @Option(names = "--rope-theta", description = "RoPE base of a rotary (llama) model; a larger one leaves more of each head's "
            + "dimensions free of position, for matching content far away (default: the recipe's, else 10000).")
    Double ropeTheta;

    @Option(names = "--init-std", description = "Standard deviation of the initial weights (GPT-2 uses 0.02; small models learn "
            + "faster with more)" + FROM_RECIPE)
    Double initStd;

    @Option(names = "--curriculum-steps", description = "Steps at the start that train only on the examples with short lists "
            + "(see --curriculum-items; 0: none); --steps scales the recipe's in proportion" + FROM_RECIPE)
    Integer curriculumSteps;

    @Option(names = "--curriculum-items", description = "The most items per list (SELECT, ORDER BY, GROUP BY, WHERE) of the "
            + "examples the curriculum steps train on (default: the recipe's, else " + Curriculum.DEFAULT_MAX_ITEMS + ").")
    Integer curriculumItems;

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

    public RecipeOverrides ropeTheta(double v) {
        ropeTheta = v;
        return this;
    }

    public RecipeOverrides initStd(double v) {
        initStd = v;
        return this;
    }

    public RecipeOverrides curriculumSteps(int v) {
        curriculumSteps = v;
        return this;
    }

    public RecipeOverrides curriculumItems(int v) {
        curriculumItems = v;
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
        for (Given<?> g : given()) {
            r = g.applyTo(r);
        }
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

    /** One option given on the command line: its name, its value and the recipe field it sets. */
    private record Given<T>(String option, T value, BiFunction<TrainingRecipe, T, TrainingRecipe> set) {
        TrainingRecipe applyTo(TrainingRecipe r) {
            try {
                return set.apply(r, value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + " " + value + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String toString() {
            return option + " " + value;
        }
    }

    /** The options given, always in the same order (so the note names them in that order). */
    private List<Given<?>> given() {
        List<Given<?>> all = List.of(new Given<>("--arch", arch, TrainingRecipe::withArch),
                new Given<>("--layers", layers, TrainingRecipe::withLayers),
                new Given<>("--d-model", dModel, TrainingRecipe::withDModel),
                new Given<>("--heads", heads, TrainingRecipe::withHeads),
                new Given<>("--steps", steps, TrainingRecipe::withSteps),
                new Given<>("--batch", batch, TrainingRecipe::withBatch),
                new Given<>("--lr", lr, TrainingRecipe::withPeakLr),
                new Given<>("--rope-theta", ropeTheta, TrainingRecipe::withRopeTheta),
                new Given<>("--init-std", initStd, TrainingRecipe::withInitStd),
                new Given<>("--curriculum-steps", curriculumSteps, (r, v) -> r.withCurriculum(new Curriculum(v,
                        r.curriculum() == null ? Curriculum.DEFAULT_MAX_ITEMS : r.curriculum().maxItems()))),
                new Given<>("--curriculum-items", curriculumItems, RecipeOverrides::withCurriculumItems));
        List<Given<?>> given = new ArrayList<>();
        for (Given<?> g : all) {
            if (g.value() != null) {
                given.add(g);
            }
        }
        return given;
    }

    /** {@code r} with lists of at most {@code items} in its curriculum, which it must have. */
    private static TrainingRecipe withCurriculumItems(TrainingRecipe r, int items) {
        if (r.curriculum() == null) {
            throw new IllegalArgumentException("the " + r.name() + " recipe has no curriculum: give --curriculum-steps too");
        }
        return r.withCurriculum(new Curriculum(r.curriculum().steps(), items));
    }

    /** The options given, as on a command line ("--steps 3 --batch 4"), or "" when none is. */
    public String describe() {
        List<String> options = new ArrayList<>();
        for (Given<?> g : given()) {
            options.add(g.toString());
        }
        return String.join(" ", options);
    }
}
