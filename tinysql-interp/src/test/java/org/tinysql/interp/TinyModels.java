package org.tinysql.interp;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;

/** Small random models and patch batches for interpretability tests. */
public final class TinyModels {
    private TinyModels() {
    }

    public static ModelConfig gpt(int vocab, int d, int layers, int heads) {
        return ModelConfig.gpt2(vocab, d, layers, heads, 64);
    }

    public static ModelConfig llama(int vocab, int d, int layers, int heads, int kvHeads) {
        return new ModelConfig("llama", vocab, d, layers, heads, kvHeads, 2 * d, 64, 1e-5, true, new int[layers], 10000,
                false, false, false, -1, -1);
    }

    /** A randomly initialised model whose weight matrices are scaled by {@code scale} (to make it non-linear). */
    public static Transformer random(ModelConfig cfg, long seed, double scale) {
        Parameters p = Parameters.init(cfg, seed);
        for (var e : p.asMap().entrySet()) {
            INDArray a = e.getValue();
            if (a.rank() == 2) {
                a.muli(scale);
            }
        }
        return new Transformer(p);
    }

    /**
     * Random prompts of length t (rows shortened by up to {@code ragged} tokens) whose corrupt version differs in
     * one position; answers are tokens 1 and 2.
     */
    public static PatchBatch batch(int rows, int t, int vocab, long seed, int ragged) {
        Random r = new Random(seed);
        List<int[]> c = new ArrayList<>();
        List<int[]> x = new ArrayList<>();
        int[] ca = new int[rows];
        int[] xa = new int[rows];
        for (int b = 0; b < rows; b++) {
            int len = t - (ragged > 0 ? r.nextInt(ragged + 1) : 0);
            int[] a = new int[len];
            for (int i = 0; i < len; i++) {
                a[i] = 3 + r.nextInt(vocab - 3);
            }
            int[] y = a.clone();
            int at = r.nextInt(Math.max(1, len - 1));
            y[at] = 3 + (y[at] - 3 + 1 + r.nextInt(vocab - 4)) % (vocab - 3);
            c.add(a);
            x.add(y);
            ca[b] = 1;
            xa[b] = 2;
        }
        return PatchBatch.padded(c, x, ca, xa, t, 0);
    }

    /**
     * A hand-set one-layer GPT-2 model (V=8, C=32, 2 heads of D=16) in which head 0 attends from every position to
     * position 0 and copies that token into dims 16..23, which the unembedding reads: the next token is always the
     * first token. Head 1 and the MLP write nothing.
     */
    public static Transformer plantedCopyHead() {
        int v = 8, c = 32, d = 16;
        ModelConfig cfg = new ModelConfig("gpt2", v, c, 1, 2, 2, 4 * c, 16, 1e-5, true, new int[1], 0, true, true, false, -1, -1);
        org.tinysql.model.Parameters p = org.tinysql.model.Parameters.zeros(cfg);
        for (int t = 0; t < v; t++) {
            p.get("embed.W_E").putScalar(t, t, 1f);
            p.get("embed.W_E").putScalar(t, 31, 1f);
            p.get("unembed.W_U").putScalar(t, 16 + t, 1f);
        }
        for (int i = 0; i < 16; i++) {
            p.get("pos_embed.W_pos").putScalar(i, 8 + (i % 8), 1f);
        }
        for (String ln : new String[] {"blocks.0.ln1.w", "blocks.0.ln2.w", "ln_final.w"}) {
            p.get(ln).assign(1f);
        }
        p.get("blocks.0.attn.b_Q").putScalar(0, 1f);
        p.get("blocks.0.attn.W_K").putScalar(0, 8, 20f);
        for (int t = 0; t < v; t++) {
            p.get("blocks.0.attn.W_V").putScalar(t, t, 1f);
            p.get("blocks.0.attn.W_O").putScalar(16 + t, t, 5f);
        }
        return new Transformer(p);
    }

    public static PatchBatch firstTokenPairs(int rows, long seed) {
        Random r = new Random(seed);
        List<int[]> c = new ArrayList<>();
        List<int[]> x = new ArrayList<>();
        int[] ca = new int[rows];
        int[] xa = new int[rows];
        for (int b = 0; b < rows; b++) {
            int[] a = new int[6 + r.nextInt(4)];
            for (int i = 0; i < a.length; i++) {
                a[i] = r.nextInt(8);
            }
            int[] y = a.clone();
            y[0] = (a[0] + 1 + r.nextInt(7)) % 8;
            c.add(a);
            x.add(y);
            ca[b] = a[0];
            xa[b] = y[0];
        }
        return PatchBatch.padded(c, x, ca, xa, 9, 0);
    }

    /** Gives every bias (names with ".b_" and the norms' ".b") Gaussian values of standard deviation {@code std}. */
    public static Transformer withRandomBiases(Transformer m, long seed, double std) {
        Random r = new Random(seed);
        for (var e : m.parameters().asMap().entrySet()) {
            String n = e.getKey();
            if (e.getValue().rank() == 1 && (n.contains(".b_") || n.endsWith(".b"))) {
                for (long i = 0; i < e.getValue().length(); i++) {
                    e.getValue().putScalar(i, (float) (std * r.nextGaussian()));
                }
            }
        }
        return m;
    }

    /**
     * Mean over the batch of logit[clean answer] - logit[corrupt answer] at each row's answer position, computed here
     * from logits [B,T,V] (independently of {@link Metric}).
     */
    public static double logitDiff(INDArray logits, PatchBatch b) {
        double sum = 0;
        for (int i = 0; i < b.size(); i++) {
            sum += logits.getDouble(i, b.pos()[i], b.cleanAnswer()[i]) - logits.getDouble(i, b.pos()[i], b.corruptAnswer()[i]);
        }
        return sum / b.size();
    }

    public static double correlation(double[] a, double[] b) {
        double ma = 0, mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i] / a.length;
            mb += b[i] / b.length;
        }
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

}
