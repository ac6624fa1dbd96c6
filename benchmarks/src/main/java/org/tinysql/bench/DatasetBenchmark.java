package org.tinysql.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;

/** Dataset generation + JSONL serialisation throughput (examples per second). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class DatasetBenchmark {

    @Param({"CS1", "CS5"})
    public String commandSet;

    private DatasetGenerator generator;
    private long next;

    @org.openjdk.jmh.annotations.Setup
    public void setup() {
        generator = new DatasetGenerator(CommandSet.valueOf(commandSet), Variant.SYNONYM, 42);
    }

    @Benchmark
    public String generateAndSerialize() {
        TinySqlExample e = generator.example(next++, 100_000).row();
        return DatasetIO.toJson(e);
    }

    /** Parallel generation of a 10k batch (both cores), reported per batch. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @BenchmarkMode(Mode.AverageTime)
    public List<TinySqlExample> generate10kParallel() {
        return generator.generate(10_000);
    }
}
