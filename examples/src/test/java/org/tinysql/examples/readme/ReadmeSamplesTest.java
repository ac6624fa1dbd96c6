package org.tinysql.examples.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's Java samples are the files in this package, verbatim (between README-BEGIN and README-END), so they
 * compile with every build; here they also run, end to end, on a tiny budget.
 */
class ReadmeSamplesTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern SAMPLE = Pattern.compile("<!-- sample: (\\S+) -->\\R```java\\R(.*?)```", Pattern.DOTALL);

    /** The README-BEGIN..README-END part of a sample file. */
    static String region(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int begin = text.indexOf("// README-BEGIN\n");
        int end = text.indexOf("// README-END");
        assertTrue(begin >= 0 && end > begin, file + " has no README-BEGIN/README-END region");
        return text.substring(begin + "// README-BEGIN\n".length(), end);
    }

    @Test
    void readmeShowsEverySampleFileVerbatim() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        Matcher m = SAMPLE.matcher(readme);
        List<String> shown = new ArrayList<>();
        while (m.find()) {
            Path file = Path.of("..").resolve(m.group(1));
            assertEquals(region(file), m.group(2), "README's copy of " + m.group(1) + " differs from the file: copy the"
                    + " file's README-BEGIN..README-END region into README.md");
            shown.add(file.getFileName().toString());
        }
        try (var files = Files.list(Path.of("src/main/java/org/tinysql/examples/readme"))) {
            List<String> all = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(all, shown.stream().sorted().toList(), "every sample file is in README, and only those");
        }
        // Every other java block in README is one of these (no uncompiled snippets).
        long javaBlocks = Pattern.compile("```java").matcher(readme).results().count();
        assertEquals(shown.size(), javaBlocks, "README has a java block that is not a compiled sample");
    }

    @Test
    void samplesRunEndToEnd(@TempDir Path dir) throws Exception {
        String out = org.tinysql.cli.ConsoleCapture.out(() -> {
            DatasetAndScoring.main(new String[0]);
            TrainThenAnalyse.main(new String[] {dir.toString(), "20", "600"});
            HooksAndCaches.main(new String[] {dir.resolve("model").toString(), dir.resolve("data").toString()});
            StudyOfModels.main(new String[] {dir.resolve("model").toString(), dir.resolve("study").toString(), "600"});
        });
        assertTrue(out.contains("### Response:") && out.contains("false "), out);
        assertTrue(out.contains("exact match ") && out.contains("/50"), out);
        assertTrue(out.contains("circuit of ") && Files.exists(dir.resolve("eap/eap.json")), out);
        assertTrue(out.contains("head results [" + org.tinysql.train.SmallModelRecipe.HEADS + ", 4,") && out.contains("logit change when layer 1's heads are zeroed: "), out);
        assertFalse(out.contains("logit change when layer 1's heads are zeroed: 0.0\n"), "the hook changed the logits: " + out);
        assertTrue(out.contains("instruction-table: ") && out.contains("minimal circuit: [") && Files.exists(dir.resolve("study/study.md")), out);
    }
}
