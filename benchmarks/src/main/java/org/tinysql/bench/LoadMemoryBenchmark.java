package org.tinysql.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;
import org.tinysql.model.HfCheckpoint;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.SafeTensors;

/**
 * Loads a synthetic ~1B-parameter BF16 Llama-shaped checkpoint into FLOAT and reports peak memory against the FLOAT
 * size. The checkpoint is streamed to disk (never held in memory). Usage:
 * {@code java -Xmx2g -cp benchmarks/target/benchmarks.jar org.tinysql.bench.LoadMemoryBenchmark [DIR] [LAYERS]}.
 */
public final class LoadMemoryBenchmark {

    private LoadMemoryBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/tinysql-1b");
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 18;
        ModelConfig cfg = new ModelConfig("llama", 32000, 2048, layers, 16, 8, 5632, 4096, 1e-6, true, new int[layers], 10000.0,
                false, false, false, -1, -1);
        Map<String, long[]> shapes = HfCheckpoint.hfShapes(cfg);
        long params = 0;
        for (long[] s : shapes.values()) {
            long n = 1;
            for (long d : s) {
                n *= d;
            }
            params += n;
        }
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        SplittableRandom r = new SplittableRandom(1);
        SafeTensors.write(dir.resolve("model.safetensors"), shapes, DType.BF16, Map.of("format", "pt"), (name, off, chunk, len) -> {
            for (int i = 0; i < len; i++) {
                chunk[i] = (float) (r.nextDouble() * 0.04 - 0.02);
            }
        });
        cfg.save(dir.resolve("config.json"));
        double writeSecs = (System.nanoTime() - t0) / 1e9;

        AtomicLong peakRss = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakRss.accumulateAndGet(Pointer.physicalBytes(), Math::max);
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        System.gc();
        long rssBefore = Pointer.physicalBytes();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            p.resetPeakUsage();
        }
        sampler.start();
        long t1 = System.nanoTime();
        Parameters p = HfCheckpoint.load(dir, cfg);
        double loadSecs = (System.nanoTime() - t1) / 1e9;
        sampler.interrupt();
        sampler.join();
        long heapPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPeak += pool.getPeakUsage().getUsed();
            }
        }
        long floatBytes = p.count() * 4L;
        long grown = peakRss.get() - rssBefore;
        System.out.printf(Locale.ROOT, "{\"parameters\": %d, \"bf16_file_bytes\": %d, \"float_bytes\": %d, \"write_s\": %.1f, "
                        + "\"load_s\": %.1f, \"peak_rss_growth_bytes\": %d, \"peak_rss_growth_over_float\": %.3f, \"heap_peak_bytes\": %d}%n",
                params, Files.size(dir.resolve("model.safetensors")), floatBytes, writeSecs, loadSecs, grown,
                (double) grown / floatBytes, heapPeak);
    }
}
