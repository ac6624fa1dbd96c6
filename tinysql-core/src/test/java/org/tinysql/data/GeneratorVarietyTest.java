package org.tinysql.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The generator covers the original TinySQL's variety (measured on its generator: SELECT lists of 1..N fields and
 * ORDER BY lists of 1..N keys, N the table's 2-12 columns, so mean 4.0 and max 12 for both; 56 instruction templates
 * in verb-first, table-first, question, request and literal families, 57-65 CS1 skeletons in 5,000 examples;
 * 72 ORDER BY phrases; 90 aggregate phrases; 70 column type spellings), and records it in its statistics.
 */
class GeneratorVarietyTest {
    static final int N = 20_000;

    @Test
    void selectAndOrderByListsSpanOneToTwelveWithMeanFour() {
        DatasetStats cs2 = DatasetStats.of(new DatasetGenerator(CommandSet.CS2, Variant.LITERAL, 3).generate(N));
        // E[uniform 1..c] over c uniform in 2..12 = (1 + 7) / 2 = 4.0
        assertEquals(4.0, cs2.meanSelectFields(), 0.1);
        assertEquals(12, cs2.maxSelectFields());
        assertEquals(4.0, cs2.meanOrderByFields(), 0.1);
        assertEquals(12, cs2.maxOrderByFields());
        for (int k = 1; k <= 12; k++) {
            // P(k) = sum over c >= k of 1/11 * 1/c: 0.21 for one field, 0.0076 for twelve
            double expected = 0;
            for (int c = Math.max(2, k); c <= 12; c++) {
                expected += 1.0 / 11 / c;
            }
            assertEquals(expected, cs2.selectFieldsDistribution()[k - 1], 0.01, "P(" + k + " fields)");
            assertEquals(expected, cs2.orderByFieldsDistribution()[k - 1], 0.012, "P(" + k + " keys)");
        }
        // CS3: a grouped or aggregated query sorts only by its SELECT items, so its ORDER BY lists are shorter.
        DatasetStats cs3 = DatasetStats.of(new DatasetGenerator(CommandSet.CS3, Variant.LITERAL, 3).generate(N));
        assertEquals(4.0, cs3.meanSelectFields(), 0.1);
        assertTrue(cs3.meanOrderByFields() > 2.0 && cs3.meanOrderByFields() < 4.0, "CS3 ORDER BY " + cs3.meanOrderByFields());
        // CS5 selects from both tables, as many fields as the FROM table has columns at most.
        DatasetStats cs5 = DatasetStats.of(new DatasetGenerator(CommandSet.CS5, Variant.LITERAL, 3).generate(N));
        assertEquals(4.0, cs5.meanSelectFields(), 0.1);
        assertEquals(12, cs5.maxSelectFields());
    }

    @Test
    void templatesPhrasesAndTypesCoverTheOriginals() {
        assertTrue(EnglishPhrases.TEMPLATES.size() >= 56, "templates: " + EnglishPhrases.TEMPLATES.size());
        assertEquals(EnglishPhrases.TEMPLATES.size(), new HashSet<>(EnglishPhrases.TEMPLATES).size(), "duplicate template");
        assertEquals(Set.of("command", "table first", "question", "request", "literal"),
                EnglishPhrases.TEMPLATE_FAMILIES.keySet());
        assertTrue(EnglishPhrases.allOrderPhrases().size() >= 72, "ORDER BY phrases: " + EnglishPhrases.allOrderPhrases().size());
        assertTrue(EnglishPhrases.allAggregatePhrases().size() >= 90,
                "aggregate phrases: " + EnglishPhrases.allAggregatePhrases().size());
        int types = 0;
        for (FieldKind k : FieldKind.values()) {
            types += k.sqlTypes().size();
            assertEquals(k.sqlTypes().size(), new HashSet<>(k.sqlTypes()).size(), "duplicate type in " + k);
            for (String t : k.sqlTypes()) {
                assertEquals(k, FieldKind.ofSqlType(t), t);
            }
        }
        assertTrue(types >= 70, "type spellings: " + types);
        // Parallel direction lists: index i of one direction mirrors index i of the other.
        for (String[][] t : List.of(EnglishPhrases.DIRECTION_NUMBER, EnglishPhrases.DIRECTION_DATE,
                EnglishPhrases.DIRECTION_TEXT, EnglishPhrases.LEAD_NUMBER, EnglishPhrases.LEAD_DATE, EnglishPhrases.LEAD_TEXT)) {
            assertEquals(t[0].length, t[1].length);
        }
    }

    @Test
    void everyTemplateAndEveryTypeIsUsedAndRecorded() {
        DatasetGenerator g = new DatasetGenerator(CommandSet.CS1, Variant.SYNONYM, 5);
        Map<String, Integer> families = new HashMap<>();
        Set<String> firstWords = new HashSet<>();
        Set<String> types = new HashSet<>();
        int questions = 0;
        for (int i = 0; i < N; i++) {
            GeneratedExample e = g.example(i, N);
            families.merge(EnglishRenderer.templateFamily(e.phrasingSeed()), 1, Integer::sum);
            String en = e.row().englishPrompt();
            firstWords.add(en.substring(0, en.indexOf(' ')));
            questions += en.endsWith("?") ? 1 : 0;
            e.row().tableFields().forEach(f -> types.add(f.substring(f.indexOf(' ') + 1)));
        }
        int templates = EnglishPhrases.TEMPLATES.size();
        EnglishPhrases.TEMPLATE_FAMILIES.forEach((family, list) -> assertEquals((double) list.size() / templates,
                families.get(family) / (double) N, 0.015, family));
        assertEquals((double) EnglishPhrases.TEMPLATE_FAMILIES.get("question").size() / templates, questions / (double) N, 0.015);
        assertTrue(firstWords.contains("From") && firstWords.contains("What") && firstWords.contains("SELECT"), "" + firstWords);
        int all = java.util.Arrays.stream(FieldKind.values()).mapToInt(k -> k.sqlTypes().size()).sum();
        assertEquals(all, types.size(), "every type spelling occurs in " + N + " CS1 examples");
    }

    @Test
    void statisticsRecordTheVariety(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        DatasetStats st = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 42).writeSplits(dir, 6_000,
                org.tinysql.util.Progress.NONE);
        DatasetStats read = DatasetMeta.read(dir.resolve("stats.json")).stats();
        assertEquals(st.distinctSkeletons(), read.distinctSkeletons());
        assertEquals(st.templateFamilies(), read.templateFamilies());
        assertEquals(st.meanSelectFields(), read.meanSelectFields());
        // The original's CS1 has 57-65 skeletons in 5,000 examples; ours are counted the same way.
        assertTrue(st.distinctSkeletons() > 300, "skeletons: " + st.distinctSkeletons());
        assertTrue(st.distinctTypes() >= 70, "types: " + st.distinctTypes());
        assertEquals(1.0, st.templateFamilies().values().stream().mapToDouble(Double::doubleValue).sum(), 1e-9);
        assertTrue(st.describe().contains("instruction skeletons: " + st.distinctSkeletons() + " in the first 5,000"),
                st.describe());
    }
}
