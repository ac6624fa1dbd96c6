package org.tinysql.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.util.Progress;

/**
 * Item 10 of the hardening issue: two generations with the same seed give byte-identical folders, also across JVMs
 * (per-JVM hash seeds, such as the iteration order of {@code Map.of}, must not leak into the files).
 */
class GenerationDeterminismTest {
    private static final int N = 300;
    private static final long SEED = 17;

    /** The entry point of the child JVMs: {@code dir}. */
    public static void main(String[] args) throws IOException {
        new DatasetGenerator(CommandSet.CS5, Variant.SYNONYM, SEED).writeSplits(Path.of(args[0]), N, Progress.NONE);
    }

    @Test
    void sameSeedGivesByteIdenticalFoldersAcrossJvms(@TempDir Path dir) throws Exception {
        // Three child JVMs: with the old Map.of split order, all three agreeing by chance is unlikely.
        List<Path> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path out = dir.resolve("run" + i);
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), GenerationDeterminismTest.class.getName(), out.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("log" + i).toFile()).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM finished");
            assertEquals(0, p.exitValue(), Files.readString(dir.resolve("log" + i)));
            runs.add(out);
        }
        Path here = dir.resolve("in-process");
        main(new String[] {here.toString()});
        runs.add(here);
        List<String> names = fileNames(runs.get(0));
        assertEquals(List.of("stats.json", "test.jsonl", "tokenizer.json", "train.jsonl", "validation.jsonl"), names);
        for (Path run : runs.subList(1, runs.size())) {
            assertEquals(names, fileNames(run), run.toString());
            for (String name : names) {
                assertArrayEquals(Files.readAllBytes(runs.get(0).resolve(name)), Files.readAllBytes(run.resolve(name)),
                        run.resolve(name) + " differs from " + runs.get(0).resolve(name));
            }
        }
        // The split sizes are written in split order, as they are read back.
        String stats = Files.readString(runs.get(0).resolve("stats.json"));
        assertTrue(stats.indexOf("\"train\"") < stats.indexOf("\"validation\"")
                && stats.indexOf("\"validation\"") < stats.indexOf("\"test\""), stats);
        DatasetMeta meta = DatasetMeta.read(runs.get(0).resolve("stats.json"));
        assertEquals(N, meta.splits().total());
        assertEquals(SEED, meta.seed());
    }

    private static List<String> fileNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
