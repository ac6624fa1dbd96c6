package org.tinysql.examples;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.Generator;
import org.tinysql.model.SqlPredictor;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.HfTokenizer;

/**
 * Loads a HuggingFace checkpoint folder (config.json, model.safetensors or shards, tokenizer.json), generates SQL
 * for a TinySQL prompt and prints the top-5 next-token probabilities after the prompt.
 *
 * <pre>java -cp examples/target/tinysql.jar org.tinysql.examples.E09LoadPretrained path/to/model [command-set]</pre>
 */
public final class E09LoadPretrained {

    private E09LoadPretrained() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LoadPretrained MODEL_DIR [1..5]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        CommandSet cs = args.length > 1 ? CommandSet.parse(args[1]) : CommandSet.CS1;

        // 1. Load the model and its tokenizer.
        Transformer model = Transformer.fromPretrained(dir);
        HfTokenizer tok = HfTokenizer.load(dir);
        System.out.println("loaded " + model.config() + " with " + model.parameters().count() + " parameters");

        // 2. A TinySQL prompt.
        TinySqlExample ex = new DatasetGenerator(cs, Variant.LITERAL, 7).example(0, 1).row();
        String prompt = SqlPredictor.promptOf(ex.englishPrompt(), ex.createStatement());
        System.out.println(prompt);

        // 3. Top-5 next tokens after the prompt.
        int[] ids = tok.encodePrompt(prompt); // with the tokenizer's sequence start (Llama-3: <|begin_of_text|>)
        INDArray logits = model.forward(new int[][] {ids}, null);
        float[] last = logits.get(NDArrayIndex.point(0), NDArrayIndex.point(ids.length - 1), NDArrayIndex.all()).toFloatVector();
        double max = Double.NEGATIVE_INFINITY;
        for (float l : last) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : last) {
            sum += Math.exp(l - max);
        }
        double z = sum;
        double m = max;
        List<Integer> top = IntStream.range(0, last.length).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> last[i]).reversed()).limit(5).toList();
        System.out.println("top-5 next tokens:");
        for (int id : top) {
            System.out.printf(Locale.ROOT, "  %-20s p=%.4f%n", Arrays.toString(new String[] {tok.decode(new int[] {id})}), Math.exp(last[id] - m) / z);
        }

        // 4. Greedy generation with the KV cache.
        int[] out = Generator.generate(model, List.of(ids), Generator.Options.greedy(96, tok.eosId(), Math.max(0, tok.padId()))).get(0);
        System.out.println("generated: " + tok.decode(out).strip());
        System.out.println("gold:      " + ex.sqlStatement());
    }
}
