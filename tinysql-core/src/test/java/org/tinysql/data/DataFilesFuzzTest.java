package org.tinysql.data;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.data.FuzzTally.Expect;
import org.tinysql.util.Progress;

/**
 * Seeded fuzzing of the three files the CLI reads: dataset JSONL, predictions, stats.json. Each input is a mutation
 * of valid content whose right outcome is known: a clear error naming file and line, or a correct read.
 */
class DataFilesFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final byte[][] INVALID_UTF8 = {{(byte) 0xFF}, {(byte) 0xFE}, {(byte) 0xC0, (byte) 0x80},
        {(byte) 0xC1, (byte) 0xBF}, {(byte) 0xC3}, {(byte) 0x80}, {(byte) 0xBF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
        {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}};
    private static final List<String> REQUIRED = List.of("command_set", "use_synonym", "create_statement", "english_prompt",
            "sql_statement");
    private static final List<String> LISTS = List.of("table_fields", "select", "order_by", "group_by", "where",
            "create_statements");
    private static final List<String> NULLABLE = List.of("table_name", "table_name_synonym", "where_connector", "join", "split");
    /** Wrong values by field; every one must be rejected. */
    private static final Map<String, List<String>> WRONG = Map.of(
            "int", List.of("1.5", "2.0", "\"3\"", "true", "[1]", "{}", "1e2", "2147483648", "-1", "0", "6", "null"),
            "bool", List.of("1", "0", "\"true\"", "\"false\"", "[]", "{}", "null", "1.0"),
            "text", List.of("5", "1.5", "true", "[]", "{}", "[\"a\"]"),
            "list", List.of("\"x\"", "\"\"", "5", "{}", "[1]", "[true]", "[null]", "[[]]", "[{}]", "true"),
            "where", List.of("\"x\"", "[1]", "[\"a\"]", "[{}]", "[{\"field\":\"a\"}]", "[{\"field\":1,\"operator\":\"=\"}]",
                    "[{\"field\":\"a\",\"operator\":\"=\",\"value\":1}]", "[{\"field\":\"a\",\"operator\":\"=\",\"x\":1}]", "[null]"),
            "join", List.of("\"x\"", "1", "[]", "{}", "{\"table_name\":5}", "{\"table_name\":\"t\",\"x\":1}",
                    "{\"table_name\":\"t\",\"table_fields\":\"a\"}", "{\"table_name\":\"t\",\"table_fields\":[null]}"),
            "connector", List.of("5", "\"XOR\"", "\"and\"", "[]", "\"\""));

    @TempDir
    Path dir;
    private int counter;

