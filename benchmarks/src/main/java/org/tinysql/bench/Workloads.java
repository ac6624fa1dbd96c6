package org.tinysql.bench;

import java.util.Locale;
import java.util.SplittableRandom;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.train.AdamW;

/**
 * The end-to-end workloads of ../shared/peer/torch_peer.py, same shapes and steps, printing the same JSON line so
 * the two can be run back to back and compared as a ratio. Usage: {@code Workloads train [--shape bm1|small] [--iters N]}.
 */
public final class Workloads {

    /** The peer's shapes (GPT-Neo family). */
    public record Shape(int layers, int c, int heads, int mlp, int vocab, int batch, int time) {
        public static Shape of(String name) {
            return switch (name) {
                case "bm1" -> new Shape(2, 1024, 16, 4096, 50258, 8, 128);
                case "small" -> new Shape(2, 128, 4, 512, 512, 32, 64);
                default -> throw new IllegalArgumentException("unknown shape " + name + " (bm1, small)");
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
        if (!workload.equals("train")) {
            throw new IllegalArgumentException("workload '" + workload + "' is not implemented yet (train)");
        }
        double sec = train(sh, iters);
        System.out.printf(Locale.ROOT, "{\"workload\": \"train\", \"shape\": \"%s\", \"ms_per_iter\": %.2f, \"tokens_per_s\": %.1f, "
                + "\"engine\": \"tinysql-j\"}%n", shapeName, sec * 1e3, sh.batch() * sh.time() / sec);
    }

    /** Seconds per training step (forward + backward + AdamW), after one warm-up step. */
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
            m.forward(ids, null);
            m.loss(labels, true);
            m.zeroGrad();
            m.backward();
            opt.step(m.parameters(), m.gradients(), 1e-4);
        };
        step.run();
        long t0 = System.nanoTime();
        for (int i = 0; i < iters; i++) {
            step.run();
        }
        return (System.nanoTime() - t0) / 1e9 / iters;
    }
}
