package org.tinysql.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetGeneratorTest {

    @Test
    void sameSeedGivesByteIdenticalOutput(@TempDir Path dir) throws IOException {
        for (CommandSet cs : CommandSet.values()) {
            List<TinySqlExample> a = new DatasetGenerator(cs, Variant.SYNONYM, 7).generate(2_000);
            List<TinySqlExample> b = new DatasetGenerator(cs, Variant.SYNONYM, 7).generate(2_000);
            DatasetIO.write(dir.resolve("a.jsonl"), a);
            DatasetIO.write(dir.resolve("b.jsonl"), b);
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("a.jsonl")),
                    Files.readAllBytes(dir.resolve("b.jsonl"))), "byte-identical for " + cs);
            List<TinySqlExample> c = new DatasetGenerator(cs, Variant.SYNONYM, 8).generate(2_000);
            assertNotEquals(a, c, "another seed gives another dataset");
        }
    }

    @Test
    void jsonlRoundTrips(@TempDir Path dir) throws IOException {
        List<TinySqlExample> a = new DatasetGenerator(CommandSet.CS5, Variant.SYNONYM, 3).generate(500);
        DatasetIO.write(dir.resolve("x.jsonl"), a);
        assertEquals(a, DatasetIO.read(dir.resolve("x.jsonl")));
    }

    @Test
    void malformedJsonlNamesFileAndLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, DatasetIO.toJson(new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 1).example(0, 1).row())
                + "\n{not json\n", StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> DatasetIO.read(f));
        assertTrue(e.getMessage().contains("bad.jsonl:2"), e.getMessage());
    }

    @Test
    void splitSizesFollowTheOriginal() {
        int[] s = Split.sizes(100_000);
        assertEquals(76_500, s[0]);
        assertEquals(13_500, s[1]);
        assertEquals(10_000, s[2]);
        assertEquals(Split.TRAIN, Split.of(76_499, 100_000));
        assertEquals(Split.VALIDATION, Split.of(76_500, 100_000));
        assertEquals(Split.TEST, Split.of(99_999, 100_000));
    }

    @Test
    void ratesAreWithinTolerance() {
        List<TinySqlExample> cs5 = new DatasetGenerator(CommandSet.CS5, Variant.LITERAL, 11).generate(20_000);
        DatasetStats st = DatasetStats.of(cs5);
        assertEquals(0.90, st.orderByRate(), 0.015);
        assertEquals(0.80, st.whereRate(), 0.015);
        assertEquals(0.73, st.joinRate(), 0.015);
        assertEquals(0.80, st.aggregateRate(), 0.015);
        assertEquals(2, st.minColumns());
        assertEquals(12, st.maxColumns());
        DatasetStats cs1 = DatasetStats.of(new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 11).generate(5_000));
        assertEquals(0.0, cs1.orderByRate());
        assertEquals(0.0, cs1.aggregateRate());
        assertEquals(0.0, cs1.whereRate());
        assertEquals(0.0, cs1.joinRate());
    }

    @Test
    void synonymVariantUsesSynonymsAtTheRightRates() {
        List<GeneratedExample> ex = new java.util.ArrayList<>();
        DatasetGenerator g = new DatasetGenerator(CommandSet.CS1, Variant.SYNONYM, 5);
        for (int i = 0; i < 10_000; i++) {
            ex.add(g.example(i, 10_000));
        }
        double tableSyn = ex.stream().filter(e -> e.spec().table().synonym() != null).count() / 10_000.0;
        assertEquals(0.8, tableSyn, 0.02);
        long fields = 0;
        long syn = 0;
        for (GeneratedExample e : ex) {
            for (SelectItem s : e.spec().select()) {
                fields++;
                syn += s.column().synonym() != null ? 1 : 0;
                assertTrue(e.row().englishPrompt().contains(s.column().englishName()));
            }
        }
        assertEquals(0.5, (double) syn / fields, 0.02);
        List<TinySqlExample> lit = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 5).generate(1_000);
        assertFalse(lit.stream().anyMatch(TinySqlExample::useSynonym));
    }

    @Test
    void cs5ContextHasBothTables() {
        int joins = 0;
        for (TinySqlExample e : new DatasetGenerator(CommandSet.CS5, Variant.LITERAL, 2).generate(3_000)) {
            if (e.join() != null) {
                joins++;
                assertEquals(2, e.createStatements().size());
                assertTrue(e.createStatement().contains("CREATE TABLE " + e.tableName() + " ("));
                assertTrue(e.createStatement().contains("CREATE TABLE " + e.join().tableName() + " ("));
                assertTrue(e.sqlStatement().contains(" JOIN " + e.join().tableName() + " ON "));
                assertNotEquals(e.tableName(), e.join().tableName());
                // The key columns have compatible types.
                String lk = e.join().leftKey().substring(e.join().leftKey().indexOf('.') + 1);
                String rk = e.join().rightKey().substring(e.join().rightKey().indexOf('.') + 1);
                String lt = type(e.tableFields(), lk);
                String rt = type(e.join().tableFields(), rk);
                assertEquals(FieldKind.ofSqlType(lt), FieldKind.ofSqlType(rt), e.sqlStatement());
            } else {
                assertEquals(1, e.createStatements().size());
            }
        }
        assertTrue(joins > 2_000);
    }

    private static String type(List<String> fields, String name) {
        for (String f : fields) {
            if (f.startsWith(name + " ")) {
                return f.substring(name.length() + 1);
            }
        }
        throw new AssertionError("no field " + name + " in " + fields);
    }

    @Test
    void promptHasTheOriginalLayout() {
        TinySqlExample e = new DatasetGenerator(CommandSet.CS2, Variant.LITERAL, 1).example(3, 10).row();
        assertTrue(e.prompt().startsWith("### Instruction: " + e.englishPrompt() + " ### Context: CREATE TABLE "));
        assertTrue(e.prompt().endsWith(" ### Response: "));
        assertEquals(e.prompt() + e.sqlStatement(), e.fullText());
    }

    @Test
    void orderDirectionPhrasesMatchTheSql() {
        int checked = 0;
        for (TinySqlExample e : new DatasetGenerator(CommandSet.CS2, Variant.LITERAL, 9).generate(3_000)) {
            if (e.orderBy().size() == 1) {
                int side = e.orderBy().get(0).endsWith("DESC") ? 1 : 0;
                String en = e.englishPrompt();
                List<String> right = directionWords(side);
                List<String> wrong = directionWords(1 - side);
                assertTrue(right.stream().anyMatch(en::contains), en);
                // no phrase of the other direction, unless it is part of a phrase of this one ("ASC" in "ASCII")
                assertFalse(wrong.stream().anyMatch(w -> en.contains(w) && right.stream().noneMatch(p -> p.contains(w)
                        && en.contains(p))), en);
                checked++;
            }
        }
        assertTrue(checked > 100, "single-key ORDER BY examples: " + checked);
    }

    /** The fixed words of every phrase of one direction (0 ascending, 1 descending), with the field's place cut out. */
    private static List<String> directionWords(int side) {
        List<String> out = new java.util.ArrayList<>();
        for (String[][] t : List.of(EnglishPhrases.DIRECTION_NUMBER, EnglishPhrases.DIRECTION_DATE,
                EnglishPhrases.DIRECTION_TEXT, EnglishPhrases.LEAD_NUMBER, EnglishPhrases.LEAD_DATE, EnglishPhrases.LEAD_TEXT)) {
            for (String p : t[side]) {
                String[] parts = p.split("%s", -1);
                String longest = parts[0].length() >= parts[parts.length - 1].length() ? parts[0] : parts[parts.length - 1];
                out.add(longest.strip().replaceAll("^,\\s*", ""));
            }
        }
        return out;
    }

    @Test
    void vocabularyIsLargeAndUnambiguous() {
        Vocabulary v = Vocabulary.builtin();
        assertTrue(v.tables().size() >= 300, "tables: " + v.tables().size());
        assertTrue(v.fields().size() >= 300, "fields: " + v.fields().size());
        Set<String> names = new HashSet<>();
        v.tables().forEach(t -> assertTrue(names.add(t.name()), "duplicate table " + t.name()));
        v.fields().forEach(f -> assertTrue(names.add(f.name()) || v.tables().stream().anyMatch(t -> t.name().equals(f.name())),
                "duplicate field " + f.name()));
        Set<String> spelled = new HashSet<>();
        v.tables().forEach(t -> spelled.add(t.name().replace('_', ' ')));
        v.fields().forEach(f -> spelled.add(f.name().replace('_', ' ')));
        for (Vocabulary.TableWord t : v.tables()) {
            assertFalse(spelled.contains(t.synonym1()) || spelled.contains(t.synonym2()), "synonym is a name: " + t);
            assertNotEquals(t.synonym1(), t.synonym2());
        }
        for (Vocabulary.FieldWord f : v.fields()) {
            assertFalse(spelled.contains(f.synonym1()) || spelled.contains(f.synonym2()), "synonym is a name: " + f);
            assertNotEquals(f.synonym1(), f.synonym2());
        }
    }

    @Test
    void commandSetParsing() {
        assertEquals(CommandSet.CS3, CommandSet.parse("3"));
        assertEquals(CommandSet.CS3, CommandSet.parse("cs3"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CommandSet.parse("9"));
        assertTrue(e.getMessage().contains("1..5"));
    }
}
