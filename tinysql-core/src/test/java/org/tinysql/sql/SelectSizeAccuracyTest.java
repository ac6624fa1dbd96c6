package org.tinysql.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;

class SelectSizeAccuracyTest {

    private static TinySqlExample row(int selectItems) {
        List<String> select = IntStream.range(0, selectItems).mapToObj(i -> "f" + i).toList();
        String sql = selectItems == 0 ? "SELECT * FROM t" : "SELECT " + String.join(", ", select) + " FROM t";
        return new TinySqlExample(1, "t", null, false, "CREATE TABLE t ( f0 INT )", "Show them", sql, List.of(), select,
                List.of(), List.of(), List.of(), null, null, List.of(), null);
    }

    @Test
    void bandsHoldThreeItemsEach() {
        assertEquals("1-3", SelectSizeAccuracy.band(1));
        assertEquals("1-3", SelectSizeAccuracy.band(3));
        assertEquals("4-6", SelectSizeAccuracy.band(4));
        assertEquals("10-12", SelectSizeAccuracy.band(12));
        assertEquals("13-15", SelectSizeAccuracy.band(13));
        assertThrows(IllegalArgumentException.class, () -> SelectSizeAccuracy.band(0));
    }

    @Test
    void countsEachRowInItsBandShortestFirstAndLeavesOutRowsWithoutAList() {
        List<TinySqlExample> gold = List.of(row(11), row(2), row(12), row(1), row(5), row(0), row(10));
        List<ScoreResult> results = List.of(ScoreResult.wrong("a"), ScoreResult.right(), ScoreResult.right(),
                ScoreResult.right(), ScoreResult.wrong("b"), ScoreResult.right(), ScoreResult.wrong("c"));
        List<SelectSizeAccuracy> bands = SelectSizeAccuracy.of(gold, results);
        assertEquals(List.of(new SelectSizeAccuracy("1-3", 2, 2), new SelectSizeAccuracy("4-6", 1, 0),
                new SelectSizeAccuracy("10-12", 3, 1)), bands, "no 7-9 band without such rows; the row with no list left out");
        assertEquals(1.0 / 3, bands.get(2).accuracy(), 1e-15);
        assertEquals("1-3 100.0% (2/2), 4-6 0.0% (0/1), 10-12 33.3% (1/3)", SelectSizeAccuracy.describe(bands));
        assertEquals("", SelectSizeAccuracy.describe(List.of()));
        assertTrue(Double.isNaN(new SelectSizeAccuracy("1-3", 0, 0).accuracy()));
    }

    @Test
    void refusesMismatchedListsAndImpossibleCounts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SelectSizeAccuracy.of(List.of(row(1), row(2)), List.of(ScoreResult.right())));
        assertTrue(e.getMessage().contains("2 gold rows but 1 results"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SelectSizeAccuracy("1-3", 2, 3));
        assertThrows(IllegalArgumentException.class, () -> new SelectSizeAccuracy("1-3", -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SelectSizeAccuracy(null, 1, 1));
    }

    @Test
    void theGeneratorsListsOfOneToTwelveFieldsFallInFourBands() {
        List<TinySqlExample> gold = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 7).generate(400);
        List<ScoreResult> all = gold.stream().map(g -> ScoreResult.right()).toList();
        List<SelectSizeAccuracy> bands = SelectSizeAccuracy.of(gold, all);
        assertEquals(List.of("1-3", "4-6", "7-9", "10-12"), bands.stream().map(SelectSizeAccuracy::items).toList());
        assertEquals(400, bands.stream().mapToInt(SelectSizeAccuracy::n).sum());
        assertTrue(bands.stream().allMatch(b -> b.accuracy() == 1.0));
    }
}
