package org.tinysql.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.DType;
import org.tinysql.train.AdamW;
import org.tinysql.train.MemoryPlan;
import org.tinysql.train.Trainer;

/**
 * Fine-tuning steps of the paper's base-model shapes with synthetic weights ({@link Parameters#init}): the step
 * {@code tinysql finetune} runs (logits on the labelled rows only, forward, backward, gradient clipping, AdamW with
 * the HF betas), on a batch of random tokens with the loss on the second half of each row, as the PyTorch side
 * ({@code hf_reference.py step}) does. Prints one JSON line: the memory plan's estimate, the peak resident memory of the
 * process (VmHWM, and sampled every 20 ms), and seconds per step (the first step allocates; the others are steady state).
 * Also how many of a sample of weight updates a BF16 copy of the weights would lose (the reason weights stay F32).
 *
 * <p>Usage: {@code java -Xmx2g -Dorg.bytedeco.javacpp.maxbytes=21g -Dorg.bytedeco.javacpp.maxphysicalbytes=23g -cp
 * benchmarks/target/benchmarks.jar org.tinysql.bench.FinetuneStepBenchmark SHAPE BATCH TIME [STEPS] [RECOMPUTE] [MOMENTS]}
 * with SHAPE bm1 | qwen2.5-0.5b | llama3.2-1b, RECOMPUTE auto|on|off, MOMENTS auto|f32|bf16. Results:
 * docs/FINETUNING.md.
 */
public final class FinetuneStepBenchmark {

    private FinetuneStepBenchmark() {
    }

    /** The base models' shapes (config.json of the HF checkpoints), with the fine-tune's vocabulary. */
    static ModelConfig shape(String name) {
        return switch (name) {
            // TinyStories-Instruct-2Layers-33M + <|pad|>: GPT-Neo, layer 1 local (window 256), tied
            case "bm1" -> new ModelConfig("gpt_neo", 50258, 1024, 2, 16, 16, 4096, 2048, 1e-5, false, new int[] {0, 256}, 0, false,
                    true, true, 50256, 50256).withPadToken(50257);
            // Qwen2.5-0.5B: 24 layers, GQA 14/2, q/k/v biases, tied; 151,936 rows hold the added <|pad|>
            case "qwen2.5-0.5b" -> new ModelConfig("qwen2", 151936, 896, 24, 14, 2, 4864, 32768, 1e-6, true, new int[24], 1e6, true,
                    false, true, -1, 151643).withPadToken(151665);
            // Llama-3.2-1B: 16 layers, GQA 32/8, Llama-3 RoPE scaling, tied; pad <|finetune_right_pad_id|>
            case "llama3.2-1b" -> new ModelConfig("llama", 128256, 2048, 16, 32, 8, 8192, 131072, 1e-5, true, new int[16], 500000.0,
                    false, false, true, 128000, 128001, new ModelConfig.RopeScaling(32, 1, 4, 8192)).withPadToken(128004);
            default -> throw new IllegalArgumentException("shape must be bm1, qwen2.5-0.5b or llama3.2-1b, not " + name);
        };
    }

    public static void main(String[] args) throws Exception {
        ModelConfig cfg = shape(args[0]);
        int batch = Integer.parseInt(args[1]);
        int time = Integer.parseInt(args[2]);
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        Boolean recompute = args.length > 4 && !args[4].equals("auto") ? Boolean.valueOf(args[4].equals("on")) : null;
        AdamW.Moments moments = args.length > 5 && !args[5].equals("auto") ? AdamW.Moments.parse(args[5]) : null;
        int labelled = batch * (time - time / 2);
        MemoryPlan plan = MemoryPlan.choose(cfg, batch, time, labelled, MemoryPlan.budget(), recompute, moments);

        AtomicLong peakRss = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakRss.accumulateAndGet(Pointer.physicalBytes(), Math::max);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        long t0 = System.nanoTime();
        Transformer model = new Transformer(Parameters.init(cfg, 1));
        double initSecs = (System.nanoTime() - t0) / 1e9;
        model.setRecompute(plan.recompute());
        AdamW opt = new AdamW(model.parameters(), 0.9, 0.999, 1e-8, 0.01, plan.moments());
        SplittableRandom r = new SplittableRandom(0);
        int[][] ids = new int[batch][time];
        int[][] labels = new int[batch][time];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < time; t++) {
                ids[b][t] = r.nextInt(cfg.vocabSize() - 1);
                labels[b][t] = t < time / 2 ? -100 : ids[b][t];
            }
        }
        String sampleName = "blocks.0.mlp.W_in";
        float[] before = Buffers.toFloats(model.parameters().get(sampleName));
        double[] secs = new double[steps];
        double[] phases = new double[3]; // of the last step: forward + loss, zeroGrad + backward, clip + AdamW
        double loss = Double.NaN;
        for (int s = 0; s < steps; s++) {
            long t1 = System.nanoTime();
            loss = model.forwardLoss(ids, null, null, labels, true);
            long t2 = System.nanoTime();
            model.zeroGrad();
            model.backward();
            long t3 = System.nanoTime();
            Trainer.clip(model.gradients(), 1.0);
            opt.step(model.parameters(), model.gradients(), 2e-5);
            long t4 = System.nanoTime();
            secs[s] = (t4 - t1) / 1e9;
            phases = new double[] {(t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9};
        }
        float[] after = Buffers.toFloats(model.parameters().get(sampleName));
        long changed = 0;
        long lost = 0;
        for (int i = 0; i < after.length; i++) {
            if (after[i] != before[i]) {
                changed++;
                if (DType.floatToBf16(after[i]) == DType.floatToBf16(before[i])) {
                    lost++;
                }
            }
        }
        sampler.interrupt();
        double steady = 0;
        for (int s = 1; s < steps; s++) {
            steady += secs[s] / (steps - 1);
        }
        System.out.printf(Locale.ROOT, "{\"shape\": \"%s\", \"parameters\": %d, \"batch\": %d, \"time\": %d, \"recompute\": %s, "
                        + "\"moments\": \"%s\", \"plan_gib\": %.2f, \"peak_rss_gib\": %.2f, \"sampled_peak_rss_gib\": %.2f, \"init_s\": %.1f, "
                        + "\"first_step_s\": %.2f, \"s_per_step\": %.2f, \"tokens_per_s\": %.0f, \"loss\": %.4f, "
                        + "\"forward_s\": %.2f, \"backward_s\": %.2f, \"optimizer_s\": %.2f, "
                        + "\"bf16_weights_would_lose_updates\": %.4f, \"threads\": %d}%n",
                args[0], plan.parameters(), batch, time, plan.recompute(), plan.moments().label(), plan.totalBytes() / 1073741824.0,
                vmHwm() / 1073741824.0, peakRss.get() / 1073741824.0, initSecs, secs[0], steps > 1 ? steady : secs[0],
                batch * time / (steps > 1 ? steady : secs[0]), loss, phases[0], phases[1], phases[2],
                changed == 0 ? 0 : (double) lost / changed,
                Runtime.getRuntime().availableProcessors());
    }

    /** The process's peak resident set (VmHWM of /proc/self/status), or -1 off Linux. */
    static long vmHwm() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }
}
