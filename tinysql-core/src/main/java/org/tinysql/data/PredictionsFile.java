package org.tinysql.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Predicted SQL to score, one per line, in one of two formats:
 * <ul>
 *   <li>JSON Lines (a {@code .jsonl} file, or one whose first line starts with <code>{</code>): every non-blank line is a
 *       JSON object with a text field {@code "prediction"} (other fields are ignored);</li>
 *   <li>otherwise plain text: every line, verbatim, is one prediction (an empty line is an empty prediction).</li>
 * </ul>
 * Lines are read strictly ({@link TextLines}); any problem is a {@link DataFormatException} naming file and line.
 * {@link #write} writes the JSON Lines format with the gold SQL and the instruction beside each prediction, which
 * {@link #read} reads back.
 */
public final class PredictionsFile {
    private static final ObjectReader READER = StrictJson.reader(JsonNode.class);
    private static final ObjectWriter WRITER = DatasetIO.mapper().writer();

    private PredictionsFile() {
    }

    /**
     * The predictions in file order.
     *
     * @param file the JSON Lines or plain-text file
     * @return one prediction per (non-blank, for JSON Lines) line; at least one
     * @throws IOException if the file cannot be read, or a {@link DataFormatException} if it is empty, not UTF-8, or
     *     a JSON line lacks a text {@code prediction}
     */
    public static List<String> read(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        boolean jsonlName = file.getFileName() != null && file.getFileName().toString().endsWith(".jsonl");
        TextLines.forEach(file, new TextLines.Handler() {
            private boolean jsonl = jsonlName;

            @Override
            public void line(int n, String line) throws IOException {
                jsonl |= n == 1 && line.strip().startsWith("{");
                if (!jsonl) {
                    out.add(line);
                } else if (!line.isBlank()) {
                    out.add(prediction(file, n, line));
                }
            }
        });
        if (out.isEmpty()) {
            throw new DataFormatException(file, "no predictions (the file is empty)");
        }
        return out;
    }

    /**
     * Writes {@code predictions[i]} beside {@code gold[i]} as JSON Lines, atomically: one object per line with the fields
     * {@code prediction}, {@code gold} (the gold SQL), {@code exact} (whether the two are the same text) and
     * {@code english_prompt}, for reading misses by eye or with jq; {@link #read} reads the file back.
     *
     * @param file        the {@code .jsonl} file to write, replaced if present
     * @param gold        the examples predicted for, in order
     * @param predictions the predicted SQL, one per example, same order
     * @throws IllegalArgumentException if the two lists differ in length
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, List<TinySqlExample> gold, List<String> predictions) throws IOException {
        if (gold.size() != predictions.size()) {
            throw new IllegalArgumentException(predictions.size() + " predictions for " + gold.size() + " examples");
        }
        DatasetIO.writeLines(file, gold.size(), i -> {
            ObjectNode line = DatasetIO.mapper().createObjectNode();
            line.put("prediction", predictions.get(i));
            line.put("gold", gold.get(i).sqlStatement());
            line.put("exact", predictions.get(i).equals(gold.get(i).sqlStatement()));
            line.put("english_prompt", gold.get(i).englishPrompt());
            return WRITER.writeValueAsString(line);
        });
    }

    private static String prediction(Path file, int n, String line) throws DataFormatException {
        JsonNode node = StrictJson.readLine(READER, file, n, line);
        JsonNode p = node.get("prediction");
        if (p == null || !p.isTextual()) {
            throw new DataFormatException(file, n, p == null ? "no field \"prediction\""
                    : "field \"prediction\" must be text, not " + p.getNodeType().toString().toLowerCase(Locale.ROOT));
        }
        return p.textValue();
    }
}
