package org.tinysql.bench;

import java.util.Locale;
import java.util.SplittableRandom;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.train.AdamW;

/**
 * The end-to-end workloads of ../shared/peer/torch_peer.py, same shapes and steps, printing the same JSON line so
 * the two can be run back to back and compared as a ratio. Usage: {@code Workloads WORKLOAD [--shape small|bm1|cs5] [--iters N]}.
 * {@code eap} is head-level EAP (the peer's {@code eap_head}); {@code decode16} is decoding at batch 16, whose peer is
 * benchmarks/peer/torch_peer_extra.py.
 */
public final class Workloads {

    /** The peer's shapes (GPT-Neo family). */
    public record Shape(int layers, int c, int heads, int mlp, int vocab, int batch, int time) {
        public static Shape of(String name) {
            return switch (name) {
                case "bm1" -> new Shape(2, 1024, 16, 4096, 50258, 8, 128);
                case "small" -> new Shape(2, 128, 4, 512, 512, 32, 64);
                case "cs5" -> new Shape(2, 128, 4, 512, 4096, 16, 256);
                default -> throw new IllegalArgumentException("unknown shape " + name + " (small, bm1, cs5)");
            };
        }

        public ModelConfig config() {
            int[] windows = new int[layers];
            for (int i = 1; i < layers; i += 2) {
                windows[i] = 256;
            }
            return new ModelConfig("gpt_neo", vocab, c, layers, heads, heads, mlp, 2048, 1e-5, false, windows, 0, false, true,
                    true, -1, -1);
        }
    }

    /**
     * The JVM option that gives the kernels the Java Vector API (softmax, cross-entropy, SwiGLU and the norms on
     * SIMD lanes; see the tensor module's VectorMath), as the {@code tinysql} CLI starts its JVM: every benchmark JVM
     * that runs the model gets it (JMH forks, {@code tinysql bench}'s workload JVMs).
     */
    public static final String VECTOR_API = "--add-modules=jdk.incubator.vector";

    private Workloads() {
    }

    public static void main(String[] args) {
        String workload = args.length > 0 ? args[0] : "train";
        String shapeName = "bm1";
        int iters = 5;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--shape" -> shapeName = args[i + 1];
                case "--iters" -> iters = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Shape sh = Shape.of(shapeName);
        double sec;
        long tokens = (long) sh.batch() * sh.time();
        switch (workload) {
            case "train" -> sec = train(sh, iters);
            case "fwd_cache" -> sec = fwdCache(sh, iters);
            case "forward" -> sec = forward(sh, iters);
            case "eap" -> sec = eap(sh, iters);
            case "decode" -> {
                sec = decode(sh, 1, Math.max(1, iters / 2));
                tokens = DECODE_NEW;
            }
            case "decode16" -> {
                sec = decode(sh, 16, Math.max(1, iters / 2));
                tokens = 16L * DECODE_NEW;
            }
            case "sae" -> {
                sec = sae(sh, iters);
                tokens = SAE_ROWS;
            }
            case "gemm" -> sec = gemm(sh, iters);
            default -> throw new IllegalArgumentException("unknown workload '" + workload
                    + "' (train, forward, fwd_cache, eap, decode, decode16, sae, gemm)");
        }
        System.out.println(json(workload, shapeName, sec, tokens, WorkloadFlops.of(workload, sh)));
    }

    /**
     * The peer's JSON line, with the work of an iteration ({@link WorkloadFlops}) and our GFLOP/s when the workload's
     * work is counted.
     */
    public static String json(String workload, String shape, double sec, long tokens, double flops) {
        String gflops = Double.isNaN(flops) ? ""
                : String.format(Locale.ROOT, ", \"flop_per_iter\": %.0f, \"gflop_per_s\": %.1f", flops, flops / sec / 1e9);
        return String.format(Locale.ROOT, "{\"workload\": \"%s\", \"shape\": \"%s\", \"ms_per_iter\": %.2f, \"tokens_per_s\": %.1f%s, "
                + "\"engine\": \"tinysql-j\"}", workload, shape, sec * 1e3, tokens / sec, gflops);
    }

