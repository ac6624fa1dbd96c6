package org.tinysql.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OutputSimilarityTest {
    private static final String GOLD = "SELECT name, price, stock FROM products ORDER BY price DESC";

    @Test
    void scoresEachOfTheFiveParts() {
        assertEquals(1.0, OutputSimilarity.score(GOLD, GOLD));
        assertEquals(1.0, OutputSimilarity.score(GOLD, "select  NAME , price FROM Products"), "case, spacing and what follows do not matter");
        assertEquals(0.8, OutputSimilarity.score(GOLD, "SELECT name, price FROM orders"), "another table");
        assertEquals(0.8, OutputSimilarity.score(GOLD, "SELECT price, price FROM products"), "another first column");
        assertEquals(0.6, OutputSimilarity.score(GOLD, "SELECT stock, name FROM products"), "both columns differ");
        assertEquals(0.4, OutputSimilarity.score(GOLD, "SELECT name, price products"), "no FROM: no table either");
        assertEquals(0.2, OutputSimilarity.score(GOLD, "FROM x"));
        assertEquals(0.0, OutputSimilarity.score(GOLD, ""));
        assertEquals(0.0, OutputSimilarity.score(GOLD, null));
        assertEquals(0.0, OutputSimilarity.score(GOLD, "SELECTED FROMAGE"), "whole words only");
        assertEquals(0.4, OutputSimilarity.score(GOLD, "ßß ﬁ SELECT x FROM ßtable"), "letters that grow when upper-cased");
    }

    @Test
    void aMissingSecondColumnMatchesOnlyAMissingOne() {
        String one = "SELECT name FROM products";
        assertEquals(1.0, OutputSimilarity.score(one, "SELECT name FROM products;"));
        assertEquals(0.8, OutputSimilarity.score(one, "SELECT name, price FROM products"));
        assertEquals(0.8, OutputSimilarity.score(GOLD, "SELECT name FROM products"));
    }

    @Test
    void settledPrefixesScoreWhatEveryContinuationScores() {
        org.junit.jupiter.api.Assertions.assertTrue(OutputSimilarity.settled("SELECT a, b FROM t "));
        org.junit.jupiter.api.Assertions.assertTrue(OutputSimilarity.settled("  select a FROM t;"));
        org.junit.jupiter.api.Assertions.assertFalse(OutputSimilarity.settled("SELECT a, b FROM t"), "the table may go on");
        org.junit.jupiter.api.Assertions.assertFalse(OutputSimilarity.settled("SELECT a, b FROM "), "no table yet");
        org.junit.jupiter.api.Assertions.assertFalse(OutputSimilarity.settled("SELECT a FROM"), "FROM may become FROMAGE");
        org.junit.jupiter.api.Assertions.assertFalse(OutputSimilarity.settled("FROM t WHERE"), "a later SELECT would move FROM");
        // random texts from SQL-ish pieces: every settled prefix scores what the whole text scores, against any gold
        String[] pieces = {"SELECT", "select", "FROM", "from", " ", "  ", "\t", ",", ";", "a", "b", "t", "u", "FROMAGE", "SELECTED", "(",
            ")", "name", "ß", "\n", "JOIN", "x.y"};
        String[] golds = {GOLD, "SELECT a, b FROM t", "SELECT a FROM u", "SELECT b, a FROM t WHERE a = 1"};
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int settled = 0;
        for (int trial = 0; trial < 3000; trial++) {
            StringBuilder text = new StringBuilder();
            java.util.List<Integer> cuts = new java.util.ArrayList<>();
            String[] shape = {"SELECT", " ", "a", ",", "b", " ", "FROM", " ", "t", " ", "x", ";"}; // perturbed below
            for (int k = 0; k < 2 * shape.length; k++) {
                String piece = k % 2 == 0 ? shape[k / 2] : "";
                if (r.nextInt(4) == 0) {
                    piece = pieces[r.nextInt(pieces.length)];
                }
                text.append(piece);
                cuts.add(text.length());
            }
            for (int cut : cuts) {
                String prefix = text.substring(0, cut);
                if (OutputSimilarity.settled(prefix)) {
                    settled++;
                    for (String gold : golds) {
                        assertEquals(OutputSimilarity.score(gold, text.toString()), OutputSimilarity.score(gold, prefix), prefix + " | " + text);
                    }
                }
            }
        }
        org.junit.jupiter.api.Assertions.assertTrue(settled > 100, "settled prefixes seen: " + settled);
    }
}
