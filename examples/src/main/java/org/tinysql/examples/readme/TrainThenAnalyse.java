package org.tinysql.examples.readme;

// README-BEGIN
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.interp.eap.CircuitDiscovery;
import org.tinysql.model.HfCheckpoint;
import org.tinysql.model.TinySqlModel;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.DType;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.train.SmallModelRecipe;
import org.tinysql.train.Trainer;
import org.tinysql.train.TrainingRecipe;
import org.tinysql.util.Progress;

/** Generate CS1 data, train a small model from scratch, score it, and find a circuit in it. */
public final class TrainThenAnalyse {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "runs/readme");
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 3000;        // about 5 minutes on 2 cores
        int examples = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;

        // 1. A CS1 dataset: train/validation/test JSONL, stats.json and a small SQL vocabulary (tokenizer.json)
        Path data = out.resolve("data");
        new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 42).writeSplits(data, examples, Progress.NONE);

        // 2. The measured CS1 recipe (2-layer d=128 Llama style model, AdamW 2e-3, cosine) and an HF model folder
        HfTokenizer tokenizer = HfTokenizer.load(data.resolve("tokenizer.json"));
        TrainingRecipe recipe = SmallModelRecipe.forDataset(1, "literal").withSteps(steps);
        Transformer model = recipe.model(tokenizer, 1);
        Trainer trainer = new Trainer(model, tokenizer, data.resolve("tokenizer.json"), DatasetIO.read(data, Split.TRAIN),
                DatasetIO.read(data, Split.VALIDATION), recipe.training(1), out.resolve("checkpoints"));
        trainer.run();                                                         // resumes from its checkpoints if any
        Path modelDir = out.resolve("model");
        HfCheckpoint.save(model.parameters(), modelDir, DType.F32);
        Files.copy(data.resolve("tokenizer.json"), modelDir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);

        // 3. Load it back and score greedy predictions on held-out prompts
        TinySqlModel m = TinySqlModel.load(modelDir);
        List<TinySqlExample> test = DatasetIO.read(data, Split.TEST).subList(0, 50);
        List<String> sql = m.predictSql(test);
        long exact = IntStream.range(0, test.size()).filter(i -> sql.get(i).equals(test.get(i).sqlStatement())).count();
        System.out.printf(Locale.ROOT, "exact match %d/%d%n", exact, test.size());

        // 4. The circuit that carries the table name from the instruction to the answer (EAP-IG with 5 steps)
        CircuitDiscovery.Options options = CircuitDiscovery.Options.builder(CorruptionKind.INSTRUCTION_TABLE)
                .pairs(32).igSteps(5).topEdges(40).build();
        CircuitDiscovery.Result found = CircuitDiscovery.run(m.transformer(), m.tokenizer(), options);
        found.write(out.resolve("eap"));                                       // eap.json and circuit.svg
        System.out.printf(Locale.ROOT, "circuit of %d edges, faithfulness %.2f%n", found.circuit().edgeCount(), found.faithfulness());
    }
}
// README-END
