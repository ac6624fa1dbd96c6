package org.tinysql.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
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
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.eap.EapResult;
import org.tinysql.interp.eap.EdgeAttribution;
import org.tinysql.interp.sae.Sae;
import org.tinysql.interp.sae.SaeConfig;
import org.tinysql.interp.sae.SaeTrainer;
import org.tinysql.interp.sae.SaeTrainerConfig;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.Parameters;
import org.tinysql.model.RunSpec;
import org.tinysql.model.Transformer;

/**
 * Interpretability workloads on the peer's shapes: a forward pass, a forward caching every hook point, one head-level
 * EAP batch (compare with the forward: the EAP target is at most 3.5 forwards), greedy decoding with the KV cache at
 * batch 1 and 16, and one TopK SAE step (15x, k = 32, 4096 rows). Compare with {@code torch_peer.py
 * fwd_cache|eap_head|decode|sae} side by side (see {@code tinysql bench}); more shapes with {@code -p shape=cs5}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgs = {"-Xmx8g", Workloads.VECTOR_API})
public class InterpBenchmark {

    @Param({"small", "bm1"})
    public String shape;

    private Transformer model;
    private int[][] ids;
    private PatchBatch batch;
    private EdgeAttribution eap;
    private SaeTrainer sae;
    private float[] saeRows;
    private java.util.List<int[]> prompts1;
    private java.util.List<int[]> prompts16;
    private final org.tinysql.model.Generator.Options decode =
            org.tinysql.model.Generator.Options.greedy(Workloads.DECODE_NEW, -1, 0);

    @Setup
    public void setup() {
        Workloads.Shape sh = Workloads.Shape.of(shape);
        model = new Transformer(Parameters.init(sh.config(), 0));
        ids = Workloads.randomIds(sh, 0);
        batch = Workloads.eapBatch(sh);
        eap = new EdgeAttribution(model);
        int c = sh.c();
        sae = new SaeTrainer(Sae.init(SaeConfig.topK(c, 15 * c, 32), 0),
                new SaeTrainerConfig(2e-4, 0, 0, Long.MAX_VALUE, 0, 0, 0.9, 0.999, 1e-8));
        Random r = new Random(0);
        prompts1 = Workloads.decodePrompts(sh, 1);
        prompts16 = Workloads.decodePrompts(sh, 16);
        saeRows = new float[Workloads.SAE_ROWS * c];
        for (int i = 0; i < saeRows.length; i++) {
            saeRows[i] = (float) r.nextGaussian();
        }
    }

    @Benchmark
    public INDArray forward() {
        return model.forward(ids, null);
    }

    @Benchmark
    public int forwardWithFullCache() {
        try (ActivationCache c = model.run(RunSpec.of(ids, null).cache(Workloads::peerHook))) {
            return c.names().size();
        }
    }

    @Benchmark
    public EapResult eapBatch() {
        return eap.eap(batch, Metric.Kind.LOGIT_DIFF, batch.size());
    }

    /** Greedy decoding with the KV cache at batch 1 (the peer's decode): 64 new tokens after a 64-token prompt. */
    @Benchmark
    public java.util.List<int[]> decodeBatch1() {
        return org.tinysql.model.Generator.generate(model, prompts1, decode);
    }

    /** As {@link #decodeBatch1}, 16 sequences at once (benchmarks/peer/torch_peer_extra.py decode16). */
    @Benchmark
    public java.util.List<int[]> decodeBatch16() {
        return org.tinysql.model.Generator.generate(model, prompts16, decode);
    }

    @Benchmark
    public SaeTrainer.StepStats saeStep() {
        return sae.step(saeRows, Workloads.SAE_ROWS, 2e-4);
    }
}
