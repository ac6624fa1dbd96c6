package org.tinysql.examples;

import java.nio.file.Path;
import java.util.List;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionGenerator;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.DatasetStats;
import org.tinysql.data.PromptPair;
import org.tinysql.data.Variant;
import org.tinysql.util.ConsoleProgressBar;

/**
 * 01 - Generate a TinySQL dataset. Writes CS1 (literal) train/validation/test JSONL, stats.json and a word-level
 * tokenizer.json to runs/examples/data/cs1, then shows one example of each command set and one clean/corrupt pair.
 *
 * <pre>java -cp examples/target/tinysql.jar org.tinysql.examples.E01GenerateDataset [examples]</pre>
 */
public final class E01GenerateDataset {
    static final Path DATA = Path.of("runs/examples/data/cs1");

    private E01GenerateDataset() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 60_000;

        // One seeded generator per command set and variant; example(i) is deterministic.
        for (CommandSet cs : CommandSet.values()) {
            var ex = new DatasetGenerator(cs, Variant.SYNONYM, 1).example(0, 0).row();
            System.out.println(cs + ": " + ex.englishPrompt() + "\n     " + ex.sqlStatement());
        }

        // The CS1 training data: fresh examples (tens of thousands) keep a small model from memorising.
        DatasetStats stats;
        try (ConsoleProgressBar bar = new ConsoleProgressBar("generate CS1", n)) {
            stats = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 42).writeSplits(DATA, n, bar);
        }
        System.out.println(stats.describe());

        // Clean/corrupt pairs for interpretability: the instruction names another table.
        List<PromptPair> pairs = new CorruptionGenerator(CommandSet.CS1, Variant.LITERAL, 7, null).pairs(CorruptionKind.INSTRUCTION_TABLE, 1);
        PromptPair p = pairs.get(0);
        System.out.println("clean:   " + p.clean() + "  ->" + p.cleanAnswer());
        System.out.println("corrupt: " + p.corrupt() + "  ->" + p.corruptAnswer());
        System.out.println("wrote " + DATA.toAbsolutePath());
    }
}
