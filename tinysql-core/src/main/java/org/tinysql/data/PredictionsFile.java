package org.tinysql.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
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
 */
public final class PredictionsFile {
    private static final ObjectReader READER = StrictJson.reader(JsonNode.class);

    private PredictionsFile() {
    }

    /** The predictions in file order. */
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
