package org.tinysql.examples;

import java.nio.file.Path;
import java.util.Locale;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
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
 * 02 - Train a 2-layer Llama style model (d=128) from scratch on the CS1 data of example 01 and save it as a
 * HuggingFace folder in runs/examples/model. Interrupt it and run again: training resumes from the last checkpoint.
 *
 * <pre>java -cp examples/target/tinysql.jar org.tinysql.examples.E02TrainModel [steps]</pre>
 */
public final class E02TrainModel {

    private E02TrainModel() {
    }

    public static void main(String[] args) throws Exception {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : SmallModelRecipe.STEPS;
        Path data = E01GenerateDataset.DATA;
        HfTokenizer tok = HfTokenizer.load(data.resolve("tokenizer.json"));

        // A small Llama (2 layers, d=128, 8 heads): RMSNorm, rotary positions, SwiGLU, tied embeddings; vocabulary from
        // the dataset; weights drawn with standard deviation 0.05 (GPT-2's 0.02 starts small models on a long plateau).
        TrainingRecipe recipe = SmallModelRecipe.CS1.withSteps(steps);
        Transformer model = recipe.model(tok, 1);

        // AdamW, warmup + cosine, loss on the SQL tokens only, packed rows, checkpoints every 250 steps.
        TrainerConfig tc = recipe.training(1).withCheckpoints(250, 250);
        Trainer trainer = new Trainer(model, tok, data.resolve("tokenizer.json"), DatasetIO.read(data, Split.TRAIN),
                DatasetIO.read(data, Split.VALIDATION), tc, Path.of("runs/examples/checkpoints"));
        try (ConsoleProgressBar bar = new ConsoleProgressBar("train", steps)) {
            trainer.run(bar);
        }
        System.out.printf(Locale.ROOT, "validation loss %.4f%n", trainer.validationLoss());

        HfCheckpoint.save(model.parameters(), ExampleModel.EXAMPLE_MODEL, DType.F32);
        java.nio.file.Files.copy(data.resolve("tokenizer.json"), ExampleModel.EXAMPLE_MODEL.resolve("tokenizer.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        System.out.println("saved " + ExampleModel.EXAMPLE_MODEL.toAbsolutePath());
    }
}
