package org.tinysql.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The predictions file of {@code eval --predictions}: the same strictness as dataset files. */
class PredictionsFileTest {
    @TempDir
    Path dir;

    private Path file(String name, byte[] content) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content);
        return f;
    }

    private Path file(String name, String content) throws IOException {
        return file(name, content.getBytes(StandardCharsets.UTF_8));
    }

    private static String errorAt(Path f, int line) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> PredictionsFile.read(f));
        assertTrue(e.getMessage().startsWith(f + ":" + line + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void plainTextLinesAreVerbatim() throws IOException {
        assertEquals(List.of("SELECT a FROM t", "", "  SELECT {b} FROM t "),
                PredictionsFile.read(file("p.txt", "SELECT a FROM t\r\n\n  SELECT {b} FROM t \n")));
    }

    @Test
    void jsonLinesNeedATextPrediction() throws IOException {
        assertEquals(List.of("SELECT a", "SELECT b"),
                PredictionsFile.read(file("p.txt", "{\"prediction\":\"SELECT a\",\"id\":1}\n\n{\"prediction\":\"SELECT b\"}\n")));
        assertTrue(errorAt(file("p.jsonl", "{\"prediction\":\"a\"}\n{\"pred\":\"b\"}\n"), 2).contains("no field \"prediction\""));
        assertTrue(errorAt(file("p.jsonl", "{\"prediction\":7}\n"), 1).contains("must be text"));
        assertTrue(errorAt(file("p.jsonl", "{\"prediction\":null}\n"), 1).contains("must be text"));
        // In a JSON Lines file, a line that is not JSON is an error, not a prediction.
        errorAt(file("p.jsonl", "{\"prediction\":\"a\"}\nSELECT b\n"), 2);
        errorAt(file("p.jsonl", "SELECT a\n"), 1);
        assertTrue(errorAt(file("p.jsonl", "{\"prediction\":\"a\",\"prediction\":\"b\"}\n"), 1).contains("Duplicate field"));
    }

    @Test
    void twoObjectsOnOneLineAreAnError() throws IOException {
        // Before: the second object was silently dropped.
        errorAt(file("p.jsonl", "{\"prediction\":\"a\"}{\"prediction\":\"b\"}\n"), 1);
    }

    @Test
    void byteOrderMarkAtTheStartIsSkipped() throws IOException {
        // Before: line 1 was not recognised as JSON and became the prediction "\uFEFF{...}".
        byte[] text = "{\"prediction\":\"SELECT a\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[text.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(text, 0, withBom, 3, text.length);
        assertEquals(List.of("SELECT a"), PredictionsFile.read(file("p.txt", withBom)));
    }

    @Test
    void invalidUtf8AndEmptyFilesAreErrors() throws IOException {
        assertTrue(errorAt(file("p.txt", new byte[] {'a', '\n', 'b', (byte) 0xC3, '\n'}), 2).contains("invalid UTF-8"));
        Path empty = file("p.txt", "");
        DataFormatException e = assertThrows(DataFormatException.class, () -> PredictionsFile.read(empty));
        assertTrue(e.getMessage().startsWith(empty + ": no predictions"), e.getMessage());
    }

    @Test
    void writtenPredictionsReadBackWithTheirGold() throws IOException {
        List<TinySqlExample> gold = new DatasetGenerator(CommandSet.CS3, Variant.SYNONYM, 5).generate(3);
        List<String> predictions = List.of(gold.get(0).sqlStatement(), "SELECT \"quoted\"\nFROM t", "");
        Path f = dir.resolve("predictions.jsonl");
        PredictionsFile.write(f, gold, predictions);
        assertEquals(predictions, PredictionsFile.read(f));
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        assertEquals(3, lines.size(), "one line per prediction, newlines escaped");
        var first = DatasetIO.mapper().readTree(lines.get(0));
        assertEquals(gold.get(0).sqlStatement(), first.get("gold").textValue());
        assertEquals(gold.get(0).englishPrompt(), first.get("english_prompt").textValue());
        assertTrue(first.get("exact").booleanValue());
        assertTrue(!DatasetIO.mapper().readTree(lines.get(2)).get("exact").booleanValue());
        assertThrows(IllegalArgumentException.class, () -> PredictionsFile.write(f, gold, predictions.subList(0, 2)));
        assertEquals(predictions, PredictionsFile.read(f), "a refused write leaves the file as it was");
    }
}
