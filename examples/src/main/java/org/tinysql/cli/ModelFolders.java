package org.tinysql.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tinysql.model.HfCheckpoint;
import org.tinysql.model.Parameters;
import org.tinysql.tensor.DType;
import org.tinysql.util.AtomicFiles;

/** Writing a trained model as a self-contained HF folder: config.json, model.safetensors and tokenizer.json. */
final class ModelFolders {

    private ModelFolders() {
    }

    static void save(Parameters params, Path tokenizerJson, Path dir) throws IOException {
        HfCheckpoint.save(params, dir, DType.F32);
        AtomicFiles.write(dir.resolve("tokenizer.json"), (AtomicFiles.StreamWriter) out -> Files.copy(tokenizerJson, out));
    }
}
