package org.tinysql.interp.patching;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The conflict measure's head effects in logits: ranked by how far they move logit[Y] - logit[X], not by the ratio. */
class TableConflictMeasureTest {

    @Test
    void headsAreRankedByTheirChangeInLogitsWhichStaysFiniteWhenCleanIsCloseToConflict() {
        // clean 2.0, conflict 1.9: a normalized effect of 8 is a change of only 0.8 logits; -5 is -0.5
        double[][] normalized = {{8.0, 0.5}, {-5.0, 10.0}};
        PatchingResult heads = new PatchingResult("heads", List.of("layer 0", "layer 1"), List.of("h0", "h1"), normalized);
        TableConflict.Measure m = new TableConflict.Measure(0.5, 1.9, 2.0, heads, 4);
        double[][] d = m.logitChanges();
        assertEquals(0.8, d[0][0], 1e-9);
        assertEquals(0.05, d[0][1], 1e-9);
        assertEquals(-0.5, d[1][0], 1e-9);
        assertEquals(1.0, d[1][1], 1e-9);
        List<TableConflict.HeadEffect> top = m.topHeads(3);
        assertEquals(List.of("a1.h1", "a0.h0", "a1.h0"), top.stream().map(TableConflict.HeadEffect::head).toList());
        assertEquals(10.0, top.get(0).effect(), 1e-9);
        assertEquals(1.0, top.get(0).logitChange(), 1e-9);
    }
}
