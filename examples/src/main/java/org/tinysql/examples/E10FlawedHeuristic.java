package org.tinysql.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.Variant;
import org.tinysql.interp.patching.TableConflict;
import org.tinysql.interp.report.HtmlReport;
import org.tinysql.interp.report.Svg;
import org.tinysql.model.HfCheckpoint;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.DType;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.train.SmallModelRecipe;
import org.tinysql.train.Trainer;
import org.tinysql.train.TrainerConfig;
import org.tinysql.train.TrainingRecipe;
import org.tinysql.util.ConsoleProgressBar;

/**
 * 10 - A flawed heuristic and its fix. In CS1 (literal) the instruction always names the table exactly as the
 * Context's CREATE statement does, so a model can copy the table name from either. Conflict prompts - the
 * instruction names table X, the Context defines table Y - show which one it copies (the correct SQL uses Y, the
 * table that exists). Head patching shows the heads responsible. Then a model is trained on data where instructions
 * name tables by synonyms (CS1, synonym variant), so the literal table name is only in the Context, and the same
 * conflict prompts are measured again. Writes runs/examples/flawed-heuristic.html.
 *
 * <pre>java -cp examples/target/tinysql.jar org.tinysql.examples.E10FlawedHeuristic [model-folder] [steps]</pre>
 */
public final class E10FlawedHeuristic {

    /** Where the model trained on the fixed (synonym) data is written. */
    public static final Path FIXED_MODEL = Path.of("runs/examples/model-synonym");

    private E10FlawedHeuristic() {
    }

    public static void main(String[] args) throws Exception {
        ExampleModel literal = ExampleModel.load(args.length > 0 ? new String[] {args[0]} : new String[0]);
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : SmallModelRecipe.STEPS;
        TableConflict.Measure before = TableConflict.measure(literal.model(), literal.tokenizer());
        System.out.printf(Locale.ROOT, "literal-trained model: copies the Context's table on %.0f%% of %d conflict prompts (mean logit diff %+.2f)%n",
                100 * before.contextRate(), before.pairs(), before.meanLogitDiff());
        System.out.println(before.heads().format());

        // The fix: instructions that name tables by synonyms, so only the Context has the literal name.
        Path data = Path.of("runs/examples/data/cs1-synonym");
        Path modelDir = FIXED_MODEL;
        if (!Files.exists(modelDir.resolve("config.json"))) {
            if (!Files.exists(data.resolve("stats.json"))) {
                try (ConsoleProgressBar bar = new ConsoleProgressBar("generate CS1 synonyms", 60_000)) {
                    new DatasetGenerator(CommandSet.CS1, Variant.SYNONYM, 43).writeSplits(data, 60_000, bar);
                }
            }
            HfTokenizer tok = HfTokenizer.load(data.resolve("tokenizer.json"));
            // the same recipe as example 02's literal-trained model, on the synonym data
            TrainingRecipe recipe = SmallModelRecipe.CS1.withSteps(steps);
            Transformer m = recipe.model(tok, 1);
            TrainerConfig tc = recipe.training(1234).withCheckpoints(250, 500);
            Trainer trainer = new Trainer(m, tok, data.resolve("tokenizer.json"), DatasetIO.read(data, Split.TRAIN),
                    DatasetIO.read(data, Split.VALIDATION), tc, Path.of("runs/examples/checkpoints-synonym"));
            try (ConsoleProgressBar bar = new ConsoleProgressBar("train (synonyms)", steps)) {
                trainer.run(bar);
            }
            HfCheckpoint.save(m.parameters(), modelDir, DType.F32);
            Files.copy(data.resolve("tokenizer.json"), modelDir.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        ExampleModel fixed = ExampleModel.load(new String[] {modelDir.toString()});
        TableConflict.Measure after = TableConflict.measure(fixed.model(), fixed.tokenizer());
        System.out.printf(Locale.ROOT, "synonym-trained model: copies the Context's table on %.0f%% of %d conflict prompts (mean logit diff %+.2f)%n",
                100 * after.contextRate(), after.pairs(), after.meanLogitDiff());
        System.out.println(after.heads().format());

        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("CS1 literal", String.format(Locale.ROOT, "%.0f%%", 100 * before.contextRate()),
                String.format(Locale.ROOT, "%+.2f", before.meanLogitDiff())));
        rows.add(List.of("CS1 synonyms (fix)", String.format(Locale.ROOT, "%.0f%%", 100 * after.contextRate()),
                String.format(Locale.ROOT, "%+.2f", after.meanLogitDiff())));
        HtmlReport report = new HtmlReport("Flawed heuristic: where does the table name come from?");
        report.section("Conflict prompts", HtmlReport.p("The instruction names table X, the Context's CREATE statement defines table Y; "
                        + "the correct SQL selects FROM Y. Logit difference = logit[Y] - logit[X] at the table position.")
                        + HtmlReport.table(List.of("training data", "copies the Context (Y)", "mean logit diff"), rows))
                .section("Responsible heads", HtmlReport.p("Head-output patching (clean -> conflict run), normalized.")
                        + HtmlReport.figure(Svg.heatmap("literal-trained", before.heads().values(), before.heads().rows(),
                        before.heads().columns(), true, 30), "literal")
                        + HtmlReport.figure(Svg.heatmap("synonym-trained", after.heads().values(), after.heads().rows(),
                        after.heads().columns(), true, 30), "synonyms"));
        report.write(Path.of("runs/examples/flawed-heuristic.html"));
        System.out.println("wrote runs/examples/flawed-heuristic.html");
    }
}
