package org.tinysql.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HeadNameTest {
    @Test
    void namesHeadsAndTheirInputsAsTheEapIgRepositoryDoes() {
        assertEquals("a1.h3", HeadName.of(1, 3));
        assertEquals("a12.h10", HeadName.ofKey("12.10"));
        assertEquals("a0.h2<q>", HeadName.input(0, 2, "q"));
    }
}
