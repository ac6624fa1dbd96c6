package org.tinysql.train;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Locale;
import org.tinysql.model.ConfigValidator;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.Tokenizer;

/**
 * Everything that decides how a small TinySQL model is trained from scratch: the model's shape, its initialisation and
 * the optimisation schedule. {@link SmallModelRecipe#forDataset} looks up the recipe of a command set and variant;
 * {@code tinysql train}, {@code tinysql zoo}, the quickstart, the examples and the tests build their models and
 * {@link TrainerConfig}s from a recipe, and override single fields with the {@code with...} methods.
 *
 * <p>The constructor checks each field alone; the rules between the model's sizes (a width divisible by the heads, an
 * even head size for rotary positions, ...) are {@link ModelConfig}'s and are checked when the model is described, so
 * that {@code with...} calls can be chained in any order: call {@link #validate()} to check a recipe before writing
 * anything.
 *
 * @param name          what the recipe is for, e.g. "CS3 literal"
 * @param tuned         whether the values were measured for {@code name} (false: borrowed from another recipe)
 * @param note          where the values come from, e.g. "CS3 literal recipe, not yet tuned"
 * @param arch          llama (RMSNorm, RoPE, SwiGLU), gpt2 (learned positions, scaled attention) or gpt_neo
 * @param layers        transformer blocks
 * @param dModel        residual width
 * @param heads         attention heads
 * @param maxPositions  the model's longest sequence and the trainer's longest example, in tokens
 * @param ropeTheta     the RoPE base of a rotary model, or null for the architecture's own (10000 for llama; none for
 *                      learned positions); a training.json written before this field existed reads as null
 * @param initStd       standard deviation of the initial weights ({@link Parameters#init(ModelConfig, long, double)})
 * @param steps         optimisation steps
 * @param batch         examples per step
 * @param peakLr        learning rate after warmup
 * @param minLrDivisor  the cosine decay ends at {@code peakLr / minLrDivisor}
 * @param warmupPercent linear warmup over this percentage of the steps (at least one step)
 * @param weightDecay   AdamW's decoupled weight decay
 * @param curriculum    short answers first ({@link Curriculum}), or null for none; a training.json written before this
 *                      field existed reads as null
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TrainingRecipe(String name, boolean tuned, String note, String arch, int layers, int dModel, int heads,
                             int maxPositions, Double ropeTheta, double initStd, int steps, int batch, double peakLr, double minLrDivisor,
                             int warmupPercent, double weightDecay, Curriculum curriculum) {

    /** The architectures a recipe can train, as HF model_type names. */
    public static final List<String> ARCHITECTURES = List.of("llama", "gpt2", "gpt_neo");
    /** Longest recipe name or note (a note holds the table's provenance and the options that overrode it). */
    private static final int MAX_TEXT = 500;

    /**
     * Checks each field alone (the rules between sizes are checked by {@link #validate()}).
     * @param name what the recipe is for; 1 to 500 characters
     * @param tuned whether the values were measured for {@code name}
     * @param note where the values come from; at most 500 characters, not null
     * @param arch one of {@link #ARCHITECTURES}
     * @param layers transformer blocks, 1 to {@link ConfigValidator#MAX_LAYERS}
     * @param dModel residual width, 1 to {@link ConfigValidator#MAX_WIDTH}
     * @param heads attention heads, 1 to {@link ConfigValidator#MAX_WIDTH}
     * @param maxPositions the longest sequence in tokens, 1 to {@link ConfigValidator#MAX_POSITIONS}
     * @param ropeTheta the RoPE base, positive and finite, or null for the architecture's own
     * @param initStd standard deviation of the initial weights; positive and finite
     * @param steps optimisation steps, at least 1
     * @param batch examples per step, at least 1
     * @param peakLr learning rate after warmup; positive and finite
     * @param minLrDivisor the decay ends at {@code peakLr / minLrDivisor}; finite, at least 1
     * @param warmupPercent warmup as a percentage of the steps, 0 to 100
     * @param weightDecay AdamW's decoupled weight decay; finite, at least 0
     * @param curriculum short answers first, or null for none; its steps at most {@code steps}
     */
    public TrainingRecipe {
        if (name == null || name.isBlank() || name.length() > MAX_TEXT || note == null || note.length() > MAX_TEXT) {
            throw new IllegalArgumentException("a recipe needs a name of 1 to " + MAX_TEXT + " characters and a note of at most "
                    + MAX_TEXT);
        }
        if (!ARCHITECTURES.contains(arch)) {
            throw new IllegalArgumentException("arch must be llama, gpt2 or gpt_neo, not '" + arch + "'");
        }
        // Each size alone (arrays are sized by them); the rules between them are ModelConfig's, see validate().
        within("layers", layers, ConfigValidator.MAX_LAYERS);
        within("d_model", dModel, ConfigValidator.MAX_WIDTH);
        within("heads", heads, ConfigValidator.MAX_WIDTH);
        within("max_positions", maxPositions, ConfigValidator.MAX_POSITIONS);
        atLeast("steps", steps, 1);
        atLeast("batch", batch, 1);
        if (ropeTheta != null) {
            positive("rope_theta", ropeTheta);
        }
        positive("init_std", initStd);
        positive("peak_lr", peakLr);
        if (!(minLrDivisor >= 1) || Double.isInfinite(minLrDivisor)) {
            throw new IllegalArgumentException("min_lr_divisor must be a finite number of at least 1, not " + minLrDivisor);
        }
        if (warmupPercent < 0 || warmupPercent > 100) {
            throw new IllegalArgumentException("warmup_percent must be 0..100, not " + warmupPercent);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight_decay must be finite and not negative, not " + weightDecay);
        }
        if (curriculum != null && curriculum.steps() > steps) {
            throw new IllegalArgumentException("curriculum steps (" + curriculum.steps() + ") must not exceed the steps (" + steps
                    + ")");
        }
    }

    private static void atLeast(String what, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(what + " must be at least " + min + ", not " + value);
        }
    }

    private static void within(String what, int value, int max) {
        if (value < 1 || value > max) {
            throw new IllegalArgumentException(what + " must be 1.." + max + ", not " + value);
        }
    }

    private static void positive(String what, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(what + " must be positive and finite, not " + value);
        }
    }

    /**
     * This recipe, after checking that it describes a model ({@link ModelConfig}'s rules: layer and width ranges, the
     * width a multiple of the heads, an even head size for rotary positions); the message names the config.json keys.
     * @return this recipe
     */
    public TrainingRecipe validate() {
        config(1, -1);
        return this;
    }

    /**
     * The model's shape for a vocabulary of {@code vocabSize} tokens whose EOS is {@code eosId} (-1: none); a
     * {@link #ropeTheta} on an architecture with learned positions is an error.
     * @param vocabSize V, the tokenizer's vocabulary size
     * @param eosId the EOS token id, or -1 for none
     * @return the validated config (no bos token)
     */
    public ModelConfig config(int vocabSize, int eosId) {
        ModelConfig c = switch (arch) {
            case "llama" -> ModelConfig.llama(vocabSize, dModel, layers, heads, maxPositions);
            case "gpt2" -> ModelConfig.gpt2(vocabSize, dModel, layers, heads, maxPositions);
            default -> ModelConfig.gptNeo(vocabSize, dModel, layers, heads, maxPositions);
        };
        if (ropeTheta != null) {
            try {
                c = c.withRopeTheta(ropeTheta);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("rope_theta " + plain(ropeTheta) + " needs rotary positions (arch llama), not "
                        + arch, e);
            }
        }
        return c.withTokens(-1, eosId);
    }

    /**
     * The model's shape with the tokenizer's vocabulary and EOS.
     * @param tok the tokenizer the model will use
     * @return the validated config
     */
    public ModelConfig config(Tokenizer tok) {
        return config(tok.vocabSize(), tok.eosId());
    }

    /**
     * A freshly initialised model of {@link #config(Tokenizer)}, deterministic in the seed.
     * @param tok the tokenizer the model will use
     * @param seed the initialisation seed
     * @return a new model on the CPU backend
     */
    public Transformer model(Tokenizer tok, long seed) {
        return new Transformer(Parameters.init(config(tok), seed, initStd));
    }

    /**
     * The training schedule: {@link #steps} steps of {@link #batch}, warmup {@link #warmupPercent}%, cosine from
     * {@link #peakLr} to {@code peakLr / minLrDivisor}, clipping at 1, validation every tenth of the run, packed rows,
     * no periodic checkpoints (set them with {@link TrainerConfig#withCheckpoints}), the recipe's {@link #curriculum}.
     *
     * @param seed the data-order seed
     * @return the trainer settings
     */
    public TrainerConfig training(long seed) {
        int warmup = (int) Math.max(1, (long) steps * warmupPercent / 100);
        TrainerConfig c = new TrainerConfig(steps, batch, peakLr, peakLr / minLrDivisor, warmup, weightDecay, 1.0,
                Math.max(1, steps / 10), 4, 0, 2, seed, maxPositions);
        return curriculum == null ? c : c.withCurriculum(curriculum);
    }

    /**
     * One line, e.g. "CS5 literal (CS3 literal recipe, not yet tuned): llama, 2 layers, d=128, 4 heads, ..."; a RoPE base
     * is named when the recipe sets one ("8 heads, rope theta 1000000, init std ...").
     * @return the description
     */
    public String describe() {
        return String.format(Locale.ROOT, "%s (%s): %s, %d layers, d=%d, %d heads, %sinit std %s; %d steps of %d, %slr %s -> %s, "
                        + "warmup %d%%, weight decay %s", name, note.isEmpty() ? (tuned ? "tuned" : "not tuned") : note, arch,
                layers, dModel, heads, ropeTheta == null ? "" : "rope theta " + plain(ropeTheta) + ", ", plain(initStd), steps,
                batch, curriculum == null ? "" : curriculum.describe(), plain(peakLr), plain(peakLr / minLrDivisor), warmupPercent,
                plain(weightDecay));
    }

    /**
     * Whether {@code other} trains the same model with the same schedule: every value but the name, the note and the
     * tuned flag (which a table edit may change without changing what is trained).
     * @param other another recipe
     * @return true when the values are equal
     */
    public boolean sameValues(TrainingRecipe other) {
        return as("values", false, "").equals(other.as("values", false, ""));
    }

    /** A number without exponent or trailing zeros: 0.0002, 0.05, 0. */
    private static String plain(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /**
     * The same values under another name and provenance (for a recipe borrowed by another dataset).
     * @param newName what the recipe is now for
     * @param isTuned whether the values were measured for {@code newName}
     * @param newNote where the values come from
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe as(String newName, boolean isTuned, String newNote) {
        return new TrainingRecipe(newName, isTuned, newNote, arch, layers, dModel, heads, maxPositions, ropeTheta, initStd, steps, batch,
                peakLr, minLrDivisor, warmupPercent, weightDecay, curriculum);
    }

    /**
     * The same recipe with another architecture.
     * @param v llama, gpt2 or gpt_neo
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withArch(String v) {
        return new TrainingRecipe(name, tuned, note, v, layers, dModel, heads, maxPositions, ropeTheta, initStd, steps, batch, peakLr,
                minLrDivisor, warmupPercent, weightDecay, curriculum);
    }

    /**
     * The same recipe with another number of blocks.
     * @param v transformer blocks
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withLayers(int v) {
        return new TrainingRecipe(name, tuned, note, arch, v, dModel, heads, maxPositions, ropeTheta, initStd, steps, batch, peakLr,
                minLrDivisor, warmupPercent, weightDecay, curriculum);
    }

    /**
     * The same recipe with another residual width.
     * @param v the model width C
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withDModel(int v) {
        return new TrainingRecipe(name, tuned, note, arch, layers, v, heads, maxPositions, ropeTheta, initStd, steps, batch, peakLr,
                minLrDivisor, warmupPercent, weightDecay, curriculum);
    }

    /**
     * The same recipe with another number of heads.
     * @param v attention heads H
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withHeads(int v) {
        return new TrainingRecipe(name, tuned, note, arch, layers, dModel, v, maxPositions, ropeTheta, initStd, steps, batch, peakLr,
                minLrDivisor, warmupPercent, weightDecay, curriculum);
    }

    /**
     * The same recipe with another context length.
     * @param v the longest sequence in tokens
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withMaxPositions(int v) {
        return new TrainingRecipe(name, tuned, note, arch, layers, dModel, heads, v, ropeTheta, initStd, steps, batch, peakLr,
                minLrDivisor, warmupPercent, weightDecay, curriculum);
    }

    /**
     * The same recipe with another RoPE base (rotary positions only: {@link #config} rejects it with learned ones).
     * @param v the rope_theta, or null for the architecture's own
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withRopeTheta(Double v) {
        return new TrainingRecipe(name, tuned, note, arch, layers, dModel, heads, maxPositions, v, initStd, steps, batch, peakLr,
                minLrDivisor, warmupPercent, weightDecay, curriculum);
    }

    /**
     * The same recipe with another initialisation scale.
     * @param v standard deviation of the initial weights
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withInitStd(double v) {
        return new TrainingRecipe(name, tuned, note, arch, layers, dModel, heads, maxPositions, ropeTheta, v, steps, batch, peakLr,
                minLrDivisor, warmupPercent, weightDecay, curriculum);
    }

    /**
     * The same recipe with another number of steps; a curriculum keeps its fraction of the run (2000 of 8000 steps
     * become 500 of 2000).
     * @param v optimisation steps
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withSteps(int v) {
        Curriculum c = curriculum == null ? null
                : new Curriculum((int) Math.min(v, Math.round((double) curriculum.steps() * v / steps)), curriculum.maxItems());
        return new TrainingRecipe(name, tuned, note, arch, layers, dModel, heads, maxPositions, ropeTheta, initStd, v, batch, peakLr,
                minLrDivisor, warmupPercent, weightDecay, c == null || !c.active() ? null : c);
    }

    /**
     * The same recipe with another batch size.
     * @param v examples per step
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withBatch(int v) {
        return new TrainingRecipe(name, tuned, note, arch, layers, dModel, heads, maxPositions, ropeTheta, initStd, steps, v, peakLr,
                minLrDivisor, warmupPercent, weightDecay, curriculum);
    }

    /**
     * The same recipe with another peak learning rate.
     * @param v learning rate after warmup
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withPeakLr(double v) {
        return new TrainingRecipe(name, tuned, note, arch, layers, dModel, heads, maxPositions, ropeTheta, initStd, steps, batch, v,
                minLrDivisor, warmupPercent, weightDecay, curriculum);
    }

    /**
     * The same recipe with another end of the decay.
     * @param v the decay ends at {@code peakLr / v}
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withMinLrDivisor(double v) {
        return new TrainingRecipe(name, tuned, note, arch, layers, dModel, heads, maxPositions, ropeTheta, initStd, steps, batch, peakLr,
                v, warmupPercent, weightDecay, curriculum);
    }

    /**
     * The same recipe with another warmup.
     * @param v warmup as a percentage of the steps
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withWarmupPercent(int v) {
        return new TrainingRecipe(name, tuned, note, arch, layers, dModel, heads, maxPositions, ropeTheta, initStd, steps, batch, peakLr,
                minLrDivisor, v, weightDecay, curriculum);
    }

    /**
     * The same recipe with another weight decay.
     * @param v AdamW's decoupled weight decay
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withWeightDecay(double v) {
        return new TrainingRecipe(name, tuned, note, arch, layers, dModel, heads, maxPositions, ropeTheta, initStd, steps, batch, peakLr,
                minLrDivisor, warmupPercent, v, curriculum);
    }

    /**
     * The same recipe with another curriculum.
     * @param v short answers first, or null (or {@link Curriculum#NONE}) for none
     * @return a new recipe; this one is unchanged
     */
    public TrainingRecipe withCurriculum(Curriculum v) {
        return new TrainingRecipe(name, tuned, note, arch, layers, dModel, heads, maxPositions, ropeTheta, initStd, steps, batch, peakLr,
                minLrDivisor, warmupPercent, weightDecay, v == null || !v.active() ? null : v);
    }
}
