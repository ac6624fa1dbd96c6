package org.tinysql.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.tinysql.tensor.Buffers;

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
        assertEquals(1, b.decodeBatch1().size());
        assertEquals(16, b.decodeBatch16().size());
        assertEquals(Workloads.DECODE_NEW, b.decodeBatch16().get(3).length, "greedy, no end token: every new token");
        KernelBenchmark k = new KernelBenchmark();
        k.shape = "small";
        k.setup();
        assertEquals(32 * 64 * 512, k.mlpGemm().length());
        assertKernelsComputeWhatTheyName(k);
    }

    @Test
    void flopCountsFollowTheShapeFormulas() {
        Workloads.Shape bm1 = Workloads.Shape.of("bm1");
        double n = 8 * 128;
        double layer = n * (4.0 * 1024 * 1024 + 2.0 * 1024 * 4096) + 2.0 * 8 * 128 * 128 * 1024;
        assertEquals(2 * (2 * layer + n * 1024 * 50258), WorkloadFlops.of("fwd_cache", bm1), 1);
        assertEquals(158.0e9, WorkloadFlops.of("fwd_cache", bm1), 0.1e9, "about 158 GFLOP per bm1 forward");
        assertEquals(2 * n * 1024 * 4096, WorkloadFlops.of("gemm", bm1), 1);
        assertEquals(16 * WorkloadFlops.of("decode", bm1), WorkloadFlops.of("decode16", bm1), 1);
        Workloads.Shape small = Workloads.Shape.of("small");
        assertTrue(WorkloadFlops.of("train", small) > 2.5 * WorkloadFlops.of("fwd_cache", small), "a step is about 3 forwards");
        double fwdLastLogits = WorkloadFlops.of("fwd_cache", small) - 2.0 * (32 * 64 - 32) * 128 * 512;
        assertTrue(WorkloadFlops.of("eap", small) > 3 * fwdLastLogits, "EAP: 3 forwards' worth plus the scores");
        assertTrue(Double.isNaN(WorkloadFlops.of("sae", small)));
    }

    /**
     * The kernel benchmarks' bodies against plain double loops on sampled entries: the MLP GEMM y = x w^T, causal
     * attention z = softmax(q k^T / sqrt(D)) v per head, and its value gradient dv = pattern^T dz; the fused kernels
     * against the dense ones.
     */
    static void assertKernelsComputeWhatTheyName(KernelBenchmark k) {
        int t = 64;
        int heads = 4;
        int c = 128;
        int d = c / heads;
        float[] x = Buffers.toFloats(k.x);
        float[] w = Buffers.toFloats(k.w);
        float[] y = Buffers.toFloats(k.y);
        for (int[] rc : new int[][] {{0, 0}, {5, 17}, {2047, 511}, {1000, 300}}) {
            double want = 0;
            for (int i = 0; i < c; i++) {
                want += (double) x[rc[0] * c + i] * w[rc[1] * c + i];
            }
            assertEquals(want, y[rc[0] * 512 + rc[1]], 1e-4 * Math.max(1, Math.abs(want)), "y" + java.util.Arrays.toString(rc));
        }
        float[] z = Buffers.toFloats(k.attentionForward());
        float[] q = Buffers.toFloats(k.q);
        float[] kk = Buffers.toFloats(k.kk);
        float[] v = Buffers.toFloats(k.v);
        double scale = 1 / Math.sqrt(d);
        int[][] sampled = {{0, 0, 0}, {0, 1, 5}, {3, 2, 63}, {31, 3, 40}};   // batch, head, query position
        for (int si = 0; si < sampled.length; si++) {
            int b = sampled[si][0];
            int h = sampled[si][1];
            int tq = sampled[si][2];
            double[] p = new double[tq + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int s = 0; s <= tq; s++) {
                for (int j = 0; j < d; j++) {
                    p[s] += (double) q[(b * t + tq) * c + h * d + j] * kk[(b * t + s) * c + h * d + j] * scale;
                }
                max = Math.max(max, p[s]);
            }
            double sum = 0;
            for (int s = 0; s <= tq; s++) {
                p[s] = Math.exp(p[s] - max);
                sum += p[s];
            }
            for (int j = 0; j < d; j++) {
                double want = 0;
                for (int s = 0; s <= tq; s++) {
                    want += p[s] / sum * v[(b * t + s) * c + h * d + j];
                }
                assertEquals(want, z[(b * t + tq) * c + h * d + j], 1e-4 * Math.max(1, Math.abs(want)),
                        "z batch " + b + " head " + h + " position " + tq + " dim " + j);
            }
        }
        k.attentionBackward();
        float[] dz = Buffers.toFloats(k.dz);
        float[] pattern = Buffers.toFloats(k.pattern);
        float[] dv = Buffers.toFloats(k.dv);
        for (int[] bhs : new int[][] {{0, 0, 63}, {7, 1, 10}, {31, 3, 0}}) {
            int b = bhs[0];
            int h = bhs[1];
            int s = bhs[2];
            for (int j = 0; j < d; j += 7) {
                double want = 0;
                for (int tq = s; tq < t; tq++) {
                    want += (double) pattern[((b * heads + h) * t + tq) * t + s] * dz[(b * t + tq) * c + h * d + j];
                }
                assertEquals(want, dv[(b * t + s) * c + h * d + j], 1e-4 * Math.max(1, Math.abs(want)),
                        "dv batch " + b + " head " + h + " key " + s + " dim " + j);
            }
        }
        // the fused kernels give the dense results (one backward each, from zero gradients)
        float[] fz = Buffers.toFloats(k.fusedAttentionForward());
        for (int i = 0; i < z.length; i += 97) {
            assertEquals(z[i], fz[i], 1e-5 * Math.max(1, Math.abs(z[i])), "fused z at " + i);
        }
        k.fusedAttentionBackward();
        float[] fdv = Buffers.toFloats(k.fdv);
        for (int i = 0; i < dv.length; i += 97) {
            assertEquals(dv[i], fdv[i], 1e-4 * Math.max(1, Math.abs(dv[i])), "fused dv at " + i);
        }
    }

    @Test
    void benchmarkBodyRuns() {
        DatasetBenchmark b = new DatasetBenchmark();
        b.commandSet = "CS5";
        b.setup();
        assertTrue(b.generateAndSerialize().contains("\"command_set\":5"));
    }
}