    /**
     * Seconds per [N, C] x [C, M] SGEMM (the MLP's up-projection, through the kernels' linear): the machine's matrix
     * product speed, measured in the same run as the workloads so that their GFLOP/s read as a fraction of it.
     */
    static double gemm(Shape sh, int iters) {
        org.tinysql.tensor.Kernels k = new org.tinysql.tensor.CpuKernels();
        int n = sh.batch() * sh.time();
        org.nd4j.linalg.api.ndarray.INDArray x = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, n, sh.c());
        org.nd4j.linalg.api.ndarray.INDArray w = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, sh.mlp(), sh.c());
        org.nd4j.linalg.api.ndarray.INDArray y = org.tinysql.tensor.Buffers.zeros(n, sh.mlp());
        return time(() -> k.linear(x, w, null, y), Math.max(iters, 10));
    }

    /** Rows per SAE step in the peer's sae workload. */
    public static final int SAE_ROWS = 4096;

    static int[][] randomIds(Shape sh, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] ids = new int[sh.batch()][sh.time()];
        for (int[] row : ids) {
            for (int t = 0; t < row.length; t++) {
                row[t] = r.nextInt(sh.vocab());
            }
        }
        return ids;
    }

    /** Warm-up before timing: at least this many runs ... */
    static final int WARMUP_RUNS = 3;
    /**
     * ... and at least this long, one JMH warm-up iteration: the JIT compiles the kernels' loops (the Vector API's
     * included) within it. At the small shape a forward caching every hook took 31-36 ms per run 3-5 s into a JVM,
     * 23-25 ms from 5 s on and 20-21 ms after 20 s; with the 2 s warm-up used before, {@code tinysql bench} timed the
     * JIT rather than the kernels there ...
     */
    static final double WARMUP_SECONDS = 10.0;
    /** ... but never more runs than this. */
    static final int WARMUP_MAX_RUNS = 2000;

    /**
     * Seconds per run of {@code r}, the mean of {@code iters} runs after a warm-up of at least {@link #WARMUP_RUNS}
     * runs and {@link #WARMUP_SECONDS} (at most {@link #WARMUP_MAX_RUNS} runs), as JMH warms up: a JVM runs its first
     * seconds interpreted or with unoptimised code (decoding at batch 1 took twice as long in its first run), while the
     * PyTorch peer needs one warm-up run (its kernels are compiled ahead of time).
     */
    static double time(Runnable r, int iters) {
        long w0 = System.nanoTime();
        for (int i = 0; i < WARMUP_MAX_RUNS && (i < WARMUP_RUNS || System.nanoTime() - w0 < WARMUP_SECONDS * 1e9); i++) {
            r.run();
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < iters; i++) {
            r.run();
        }
        return (System.nanoTime() - t0) / 1e9 / iters;
    }

    /**
     * The hook points the peer's model has: every standard one (the per-head q/k/v inputs, head results and MLP
     * inputs are opt-in in TransformerLens and absent from the peer).
     */
    public static boolean peerHook(String name) {
        return !(name.endsWith("_input") || name.endsWith("hook_result") || name.endsWith("hook_mlp_in"));
    }

    /**
     * Seconds per forward pass caching every hook point the peer has, through {@code Transformer.run(RunSpec)}: the
     * cache takes the pass's own buffers (no copies) and hands them back when closed, so steady-state runs allocate
     * nothing.
     */
    static double fwdCache(Shape sh, int iters) {
        Transformer m = new Transformer(Parameters.init(sh.config(), 0));
        int[][] ids = randomIds(sh, 0);
        org.tinysql.model.RunSpec spec = org.tinysql.model.RunSpec.of(ids, null).cache(Workloads::peerHook);
        return time(() -> m.run(spec).close(), iters);
    }

    /** The batch the peer's EAP uses: token T/4 changed, logit difference of tokens 1 and 2 at the last position. */
    public static org.tinysql.interp.PatchBatch eapBatch(Shape sh) {
        int[][] clean = randomIds(sh, 0);
        java.util.List<int[]> c = new java.util.ArrayList<>();
        java.util.List<int[]> x = new java.util.ArrayList<>();
        int[] ca = new int[sh.batch()];
        int[] xa = new int[sh.batch()];
        for (int b = 0; b < sh.batch(); b++) {
            int[] y = clean[b].clone();
            y[sh.time() / 4] = (y[sh.time() / 4] + 1) % sh.vocab();
            c.add(clean[b]);
            x.add(y);
            ca[b] = 1;
            xa[b] = 2;
        }
        return org.tinysql.interp.PatchBatch.padded(c, x, ca, xa, sh.time(), 0);
    }

    /** Seconds per head-level EAP batch (1 corrupt forward, 1 clean forward + backward, all edge scores). */
    static double eap(Shape sh, int iters) {
        Transformer m = new Transformer(Parameters.init(sh.config(), 0));
        org.tinysql.interp.PatchBatch b = eapBatch(sh);
        org.tinysql.interp.eap.EdgeAttribution e = new org.tinysql.interp.eap.EdgeAttribution(m);
        return time(() -> e.eap(b, org.tinysql.interp.Metric.Kind.LOGIT_DIFF, sh.batch()), iters);
    }

    /** Seconds per forward pass without caching (the unit the EAP cost is measured in). */
    static double forward(Shape sh, int iters) {
        Transformer m = new Transformer(Parameters.init(sh.config(), 0));
        int[][] ids = randomIds(sh, 0);
        return time(() -> m.forward(ids, null), iters);
    }

    /** Prompt and generated lengths of the decode workloads. */
    static final int DECODE_PROMPT = 64;
    static final int DECODE_NEW = 64;

    /**
     * Seconds per greedy generation of 64 tokens after 64-token prompts, {@code batch} sequences at once, with the KV
     * cache ({@link org.tinysql.model.Generator} decodes through {@code Transformer.forwardCachedLast}: the prefill and
     * every step unembed only the last position).
     */
    static double decode(Shape sh, int batch, int iters) {
        Transformer m = new Transformer(Parameters.init(sh.config(), 0));
        java.util.List<int[]> prompts = decodePrompts(sh, batch);
        org.tinysql.model.Generator.Options o = org.tinysql.model.Generator.Options.greedy(DECODE_NEW, -1, 0);
        return time(() -> org.tinysql.model.Generator.generate(m, prompts, o), iters);
    }

    /** The decode workloads' prompts: {@code batch} random prompts of {@link #DECODE_PROMPT} tokens (seed 1). */
    static java.util.List<int[]> decodePrompts(Shape sh, int batch) {
        SplittableRandom r = new SplittableRandom(1);
        java.util.List<int[]> prompts = new java.util.ArrayList<>();
        for (int b = 0; b < batch; b++) {
            prompts.add(r.ints(DECODE_PROMPT, 0, sh.vocab()).toArray());
        }
        return prompts;
    }

    /** Seconds per TopK SAE step (15x expansion, k = 32, 4096 rows of width d_model, Adam, unit-norm decoder). */
    static double sae(Shape sh, int iters) {
        int c = sh.c();
        org.tinysql.interp.sae.Sae sae = org.tinysql.interp.sae.Sae.init(org.tinysql.interp.sae.SaeConfig.topK(c, 15 * c, 32), 0);
        var cfg = new org.tinysql.interp.sae.SaeTrainerConfig(2e-4, 0, 0, Long.MAX_VALUE, 0, 0, 0.9, 0.999, 1e-8);
        org.tinysql.interp.sae.SaeTrainer tr = new org.tinysql.interp.sae.SaeTrainer(sae, cfg);
        java.util.Random r = new java.util.Random(0);
        float[] x = new float[SAE_ROWS * c];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return time(() -> tr.step(x, SAE_ROWS, 2e-4), iters);
    }

    /** EAP cost in forward passes: seconds per EAP batch / seconds per forward. */
    public static double eapCostInForwards(Shape sh, int iters) {
        return eap(sh, iters) / forward(sh, iters);
    }

    /** Seconds per training step (forward + backward + AdamW), after the warm-up of {@link #time}. */
    static double train(Shape sh, int iters) {
        Transformer m = new Transformer(Parameters.init(sh.config(), 0));
        AdamW opt = new AdamW(m.parameters(), 0.9, 0.999, 1e-8, 0.01);
        SplittableRandom r = new SplittableRandom(0);
        int[][] ids = new int[sh.batch()][sh.time()];
        int[][] labels = new int[sh.batch()][sh.time()];
        for (int b = 0; b < sh.batch(); b++) {
            for (int t = 0; t < sh.time(); t++) {
                ids[b][t] = r.nextInt(sh.vocab());
                labels[b][t] = t < sh.time() / 2 ? -100 : ids[b][t];
            }
        }
        Runnable step = () -> {
            // the trainer's path: logits of the labelled rows only, attention over causal tiles
            m.forwardLoss(ids, null, null, labels, true);
            m.zeroGrad();
            m.backward();
            opt.step(m.parameters(), m.gradients(), 1e-4);
        };
        return time(step, iters);
    }
}
