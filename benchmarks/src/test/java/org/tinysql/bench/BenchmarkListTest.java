package org.tinysql.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BenchmarkListTest {

    @Test
    void jmhAnnotationProcessingRegisteredTheBenchmarks() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/BenchmarkList")) {
            assertNotNull(in, "JMH's BenchmarkList is missing: the annotation processor did not run");
            String list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(list.contains("org.tinysql.bench.DatasetBenchmark"), list);
            assertTrue(list.contains("org.tinysql.bench.TokenizerBenchmark"), list);
            assertTrue(list.contains("org.tinysql.bench.TrainStepBenchmark"), list);
            assertTrue(list.contains("org.tinysql.bench.InterpBenchmark"), list);
            assertTrue(list.contains("org.tinysql.bench.KernelBenchmark"), list);
        }
    }

    @Test
    void trainStepBenchmarkRunsOnTheSmallShape() {
        TrainStepBenchmark b = new TrainStepBenchmark();
        b.shape = "small";
        b.setup();
        double first = b.trainStep();
        assertTrue(Double.isFinite(first) && first > 5, "random-token loss near ln(512): " + first);
    }

    @Test
    void interpAndKernelBenchmarksRunOnTheSmallShape() {
        InterpBenchmark b = new InterpBenchmark();
        b.shape = "small";
        b.setup();
        assertEquals(32 * 64 * 512, b.forward().length());
        assertTrue(b.forwardWithFullCache() > 20);
        assertTrue(Double.isFinite(b.eapBatch().cleanMetric()));
        assertTrue(b.saeStep().l0() <= 32);
        KernelBenchmark k = new KernelBenchmark();
        k.shape = "small";
        k.setup();
        assertEquals(32 * 64 * 512, k.mlpGemm().length());
        k.attentionForward();
        assertTrue(Double.isFinite(k.attentionBackward().sumNumber().doubleValue()));
    }

    @Test
    void benchmarkBodyRuns() {
        DatasetBenchmark b = new DatasetBenchmark();
        b.commandSet = "CS5";
        b.setup();
        assertTrue(b.generateAndSerialize().contains("\"command_set\":5"));
    }
}
