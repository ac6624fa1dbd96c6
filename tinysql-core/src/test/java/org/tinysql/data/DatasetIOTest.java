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

/** Item 8 of the hardening issue: every malformed data file is a clear error naming file and line. */
class DatasetIOTest {
    private static final TinySqlExample A = new DatasetGenerator(CommandSet.CS5, Variant.SYNONYM, 1).example(0, 10).row();
    private static final TinySqlExample B = new DatasetGenerator(CommandSet.CS5, Variant.SYNONYM, 1).example(1, 10).row();
    private static final String LINE_A = DatasetIO.toJson(A);
    private static final String LINE_B = DatasetIO.toJson(B);

    @TempDir
    Path dir;

    private Path file(byte[] content) throws IOException {
        Path f = dir.resolve("data.jsonl");
        Files.write(f, content);
        return f;
    }

    private Path file(String content) throws IOException {
        return file(content.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads {@code f}, expecting a DataFormatException whose message starts with {@code f:line: }. */
    private static String errorAt(Path f, int line) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetIO.read(f));
        assertTrue(e.getMessage().startsWith(f + ":" + line + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void twoObjectsOnOneLineAreAnError() throws IOException {
        // Before: the second object was silently dropped.
        String msg = errorAt(file(LINE_A + "\n" + LINE_A + LINE_B + "\n"), 2);
        assertTrue(msg.contains("second JSON value"), msg);
        errorAt(file(LINE_A + " " + LINE_B + "\n"), 1);
    }

    @Test
    void byteOrderMarkAtTheStartIsSkipped() throws IOException {
        // Before: line 1 failed with "Unexpected character".
        byte[] text = (LINE_A + "\n" + LINE_B + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[text.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(text, 0, withBom, 3, text.length);
        assertEquals(List.of(A, B), DatasetIO.read(file(withBom)));
        // Only at the start of the file: elsewhere it is not JSON.
        errorAt(file(LINE_A + "\n\uFEFF" + LINE_B + "\n"), 2);
    }

    @Test
    void invalidUtf8NamesFileLineAndByte() throws IOException {
        // Before: "Input length = 1", without file or line.
        byte[] bytes = (LINE_A + "\n" + LINE_B + "\n").getBytes(StandardCharsets.UTF_8);
        int at = LINE_A.length() + 1 + 30;
        bytes[at] = (byte) 0xFF;
        String msg = errorAt(file(bytes), 2);
        assertTrue(msg.contains("invalid UTF-8 at byte 31"), msg);
        // A truncated multi-byte sequence at the end of the file.
        byte[] cut = (LINE_A + "\n" + "{\"x\":\"\u00e9").getBytes(StandardCharsets.UTF_8);
        errorAt(file(java.util.Arrays.copyOf(cut, cut.length - 1)), 2);
    }

    @Test
    void emptyFileIsAnError() throws IOException {
        // Before: an empty list, which eval scored as "n=0 accuracy 0.00%".
        for (String content : List.of("", "\n\n", "   \n\t\n")) {
            Path f = file(content);
            DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetIO.read(f));
            assertTrue(e.getMessage().startsWith(f + ": no examples"), e.getMessage());
        }
    }

    @Test
    void floatCommandSetIsAnError() throws IOException {
        // Before: 1.5 was read as 1.
        String msg = errorAt(file(LINE_A.replace("\"command_set\":5", "\"command_set\":1.5") + "\n"), 1);
        assertTrue(msg.contains("command_set"), msg);
    }

    @Test
    void mistypedMissingAndUnknownFieldsAreErrors() throws IOException {
        assertTrue(errorAt(file(LINE_A.replace("\"command_set\":5", "\"command_set\":\"5\"")), 1).contains("command_set"));
        assertTrue(errorAt(file(LINE_A.replace("\"command_set\":5", "\"command_set\":null")), 1).contains("command_set"));
        assertTrue(errorAt(file(LINE_A.replace("\"command_set\":5,", "")), 1).contains("command_set is missing"));
        assertTrue(errorAt(file(LINE_A.replace("\"command_set\":5", "\"command_set\":9")), 1).contains("command_set must be 1..5"));
        assertTrue(errorAt(file(LINE_A.replace("\"use_synonym\":true", "\"use_synonym\":1")), 1).contains("use_synonym"));
        assertTrue(errorAt(file(LINE_A.replace("\"english_prompt\":\"", "\"english_prompt\":7,\"x\":\"")), 1)
                .contains("english_prompt"));
        assertTrue(errorAt(file(LINE_A.replace("\"select\":[", "\"select\":[null,")), 1).contains("select[0] is null"));
        assertTrue(errorAt(file(LINE_A.replace("{\"command_set\"", "{\"extra\":1,\"command_set\"")), 1)
                .contains("unknown field \"extra\""));
        assertTrue(errorAt(file(LINE_A.replace("{\"command_set\":5", "{\"command_set\":5,\"command_set\":4")), 1)
                .contains("Duplicate field"));
        assertTrue(errorAt(file(LINE_A.replace("\"where_connector\":\"AND\"", "\"where_connector\":\"XOR\"")), 1)
                .contains("where_connector"));
        assertTrue(errorAt(file("null\n"), 1).contains("expected a JSON object"));
        assertTrue(errorAt(file("[" + LINE_A + "]\n"), 1).contains("expected a JSON object"));
    }

    @Test
    void missingOptionalColumnsReadAsEmpty() throws IOException {
        String minimal = "{\"command_set\":1,\"use_synonym\":false,\"create_statement\":\"CREATE TABLE t ( a INT )\","
                + "\"english_prompt\":\"Show a from t\",\"sql_statement\":\"SELECT a FROM t\"}";
        TinySqlExample e = DatasetIO.read(file(minimal + "\n")).get(0);
        assertEquals(List.of(), e.select());
        assertEquals(List.of(), e.where());
        assertEquals(CommandSet.CS1, e.commandSetEnum());
        String noSynonymFlag = minimal.replace("\"use_synonym\":false,", "");
        assertTrue(errorAt(file(noSynonymFlag), 1).contains("use_synonym is missing"));
    }

    @Test
    void overlongLineIsAnErrorBeforeItIsRead() throws IOException {
        String huge = LINE_A.replace("\"english_prompt\":\"", "\"english_prompt\":\"" + "x".repeat(TextLines.MAX_LINE_BYTES));
        String msg = errorAt(file(LINE_A + "\n" + huge + "\n" + LINE_B + "\n"), 2);
        assertTrue(msg.contains("longer than"), msg);
    }

    /** Not a repro: CRLF and blank lines worked before and must keep working. */
    @Test
    void crlfLineEndingsAndBlankLinesAreRead() throws IOException {
        assertEquals(List.of(A, B), DatasetIO.read(file(LINE_A + "\r\n\r\n" + LINE_B + "\r\n")));
    }

    @Test
    void controlCharactersInMessagesAreEscaped() throws IOException {
        // Jackson quotes the bad token, terminal escape included; it must not reach the terminal raw.
        String msg = errorAt(file("x\u001b[2Jx\n"), 1);
        assertTrue(msg.contains("x\\u001b"), msg);
        assertTrue(msg.chars().noneMatch(Character::isISOControl), msg);
    }

    @Test
    void missingFileNamesTheFile() {
        Path f = dir.resolve("nope.jsonl");
        IOException e = assertThrows(IOException.class, () -> DatasetIO.read(f));
        assertEquals(f + ": no such file", e.getMessage());
        java.io.UncheckedIOException u = assertThrows(java.io.UncheckedIOException.class, () -> DatasetIO.read(dir, Split.TEST));
        assertEquals(dir.resolve("test.jsonl") + ": no such file", u.getMessage());
    }
}
