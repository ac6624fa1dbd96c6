package org.tinysql.examples;

import java.util.List;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.model.SqlPredictor;
import org.tinysql.sql.Scoring;
import org.tinysql.util.ConsoleProgressBar;

/**
 * 03 - Evaluate the trained model on held-out CS1 prompts with greedy decoding (KV cache) and every scorer: the
 * paper's partial credit (original), our stricter partial credit, exact match, parsed-structural and execution on an
 * in-memory H2 database.
 *
 * <pre>java -cp examples/target/tinysql.jar org.tinysql.examples.E03Evaluate [model-folder]</pre>
 */
public final class E03Evaluate {

    private E03Evaluate() {
    }

    public static void main(String[] args) throws Exception {
        ExampleModel m = ExampleModel.load(args);
        List<TinySqlExample> test = DatasetIO.read(E01GenerateDataset.DATA, Split.TEST);
        test = test.subList(0, Math.min(300, test.size()));

        List<String> preds;
        try (ConsoleProgressBar bar = new ConsoleProgressBar("predict", test.size())) {
            preds = new SqlPredictor(m.model(), m.tokenizer(), 48).predict(test, 64, bar);
        }
        Scoring.report(Scoring.scoreAll(Scoring.items(test, preds), Scoring.standardScorers(), 2)).forEach(r -> System.out.println(r.describe()));
        for (int i = 0; i < 3; i++) {
            System.out.println(test.get(i).englishPrompt() + "\n  gold: " + test.get(i).sqlStatement() + "\n  pred: " + preds.get(i));
        }
    }
}