    private Path write(String ext, byte[] content) throws IOException {
        Path f = dir.resolve(String.format("in-%04d.%s", counter++, ext));
        Files.write(f, content);
        return f;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] join(List<byte[]> lines, String eol, boolean finalEol) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < lines.size(); i++) {
            out.writeBytes(lines.get(i));
            if (i < lines.size() - 1 || finalEol) {
                out.writeBytes(utf8(eol));
            }
        }
        return out.toByteArray();
    }

    private static byte[] insert(byte[] into, int at, byte[] what) {
        byte[] out = new byte[into.length + what.length];
        System.arraycopy(into, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(into, at, out, at + what.length, into.length - at);
        return out;
    }

    private static <T> T pick(SplittableRandom r, List<T> items) {
        return items.get(r.nextInt(items.size()));
    }

    private static String fieldKind(String field) {
        return switch (field) {
            case "command_set" -> "int";
            case "use_synonym" -> "bool";
            case "where" -> "where";
            case "join" -> "join";
            case "where_connector" -> "connector";
            default -> LISTS.contains(field) ? "list" : "text";
        };
    }

    /** {@code o} with {@code field} set to {@code json} at the same place, or appended when new. */
    private static String with(ObjectNode o, String field, String json) throws IOException {
        ObjectNode copy = o.deepCopy();
        copy.set(field, JSON.readTree(json));
        return JSON.writeValueAsString(copy);
    }

    /** {@code o} with {@code extra} inserted before the {@code at}-th field (raw text, so duplicates survive). */
    private static String insertField(ObjectNode o, int at, String extra) throws IOException {
        StringBuilder sb = new StringBuilder("{");
        int i = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); i++) {
            Map.Entry<String, JsonNode> e = it.next();
            if (i == at) {
                sb.append(extra).append(',');
            }
            sb.append(JSON.writeValueAsString(e.getKey())).append(':').append(JSON.writeValueAsString(e.getValue())).append(',');
        }
        if (at >= i) {
            sb.append(extra).append(',');
        }
        sb.setLength(sb.length() - 1);
        return sb.append('}').toString();
    }

    /** The example as read when {@code field} is missing or null (the field is not required). */
    private static TinySqlExample withDefault(TinySqlExample e, String field) {
        boolean list = LISTS.contains(field);
        return new TinySqlExample(e.commandSet(), field.equals("table_name") ? null : e.tableName(),
                field.equals("table_name_synonym") ? null : e.tableNameSynonym(), e.useSynonym(), e.createStatement(),
                e.englishPrompt(), e.sqlStatement(), list && field.equals("table_fields") ? null : e.tableFields(),
                list && field.equals("select") ? null : e.select(), list && field.equals("order_by") ? null : e.orderBy(),
                list && field.equals("group_by") ? null : e.groupBy(), list && field.equals("where") ? null : e.where(),
                field.equals("where_connector") ? null : e.whereConnector(), field.equals("join") ? null : e.join(),
                list && field.equals("create_statements") ? null : e.createStatements(),
                field.equals("split") ? null : e.split());
    }

    private static TinySqlExample withPrompt(TinySqlExample e, String prompt) {
        return new TinySqlExample(e.commandSet(), e.tableName(), e.tableNameSynonym(), e.useSynonym(), e.createStatement(),
                prompt, e.sqlStatement(), e.tableFields(), e.select(), e.orderBy(), e.groupBy(), e.where(),
                e.whereConnector(), e.join(), e.createStatements(), e.split());
    }

    @Test
    void datasetJsonl() {
        List<TinySqlExample> base = new DatasetGenerator(CommandSet.CS5, Variant.SYNONYM, 99).generate(40);
        base.forEach(e -> assertTrue(DatasetIO.toJson(e).chars().allMatch(c -> c < 128), "ASCII base lines"));
        FuzzTally tally = new FuzzTally("dataset jsonl");
        SplittableRandom r = new SplittableRandom(20240611L);
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < 400; i++) {
                datasetInput(i % 20, r, base, tally);
            }
        });
        tally.report();
    }

    private void datasetInput(int kind, SplittableRandom r, List<TinySqlExample> base, FuzzTally tally) throws IOException {
        int n = 1 + r.nextInt(4);
        List<TinySqlExample> examples = new ArrayList<>();
        List<byte[]> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            examples.add(pick(r, base));
            lines.add(utf8(DatasetIO.toJson(examples.get(i))));
        }
        int t = r.nextInt(n);
        String line = DatasetIO.toJson(examples.get(t));
        ObjectNode o = (ObjectNode) JSON.readTree(line);
        String field = pick(r, fieldNames(o));
        Expect expect = Expect.error(t + 1);
        String label;
        String eol = "\n";
        switch (kind) {
            case 0 -> {
                label = "truncated line";
                lines.set(t, utf8(line.substring(0, 1 + r.nextInt(line.length() - 1))));
            }
            case 1 -> {
                label = "two objects on a line";
                lines.set(t, utf8(line + pick(r, List.of("", " ", "\t")) + DatasetIO.toJson(pick(r, base))));
            }
            case 2 -> {
                label = "trailing text";
                lines.set(t, utf8(line + pick(r, List.of(",", "]", "}", "x", "1", "null", "{", "\"a\"", "//"))));
            }
            case 3 -> {
                label = "wrong type for " + field;
                lines.set(t, utf8(with(o, field, pick(r, WRONG.get(fieldKind(field))))));
            }
            case 4 -> {
                boolean remove = r.nextBoolean();
                label = (remove ? "missing " : "null ") + field;
                ObjectNode copy = o.deepCopy();
                if (remove) {
                    copy.remove(field);
                } else {
                    copy.putNull(field);
                }
                lines.set(t, utf8(JSON.writeValueAsString(copy)));
                if (!REQUIRED.contains(field)) {
                    examples.set(t, withDefault(examples.get(t), field));
                    expect = Expect.ok(examples);
                }
            }
            case 5 -> {
                label = "unknown field";
                String name = pick(r, List.of("extra", "English_prompt", "command_set ", "", "sql", "\u00e9"));
                lines.set(t, utf8(insertField(o, r.nextInt(o.size() + 1), JSON.writeValueAsString(name) + ":1")));
            }
            case 6 -> {
                label = "duplicate " + field;
                lines.set(t, utf8(insertField(o, r.nextInt(o.size() + 1),
                        JSON.writeValueAsString(field) + ":" + JSON.writeValueAsString(o.get(field)))));
            }
            case 7 -> {
                label = "value out of range";
                lines.set(t, utf8(r.nextBoolean() ? with(o, "command_set", pick(r, List.of("0", "6", "-1", "100", "-2147483648")))
                        : with(o, pick(r, List.of("english_prompt", "sql_statement", "create_statement")), pick(r, List.of("\"\"", "\"  \"")))));
            }
            case 8 -> {
                label = "not an object";
                lines.set(t, utf8(pick(r, List.of("null", "[]", "1", "\"x\"", "true", "[" + line + "]", "{}", "}", "{", ":"))));
            }
            case 9 -> {
                label = "BOM at the start";
                lines.set(0, insert(lines.get(0), 0, BOM));
                expect = Expect.ok(examples);
            }
            case 10 -> {
                label = "BOM elsewhere";
                if (t == 0 && r.nextBoolean()) {
                    lines.set(0, insert(insert(lines.get(0), 0, BOM), 0, BOM));
                } else if (t == 0) {
                    lines.set(0, insert(lines.get(0), 1, BOM));
                } else {
                    lines.set(t, insert(lines.get(t), 0, BOM));
                }
            }
            case 11 -> {
                label = "invalid UTF-8";
                byte[] b = lines.get(t);
                lines.set(t, insert(b, r.nextInt(b.length + 1), INVALID_UTF8[r.nextInt(INVALID_UTF8.length)]));
            }
            case 12 -> {
                label = "line over the limit";
                String pad = "y".repeat(TextLines.MAX_LINE_BYTES - line.length() + 1 + r.nextInt(1000));
                lines.set(t, utf8(with(o, "english_prompt", JSON.writeValueAsString(examples.get(t).englishPrompt() + pad))));
            }
            case 13 -> {
                label = "long line under the limit";
                String prompt = examples.get(t).englishPrompt() + "z".repeat(TextLines.MAX_LINE_BYTES - line.length() - 1 - r.nextInt(1000));
                lines.set(t, utf8(with(o, "english_prompt", JSON.writeValueAsString(prompt))));
                examples.set(t, withPrompt(examples.get(t), prompt));
                expect = Expect.ok(examples);
            }
            case 14 -> {
                label = "deep nesting";
                int depth = pick(r, List.of(65, 1000, 100_000));
                String nested = "[".repeat(depth) + (r.nextBoolean() ? "]".repeat(depth) : "");
                lines.set(t, utf8(line.replace("\"select\":[", "\"select\":" + nested + "[")));
            }
            case 15 -> {
                label = "CRLF and blank lines";
                eol = r.nextBoolean() ? "\r\n" : "\n";
                for (int k = 0; k < 3; k++) {
                    lines.add(r.nextInt(lines.size() + 1), utf8(pick(r, List.of("", " ", "\t", "  \t "))));
                }
                expect = Expect.ok(examples);
            }
            case 16 -> {
                label = "empty file";
                lines = List.of(utf8(pick(r, List.of("", "\n", "\n\n  \n", "\t\r\n", "\uFEFF", "\uFEFF\n"))));
                expect = Expect.error(0);
            }
            case 17 -> {
                label = "raw control character in a string";
                char c = (char) pick(r, List.of(0, 1, 7, 8, 9, 11, 12, 13, 27, 31)).intValue();
                String prompt = JSON.writeValueAsString(examples.get(t).englishPrompt());
                lines.set(t, utf8(line.replace(prompt, prompt.substring(0, 1) + c + prompt.substring(1))));
            }
            case 18 -> {
                label = "escapes and non-ASCII text";
                String prompt = pick(r, List.of("caf\u00e9 \u65e5\u672c \uD83D\uDE00", "say \"hi\" \\ / \t tab", "\u2028\u2029 \uFEFF mid"));
                lines.set(t, utf8(with(o, "english_prompt", JSON.writeValueAsString(prompt))));
                examples.set(t, withPrompt(examples.get(t), prompt));
                expect = Expect.ok(examples);
            }
            default -> {
                label = "bad number";
                lines.set(t, utf8(with(o, "command_set", "1").replace("\"command_set\":1",
                        "\"command_set\":" + pick(r, List.of("NaN", "Infinity", "+1", "01", "1e400", "0x1", "1" + "0".repeat(100), "-", "1.")))));
            }
        }
        Path f = write("jsonl", join(lines, eol, r.nextInt(4) != 0));
        tally.run(label, f, expect, DatasetIO::read);
    }

    private static List<String> fieldNames(ObjectNode o) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void predictions() {
        List<String> sql = new ArrayList<>();
        new DatasetGenerator(CommandSet.CS4, Variant.LITERAL, 7).generate(30).forEach(e -> sql.add(e.sqlStatement()));
        sql.addAll(List.of("", "  spaced  ", "caf\u00e9", "SELECT \"x\" FROM t", "\uFEFFSELECT 1", "{not json", "\u00e9\uD83D\uDE00"));
        FuzzTally tally = new FuzzTally("predictions");
        SplittableRandom r = new SplittableRandom(77L);
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < 200; i++) {
                predictionsInput(i % 10, r, sql, tally);
            }
        });
        tally.report();
    }

    private void predictionsInput(int kind, SplittableRandom r, List<String> sql, FuzzTally tally) throws IOException {
        int n = 1 + r.nextInt(5);
        List<String> preds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            preds.add(pick(r, sql));
        }
        boolean jsonl = kind != 0 && (kind < 7 || r.nextBoolean());
        List<byte[]> lines = new ArrayList<>();
        for (String p : preds) {
            ObjectNode o = JSON.createObjectNode();
            if (r.nextBoolean()) {
                o.put("id", r.nextInt(100));
            }
            o.put("prediction", p);
            lines.add(utf8(jsonl ? JSON.writeValueAsString(o) : p));
        }
        if (!jsonl && (preds.get(0).strip().startsWith("{") || preds.get(0).startsWith("\uFEFF"))) {
            // A plain file whose first line looks like JSON is read as JSON Lines, and a BOM at its start is
            // skipped: keep the plain case plain.
            preds.set(0, "SELECT 1");
            lines.set(0, utf8("SELECT 1"));
        }
        // Plain text always ends its last line, so that a last empty prediction is a line.
        boolean finalEol = !jsonl || r.nextBoolean();
        int t = r.nextInt(n);
        String line = new String(lines.get(t), StandardCharsets.UTF_8);
        Expect expect = Expect.error(t + 1);
        String ext = jsonl ? "jsonl" : "txt";
        String label;
        switch (kind) {
            case 0, 1 -> {
                label = jsonl ? "valid JSON Lines" : "valid plain text";
                if (jsonl && r.nextBoolean()) {
                    ext = "txt";
                }
                if (r.nextBoolean()) {
                    lines.set(0, insert(lines.get(0), 0, BOM));
                }
                if (jsonl) {
                    lines.add(1 + r.nextInt(lines.size()), utf8(" "));
                }
                expect = Expect.ok(preds);
            }
            case 2 -> {
                label = "truncated line";
                lines.set(t, utf8(line.substring(0, 1 + r.nextInt(line.length() - 1))));
            }
            case 3 -> {
                label = "two objects on a line";
                lines.set(t, utf8(line + pick(r, List.of("", " ")) + "{\"prediction\":\"SELECT 2\"}"));
            }
            case 4 -> {
                label = "wrong prediction value";
                String v = pick(r, List.of("1", "1.5", "true", "null", "[]", "{}", "[\"a\"]"));
                lines.set(t, utf8(r.nextInt(4) == 0 ? "{\"Prediction\":\"SELECT 1\"}" : "{\"prediction\":" + v + "}"));
            }
            case 5 -> {
                label = "duplicate prediction";
                lines.set(t, utf8("{\"prediction\":\"SELECT 1\",\"prediction\":\"SELECT 2\"}"));
            }
            case 6 -> {
                label = "a line that is not JSON in a JSON Lines file";
                lines.set(t, r.nextBoolean() ? utf8(pick(r, List.of("SELECT 1", "[]", "null", "\"x\"")))
                        : insert(lines.get(t), 0, BOM));
                if (t == 0 && lines.get(0)[0] == BOM[0]) {
                    // A BOM at the start of the file is fine.
                    expect = Expect.ok(preds);
                }
            }
            case 7 -> {
                label = "invalid UTF-8";
                byte[] b = lines.get(t);
                lines.set(t, insert(b, r.nextInt(b.length + 1), INVALID_UTF8[r.nextInt(INVALID_UTF8.length)]));
            }
            case 8 -> {
                label = "line over the limit";
                lines.set(t, utf8((jsonl ? "{\"prediction\":\"" : "") + "x".repeat(TextLines.MAX_LINE_BYTES + r.nextInt(100))
                        + (jsonl ? "\"}" : "")));
            }
            default -> {
                label = "empty file";
                lines = List.of(utf8(jsonl ? pick(r, List.of("", "\n", " \n\n")) : ""));
                finalEol = false;
                expect = Expect.error(0);
            }
        }
        Path f = write(ext, join(lines, r.nextBoolean() ? "\n" : "\r\n", finalEol));
        tally.run(label, f, expect, PredictionsFile::read);
    }

    @Test
    void statsJson() throws IOException {
        Path data = dir.resolve("data");
        new DatasetGenerator(CommandSet.CS3, Variant.SYNONYM, 3).writeSplits(data, 200, Progress.NONE);
        String text = Files.readString(data.resolve("stats.json"));
        // DatasetStats holds an array, so compare what was read by its JSON.
        String meta = JSON.writeValueAsString(DatasetMeta.read(data.resolve("stats.json")));
        FuzzTally tally = new FuzzTally("stats.json");
        SplittableRandom r = new SplittableRandom(5L);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 100; i++) {
                statsInput(i % 10, r, text, meta, tally);
            }
        });
        tally.report();
    }

    private void statsInput(int kind, SplittableRandom r, String text, String meta, FuzzTally tally) throws IOException {
        ObjectNode o = (ObjectNode) JSON.readTree(text);
        List<String[]> paths = List.of(new String[] {"command_set"}, new String[] {"variant"}, new String[] {"seed"},
                new String[] {"splits"}, new String[] {"stats"}, new String[] {"splits", "train"}, new String[] {"splits", "test"},
                new String[] {"stats", "n"}, new String[] {"stats", "joinRate"}, new String[] {"stats", "whereCountDistribution"});
        String[] path = pick(r, paths);
        ObjectNode parent = path.length == 1 ? o : (ObjectNode) o.get(path[0]);
        String key = path[path.length - 1];
        Expect expect = Expect.error(Expect.ANY_LINE);
        String label;
        byte[] content;
        switch (kind) {
            case 0 -> {
                label = "truncated";
                content = utf8(text.substring(0, 1 + r.nextInt(text.length() - 1)));
            }
            case 1 -> {
                label = "wrong type for " + String.join(".", path);
                // 1.5 is a fine rate; for every other field it is a wrong type.
                List<String> wrong = key.equals("joinRate") ? List.of("\"x\"", "true", "[]", "{}", "null")
                        : List.of("\"x\"", "true", "[]", "{}", "null", "1.5");
                parent.set(key, JSON.readTree(pick(r, wrong)));
                content = utf8(o.toPrettyString());
            }
            case 2 -> {
                label = "missing " + String.join(".", path);
                parent.remove(key);
                content = utf8(o.toPrettyString());
            }
            case 3 -> {
                label = "unknown field";
                parent.put(pick(r, List.of("extra", "Seed", "")), 1);
                content = utf8(o.toPrettyString());
            }
            case 4 -> {
                label = "duplicate key";
                content = utf8(text.replaceFirst("\\{", "{\"seed\" : 1,"));
            }
            case 5 -> {
                label = "a second value";
                content = utf8(text + pick(r, List.of("{}", " 1", "\n[]", "x")));
            }
            case 6 -> {
                label = "invalid UTF-8";
                byte[] b = utf8(text);
                int at = r.nextInt(b.length + 1);
                int line = 1;
                for (int i = 0; i < at; i++) {
                    line += b[i] == '\n' ? 1 : 0;
                }
                content = insert(b, at, INVALID_UTF8[r.nextInt(INVALID_UTF8.length)]);
                expect = Expect.error(line);
            }
            case 7 -> {
                boolean start = r.nextBoolean();
                label = start ? "BOM at the start" : "BOM inside";
                content = start ? insert(utf8(text), 0, BOM) : insert(utf8(text), 1, BOM);
                expect = start ? Expect.ok(meta) : expect;
            }
            case 8 -> {
                label = "not an object";
                content = utf8(pick(r, List.of("", " ", "[]", "null", "1", "\"x\"", "[" + text + "]")));
                expect = Expect.error(Expect.ANY_LINE);
            }
            default -> {
                label = "reformatted";
                String compact = JSON.writeValueAsString(o);
                content = utf8(pick(r, List.of(compact, text.replace("\n", "\r\n"), "\n\t " + text + "\n\n")));
                expect = Expect.ok(meta);
            }
        }
        if (kind == 2 && r.nextInt(5) == 0) {
            label = "larger than the limit";
            content = utf8(text.replace("\"variant\"", "\"variant_pad\" : \"" + "p".repeat(1 << 20) + "\", \"variant\""));
            expect = Expect.error(0);
        }
        tally.run(label, write("json", content), expect, f -> JSON.writeValueAsString(DatasetMeta.read(f)));
    }
}
