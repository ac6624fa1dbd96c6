package org.tinysql.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tinysql.model.TinySqlModel;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.HfTokenizer;

/** The trained model the examples analyse: a model folder given on the command line, or the quickstart's. */
record ExampleModel(Path dir, Transformer model, HfTokenizer tokenizer) {
    static final Path QUICKSTART_MODEL = Path.of("runs/quickstart/cs1-model/model");
    static final Path EXAMPLE_MODEL = Path.of("runs/examples/model");

    static ExampleModel load(String[] args) throws IOException {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.exists(EXAMPLE_MODEL.resolve("config.json")) ? EXAMPLE_MODEL : QUICKSTART_MODEL;
        if (!Files.exists(dir.resolve("config.json"))) {
            throw new IllegalArgumentException("no trained model in " + dir + ": run E02TrainModel (or the quickstart) first, "
                    + "or pass a model folder (config.json, model.safetensors, tokenizer.json)");
        }
        TinySqlModel m = TinySqlModel.load(dir);
        return new ExampleModel(dir, m.transformer(), m.tokenizer());
    }
}
