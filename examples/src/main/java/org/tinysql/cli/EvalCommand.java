package org.tinysql.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.PredictionsFile;
import org.tinysql.data.TinySqlExample;
import org.tinysql.util.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tinysql eval}: scores predictions against a TinySQL split with every scorer. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Score predicted SQL against a dataset split (original, partial, exact, structural, execution).")
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "Gold examples (a .jsonl split).")
    Path data;

    @Option(names = "--predictions", description = "Predictions: JSON Lines (a .jsonl file, or first line a JSON object) "
            + "with a text field \"prediction\", or else one SQL per line. Default: the gold SQL itself (a sanity check of the scorers).")
    Path predictions;

    @Option(names = "--model", description = "A model folder (HF layout with tokenizer.json): predictions are generated "
            + "greedily instead of read from --predictions.")
    Path model;

    @Option(names = "--limit", defaultValue = "0", description = "Score only the first N examples (0: all; default: ${DEFAULT-VALUE}); "
            + "--predictions may then hold one for every example or for the first N.")
    int limit;

    @Option(names = "--threads", defaultValue = "2", description = "Scoring threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--out", description = "Write the per-scorer report as JSON here.")
    Path out;

    @Option(names = "--save-predictions", description = "Write every prediction beside its gold SQL and instruction "
            + "here (JSON Lines: prediction, gold, exact, english_prompt; --predictions reads it back).")
    Path savePredictions;

    @Override
    public Integer call() throws Exception {
        if (model != null && predictions != null) {
            throw new IllegalArgumentException("give either --model or --predictions, not both");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be 0 (all) or more, not " + limit);
        }
        for (Path o : new Path[] {out, savePredictions}) {
            if (o != null) {
                AtomicFiles.refuseFolder(o); // before predicting (minutes with --model), not at the write
            }
        }
        List<TinySqlExample> gold = DatasetIO.read(data);
        int all = gold.size();
        if (limit > 0 && limit < gold.size()) {
            gold = gold.subList(0, limit);
        }
        List<String> preds;
        if (model != null) {
            preds = ModelEvaluation.predict(model, gold);
        } else {
            preds = predictions == null ? gold.stream().map(TinySqlExample::sqlStatement).toList() : PredictionsFile.read(predictions);
        }
        if (preds.size() == all && all > gold.size()) {
            preds = preds.subList(0, gold.size());
        }
        if (preds.size() != gold.size()) {
            throw new IllegalArgumentException(predictions + " has " + preds.size() + " predictions but " + data + " has "
                    + all + " examples" + (gold.size() < all ? " (" + gold.size() + " with --limit)" : ""));
        }
        if (savePredictions != null) {
            PredictionsFile.write(savePredictions, gold, preds);
            System.out.println("wrote " + savePredictions);
        }
        ModelEvaluation.Scores scores = ModelEvaluation.score(gold, preds, threads);
        System.out.print(scores.describe());
        if (out != null) {
            AtomicFiles.writeString(out, DatasetIO.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(scores.reports()));
            System.out.println("wrote " + out);
        }
        return 0;
    }
}
