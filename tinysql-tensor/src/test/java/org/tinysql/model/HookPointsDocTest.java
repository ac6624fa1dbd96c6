package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** docs/HOOKS.md's tables are {@link HookPoints#dims}, so they cannot drift from the code. */
class HookPointsDocTest {
    private static final Path DOC = Path.of("..", "docs", "HOOKS.md");

    /** The table of a one-layer model, block 0 written as block {i}. */
    static String table(ModelConfig c) {
        StringBuilder sb = new StringBuilder("| hook point | shape |\n| --- | --- |\n");
        for (Map.Entry<String, HookPoints.Dim[]> e : HookPoints.dims(c).entrySet()) {
            String dims = Arrays.stream(e.getValue()).map(Enum::name).collect(Collectors.joining(", ", "[", "]"));
            sb.append("| `").append(e.getKey().replace("blocks.0.", "blocks.{i}.")).append("` | ").append(dims).append(" |\n");
        }
        return sb.toString();
    }

    private static String section(String doc, String name) {
        String begin = "<!-- hooks:" + name + " -->\n";
        int b = doc.indexOf(begin);
        int e = doc.indexOf("<!-- /hooks -->", b);
        assertTrue(b >= 0 && e > b, "docs/HOOKS.md has no " + begin.strip() + " ... <!-- /hooks --> section");
        return doc.substring(b + begin.length(), e);
    }

    @Test
    void docsShowTheHookPointsOfEachFamily() throws IOException {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        assertEquals(table(ModelConfig.llama(100, 32, 1, 4, 64)), section(doc, "llama"),
                "regenerate docs/HOOKS.md's Llama table from HookPoints.dims");
        assertEquals(table(ModelConfig.gpt2(100, 32, 1, 4, 64)), section(doc, "gpt2"),
                "regenerate docs/HOOKS.md's GPT-2 table from HookPoints.dims");
    }
}
