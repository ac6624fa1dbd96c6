package org.tinysql.bench;

import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.CpuKernels;
import org.tinysql.tensor.Kernels;

/**
 * Kernels on the peer's shapes: the [B*T, C] x [C, 4C] GEMM of the MLP (linear) and causal attention forward
 * (scores, softmax, apply) and backward, B x H x T x T, dense (what hooked passes run) and fused over the causal
 * tiles (what training runs: no [B, H, T, T] arrays).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgs = {"-Xmx6g", Workloads.VECTOR_API})
public class KernelBenchmark {

    @Param({"small", "bm1"})
    public String shape;

    private final Kernels k = new CpuKernels();
    /** Operands and results (package-private: BenchmarkListTest checks the bodies against reference computations). */
    INDArray x, w, y, q, kk, v, scores, pattern, z, dz, dq, dk, dv, dpat;
    /** The fused kernels' output, pattern over the tiles and gradients. */
    INDArray fz, tiles, fdq, fdk, fdv;
    private org.tinysql.tensor.AttentionSpans spans;
    private int heads;
    private int[][] mask;

    @Setup
    public void setup() {
        Workloads.Shape sh = Workloads.Shape.of(shape);
        int n = sh.batch() * sh.time();
        int c = sh.c();
        heads = sh.heads();
        Nd4j.getRandom().setSeed(0);
        x = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, n, c);
        w = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, sh.mlp(), c);
        y = Buffers.zeros(n, sh.mlp());
        q = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, n, c);
        kk = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, n, c);
        v = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, n, c);
        scores = Buffers.zeros(sh.batch(), heads, sh.time(), sh.time());
        pattern = Buffers.zeros(sh.batch(), heads, sh.time(), sh.time());
        dpat = Buffers.zeros(sh.batch(), heads, sh.time(), sh.time());
        z = Buffers.zeros(n, c);
        dz = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, n, c);
        dq = Buffers.zeros(n, c);
        dk = Buffers.zeros(n, c);
        dv = Buffers.zeros(n, c);
        mask = new int[sh.batch()][sh.time()];
        for (int[] m : mask) {
            java.util.Arrays.fill(m, 1);
        }
        spans = org.tinysql.tensor.AttentionSpans.of(mask, 0);
        fz = Buffers.zeros(n, c);
        tiles = Buffers.zeros(heads, spans.entries());
        fdq = Buffers.zeros(n, c);
        fdk = Buffers.zeros(n, c);
        fdv = Buffers.zeros(n, c);
    }

    @Benchmark
    public INDArray mlpGemm() {
        k.linear(x, w, null, y);
        return y;
    }

    @Benchmark
    public INDArray attentionForward() {
        float scale = scale();
        k.attentionScores(q, kk, heads, heads, mask, 0, scale, 0, scores);
        k.softmax(scores, pattern);
        k.attentionApply(pattern, v, heads, heads, z);
        return z;
    }

    @Benchmark
    public INDArray attentionBackward() {
        float scale = scale();
        k.attentionApplyBackward(dz, pattern, v, heads, heads, dpat, dv);
        k.softmaxBackward(dpat, pattern, dpat);
        k.attentionScoresBackward(dpat, q, kk, heads, heads, scale, dq, dk);
        return dq;
    }

    @Benchmark
    public INDArray fusedAttentionForward() {
        k.fusedAttention(q, kk, v, heads, heads, spans, scale(), fz, tiles);
        return fz;
    }

    @Benchmark
    public INDArray fusedAttentionBackward() {
        k.fusedAttentionBackward(dz, q, kk, v, tiles, heads, heads, spans, scale(), fdq, fdk, fdv);
        return fdq;
    }

    private float scale() {
        return (float) (1 / Math.sqrt(q.size(1) / (double) heads));
    }
}
