package org.tinysql.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.tokenizer.Tokenizer;

/**
 * Tokenizer throughput on TinySQL prompts, one thread. The {@code chars} counter is characters encoded per second
 * (target: over 1 M/s for the GPT-2 tokenizer). Run from the repository root so the GPT-2 tokenizer.json is found, or
 * pass {@code -p gpt2Path=...}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class TokenizerBenchmark {

    @Param({"gpt2", "sqlvocab"})
    public String tokenizer;

    @Param("tinysql-core/src/test/resources/tokenizers/gpt2/tokenizer.json")
    public String gpt2Path;

    private Tokenizer tok;
    private List<String> texts;
    private int next;

    /** Characters encoded, reported by JMH as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Chars {
        public long chars;

        @Setup(Level.Iteration)
        public void reset() {
            chars = 0;
        }
    }

    @Setup
    public void setup() throws IOException {
        texts = new ArrayList<>();
        for (TinySqlExample e : new DatasetGenerator(CommandSet.CS5, Variant.SYNONYM, 7).generate(5_000)) {
            texts.add(e.fullText());
        }
        if (tokenizer.equals("gpt2")) {
            Path p = Path.of(gpt2Path);
            if (!Files.exists(p)) {
                throw new IOException("GPT-2 tokenizer.json not found at " + p.toAbsolutePath()
                        + " (run from the repository root or pass -p gpt2Path=...)");
            }
            tok = HfTokenizer.load(p);
        } else {
            tok = SqlVocabTokenizer.build(texts, 2, 8_000);
        }
    }

    @Benchmark
    public int[] encode(Chars counter) {
        String s = texts.get(next);
        next = (next + 1) % texts.size();
        counter.chars += s.length();
        return tok.encode(s);
    }
}
