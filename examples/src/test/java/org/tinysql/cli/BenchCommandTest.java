package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BenchCommandTest {

    @Test
    void theTableShowsMediansAndAFailedRunShowsAsMissing() {
        assertEquals(31.8, BenchCommand.median(new double[] {98.9, 31.8, 30.2}), 1e-12, "one slow run does not move it");
        assertEquals(5.0, BenchCommand.median(new double[] {7, 3}), 1e-12);
        assertEquals(2.0, BenchCommand.median(new double[] {2}), 1e-12);
        assertTrue(Double.isNaN(BenchCommand.median(new double[] {1, Double.NaN, 3})));
    }

    @Test
    void headLevelEapIsComparedWithThePeersEapHead() {
        assertEquals("eap_head", BenchCommand.peerWorkload("eap"));
        assertEquals("eap (vs eap_head)", BenchCommand.label("eap"));
        assertEquals("train", BenchCommand.label("train"));
        assertTrue(BenchCommand.extraWorkload("decode16"));
    }

    @Test
    void bothSidesTimeAboutTwoSecondsOfWorkUnlessToldOtherwise() {
        assertEquals(100, BenchCommand.defaultIters("small"));
        assertEquals(20, BenchCommand.defaultIters("cs5"));
        assertEquals(3, BenchCommand.defaultIters("bm1"));
        BenchCommand given = new BenchCommand();
        new picocli.CommandLine(given).parseArgs("--shape", "small", "--iters", "7");
        assertEquals(7, given.iters());
        BenchCommand byShape = new BenchCommand();
        new picocli.CommandLine(byShape).parseArgs("--shape", "cs5");
        assertEquals(20, byShape.iters());
    }

    @Test
    void aRunCountBelowOneIsRefusedBeforeAnythingRuns() {
        for (String[] args : new String[][] {{"--iters", "0"}, {"--iters", "-3"}, {"--repeat", "0"}}) {
            BenchCommand c = new BenchCommand();
            new picocli.CommandLine(c).parseArgs(args);
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, c::call);
            assertEquals(args[0] + " must be at least 1, got " + args[1], e.getMessage());
        }
    }
}
