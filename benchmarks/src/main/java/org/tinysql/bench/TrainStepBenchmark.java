package org.tinysql.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.train.AdamW;

/**
 * One training step (forward, loss on the second half of each sequence, backward, AdamW) on the peer's shapes.
 * Compare with {@code torch_peer.py train --shape S} run back to back on the same machine (see Workloads).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgs = {"-Xmx8g", Workloads.VECTOR_API})
public class TrainStepBenchmark {

    @Param({"small", "bm1"})
    public String shape;

    private Transformer model;
    private AdamW opt;
    private int[][] ids;
    private int[][] labels;

    @Setup
    public void setup() {
        Workloads.Shape sh = Workloads.Shape.of(shape);
        model = new Transformer(Parameters.init(sh.config(), 0));
        opt = new AdamW(model.parameters(), 0.9, 0.999, 1e-8, 0.01);
        SplittableRandom r = new SplittableRandom(0);
        ids = new int[sh.batch()][sh.time()];
        labels = new int[sh.batch()][sh.time()];
        for (int b = 0; b < sh.batch(); b++) {
            for (int t = 0; t < sh.time(); t++) {
                ids[b][t] = r.nextInt(sh.vocab());
                labels[b][t] = t < sh.time() / 2 ? -100 : ids[b][t];
            }
        }
    }

    @Benchmark
    public double trainStep() {
        model.forward(ids, null);
        double loss = model.loss(labels, true);
        model.zeroGrad();
        model.backward();
        opt.step(model.parameters(), model.gradients(), 1e-4);
        return loss;
    }
}
