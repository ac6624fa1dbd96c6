package org.tinysql.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every example's random stream comes from (seed, command set, variant, index): datasets of different command sets or
 * variants made with the same seed share no more tables, schemas or selected columns at the same index than datasets
 * made with different seeds do. Before, CS1, CS3 and CS5 with one seed had the same table, columns and selected
 * columns at every index, which contaminated cross-set evaluation (a CS3 model on CS1 prompts).
 */
class GeneratorStreamsTest {
    static final int N = 3_000;
    static final long SEED = 42;

    /** Rates of same table name, same CREATE statement and same SELECT columns at the same index. */
    record Overlap(double table, double schema, double select) {
    }

    static Overlap overlap(List<TinySqlExample> a, List<TinySqlExample> b) {
        int table = 0;
        int schema = 0;
        int select = 0;
        for (int i = 0; i < a.size(); i++) {
            TinySqlExample x = a.get(i);
            TinySqlExample y = b.get(i);
            table += x.tableName().equals(y.tableName()) ? 1 : 0;
            schema += x.createStatements().get(0).equals(y.createStatements().get(0)) ? 1 : 0;
            select += x.tableName().equals(y.tableName()) && columns(x).equals(columns(y)) ? 1 : 0;
        }
        return new Overlap(table / (double) a.size(), schema / (double) a.size(), select / (double) a.size());
    }

    /** The selected columns without aggregates or qualifiers. */
    private static List<String> columns(TinySqlExample e) {
        return e.select().stream().map(s -> s.replaceAll("^[A-Z]+\\(|\\).*$", "").replaceAll("^.*\\.", "")).toList();
    }

    static List<TinySqlExample> data(CommandSet cs, Variant v, long seed) {
        return new DatasetGenerator(cs, v, seed).generate(N);
    }

    @Test
    void datasetsOfOtherCommandSetsOrVariantsOverlapOnlyByChance() {
        double tables = Vocabulary.builtin().tables().size();
        // What chance gives: two seeds of one command set.
        Overlap chance = overlap(data(CommandSet.CS1, Variant.LITERAL, SEED), data(CommandSet.CS1, Variant.LITERAL, SEED + 1));
        assertEquals(1 / tables, chance.table(), 3 / tables, "same table by chance: about 1 in " + (int) tables);
        List<List<TinySqlExample>> sets = List.of(
                data(CommandSet.CS1, Variant.LITERAL, SEED), data(CommandSet.CS3, Variant.LITERAL, SEED),
                data(CommandSet.CS5, Variant.LITERAL, SEED), data(CommandSet.CS1, Variant.SYNONYM, SEED));
        List<String> names = List.of("CS1 literal", "CS3 literal", "CS5 literal", "CS1 synonym");
        for (int i = 0; i < sets.size(); i++) {
            for (int j = i + 1; j < sets.size(); j++) {
                Overlap o = overlap(sets.get(i), sets.get(j));
                String pair = names.get(i) + " vs " + names.get(j) + ": " + o + " (chance " + chance + ")";
                System.out.println("stream overlap " + pair);
                // 3,000 rows at p = 1/315: about 9.5 equal tables, standard deviation 3; 30 is beyond 6 sigma.
                assertTrue(o.table() <= 10 / tables, pair);
                assertTrue(o.schema() <= 1.0 / N, pair);
                assertTrue(o.select() <= 1.0 / N, pair);
            }
        }
    }

    @Test
    void anExampleDependsOnlyOnItsOwnCoordinates() {
        DatasetGenerator g = new DatasetGenerator(CommandSet.CS4, Variant.SYNONYM, 9);
        List<TinySqlExample> all = g.generate(500);
        // Regenerated alone, in any order, and whatever the dataset size (which only decides the split label).
        for (int i : new int[] {499, 0, 250, 17}) {
            TinySqlExample alone = new DatasetGenerator(CommandSet.CS4, Variant.SYNONYM, 9).example(i, 500).row();
            assertEquals(all.get(i), alone);
            TinySqlExample other = g.example(i, 1_000).row();
            assertEquals(all.get(i).sqlStatement(), other.sqlStatement());
            assertEquals(all.get(i).englishPrompt(), other.englishPrompt());
        }
    }
}
