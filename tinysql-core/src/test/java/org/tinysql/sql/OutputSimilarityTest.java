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
}
