package org.tinysql.interp.sae;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.TokenTagger;
import org.tinysql.model.Hooks;
import org.tinysql.model.Transformer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.CpuKernels;
import org.tinysql.tensor.Kernels;
import org.tinysql.tokenizer.Tokenizer;

/**
 * Standard SAE metrics. Reconstruction metrics on rows x [n, C] (raw space): L0, MSE (mean over elements), FVU =
 * sum |x - x_hat|^2 / sum |x - mean(x)|^2 (variance about the mean, not about zero), explained variance = 1 - FVU,
 * mean cosine similarity, dead fraction (latents that never fire on these rows) and dense fraction (latents firing
 * on more than 10% of rows). Model metrics: cross-entropy of the response tokens with the SAE spliced into the hook
 * (CE_sae), with the hook zero-ablated (CE_zero) and unchanged (CE_orig); CE-loss recovered =
 * (CE_zero - CE_sae) / (CE_zero - CE_orig) and delta loss = CE_sae - CE_orig.
 */
public final class SaeMetrics {
    /** Latents firing on more than this fraction of rows are dense. */
    public static final double DENSE_FREQUENCY = 0.1;

    private SaeMetrics() {
    }

    /**
     * Reconstruction metrics.
     *
     * @param l0                mean active latents per row
     * @param mse               mean squared error over all elements
     * @param fvu               fraction of variance unexplained (NaN when the rows have no variance)
     * @param explainedVariance 1 - fvu
     * @param cosine            mean cosine similarity of x and x_hat over rows (0 for a zero row)
     * @param deadFraction      share of latents that never fire on these rows
     * @param denseFraction     share of latents firing on more than {@value #DENSE_FREQUENCY} of rows
     * @param rows              the number of rows N
     */
    public record Reconstruction(double l0, double mse, double fvu, double explainedVariance, double cosine, double deadFraction,
                                 double denseFraction, int rows) {
    }

    /**
     * Splicing metrics.
     *
     * @param ceOrig      mean response cross-entropy of the unchanged model (nats)
     * @param ceSae       the same with the SAE spliced into the hook
     * @param ceZero      the same with the hook zero-ablated
     * @param ceRecovered (ceZero - ceSae) / (ceZero - ceOrig); NaN when zero-ablation costs less than {@link #MIN_ABLATION_LOSS}
     * @param deltaLoss   ceSae - ceOrig
     */
    public record Splice(double ceOrig, double ceSae, double ceZero, double ceRecovered, double deltaLoss) {
    }

    /**
     * Metrics of host rows x [n, C] (raw space).
     *
     * @param sae the SAE
     * @param x   [n, C] row-major raw activations
     * @param n   the number of rows
     * @return the metrics
     */
    public static Reconstruction reconstruction(Sae sae, float[] x, int n) {
        try (Arena a = new Arena(sae.kernels)) {
            return reconstruction(sae, sae.upload(a, x, n));
        }
    }

    /** Activation rows the reconstruction metrics of {@link #reconstruction(Transformer, Tokenizer, Sae, List)} read. */
    public static final int EVAL_ROWS = 4096;

    /**
     * Metrics on the activations of the SAE's hook over {@code examples} (shuffled; the first {@value #EVAL_ROWS} rows).
     *
     * @param model    the model
     * @param tok      its tokenizer
     * @param sae      the SAE; its config must name its hook
     * @param examples the prompts with their SQL
     * @return the metrics
     * @throws IOException when activations cannot be buffered
     * @throws IllegalArgumentException when the SAE names no hook
     */
    public static Reconstruction reconstruction(Transformer model, Tokenizer tok, Sae sae, List<TinySqlExample> examples) throws IOException {
        if (sae.config().hookName() == null) {
            throw new IllegalArgumentException("the SAE's cfg.json names no hook_name");
        }
        ActivationStore store = ActivationStore.fromModel(model, tok, examples, sae.config().hookName(), 16, 8192, 2);
        return reconstruction(sae, store.nextArray(EVAL_ROWS));
    }

    /**
     * Metrics of rows x [N, C] (raw space), an array of the SAE's backend.
     *
     * @param sae the SAE
     * @param x   raw activations, last dimension C
     * @return the metrics
     */
    public static Reconstruction reconstruction(Sae sae, INDArray x) {
        try (Arena a = new Arena(sae.kernels)) {
            INDArray xhat = a.zeros(sae.rowsOf(x), sae.C);
            SparseCodes z = sae.encodeShared(x);
            sae.decode(z, xhat);
            return reconstruction(sae.kernels, x, xhat, z.toCodes(), sae.S);
        }
    }

    /**
     * Metrics from given reconstructions and codes (also used by tests with hand-made arrays).
     *
     * @param x    [n, c] row-major inputs
     * @param xhat [n, c] row-major reconstructions
     * @param n    the number of rows
     * @param c    the row width
     * @param z    the latents of the n rows
     * @param dSae the number of latents, above every index in {@code z}
     * @return the metrics, computed on the CPU backend
     */
    public static Reconstruction reconstruction(float[] x, float[] xhat, int n, int c, Codes z, int dSae) {
        Kernels k = new CpuKernels();
        return reconstruction(k, Buffers.of(x, n, c), Buffers.of(xhat, n, c), z, dSae);
    }

    /**
     * The metrics on the backend of {@code k}: x and x_hat [N, C]; reads back the sums, N per-row dot products (for
     * the cosines) and uses the codes' latent indices for the firing counts.
     */
    static Reconstruction reconstruction(Kernels k, INDArray x, INDArray xhat, Codes z, int dSae) {
        int n = (int) (x.length() / x.size(x.rank() - 1));
        int c = (int) (x.length() / n);
        try (Arena a = new Arena(k)) {
            INDArray diff = a.zeros(n, c);
            INDArray mean = a.zeros(c);
            INDArray sum = a.zeros(1);
            INDArray[] dots = {a.zeros(n), a.zeros(n), a.zeros(n)};
            INDArray xr = x.reshape('c', 1, (long) n * c);
            INDArray hr = xhat.reshape('c', 1, (long) n * c);
            k.sub(x, xhat, diff);
            k.blockDots(diff, diff, c, sum);
            double se = sum.getFloat(0);
            k.meanRows(x.reshape('c', n, c), java.util.stream.IntStream.range(0, n).toArray(), mean);
            k.scaleAddRow(x, 1f, mean, -1f, diff);
            k.blockDots(diff, diff, c, sum);
            double var = sum.getFloat(0);
            k.blockDots(xr, hr, c, dots[0]);
            k.blockDots(xr, xr, c, dots[1]);
            k.blockDots(hr, hr, c, dots[2]);
            float[] dot = Buffers.toFloats(dots[0]);
            float[] nx = Buffers.toFloats(dots[1]);
            float[] nh = Buffers.toFloats(dots[2]);
            double cos = 0;
            for (int r = 0; r < n; r++) {
                cos += nx[r] > 0 && nh[r] > 0 ? dot[r] / Math.sqrt((double) nx[r] * nh[r]) : 0;
            }
            int[] fires = new int[dSae];
            for (int e = 0; e < z.nnz(); e++) {
                fires[z.idx[e]]++;
            }
            int dead = 0;
            int dense = 0;
            for (int f : fires) {
                dead += f == 0 ? 1 : 0;
                dense += f > DENSE_FREQUENCY * n ? 1 : 0;
            }
            double fvu = var > 0 ? se / var : Double.NaN;
            return new Reconstruction(z.l0(), se / ((double) n * c), fvu, 1 - fvu, cos / n, dead / (double) dSae, dense / (double) dSae, n);
        }
    }

    /**
     * CE-loss recovered and delta loss over the training texts of {@code examples}: mean cross-entropy of the response
     * tokens (the tokens the model is trained to predict), averaged over examples.
     *
     * @param model    the model; three forward passes per example
     * @param tok      the model's tokenizer
     * @param sae      the SAE trained on {@code hook}
     * @param hook     the hook name the SAE is spliced into
     * @param examples the examples; not empty
     * @return the splice metrics
     */
    public static Splice splice(Transformer model, Tokenizer tok, Sae sae, String hook, List<TinySqlExample> examples) {
        TokenTagger tagger = new TokenTagger(tok);
        double orig = 0;
        double withSae = 0;
        double zero = 0;
        for (TinySqlExample ex : examples) {
            TokenTagger.Tagged t = tagger.tag(ex);
            int[] ids = t.tokens();
            int[][] in = {ids};
            int[] lab = ids.clone();
            for (int i = 0; i < t.responseStart(); i++) {
                lab[i] = -100;
            }
            int[][] labels = {lab};
            model.forward(in, null);
            orig += model.loss(labels, false);
            try (Hooks.Handle h = model.hooks().addForward(hook, SaeHooks.splice(sae))) {
                model.forward(in, null);
                withSae += model.loss(labels, false);
            }
            try (Hooks.Handle h = model.hooks().addForward(hook, (a, nm) -> {
                a.assign(0);
                return null;
            })) {
                model.forward(in, null);
                zero += model.loss(labels, false);
            }
        }
        int n = examples.size();
        orig /= n;
        withSae /= n;
        zero /= n;
        return new Splice(orig, withSae, zero, ceRecovered(orig, withSae, zero), withSae - orig);
    }

    /**
     * Zero-ablating a hook must raise the cross-entropy by at least this much (nats) for the CE loss recovered to mean
     * something: below it the ratio divides the SAE's error by almost nothing (a study's MLP output whose ablation
     * cost 0.00003 nats showed 509%).
     */
    public static final double MIN_ABLATION_LOSS = 1e-3;

    /**
     * The CE loss recovered, {@code (ceZero - ceSae) / (ceZero - ceOrig)}: 1 when splicing the SAE in costs nothing, 0
     * when it is as bad as zero-ablating the hook.
     *
     * @return the ratio, or NaN when zero-ablation raises the loss by less than {@link #MIN_ABLATION_LOSS} (or lowers it)
     */
    public static double ceRecovered(double ceOrig, double ceSae, double ceZero) {
        return ceZero - ceOrig >= MIN_ABLATION_LOSS ? (ceZero - ceSae) / (ceZero - ceOrig) : Double.NaN;
    }

    /**
     * The metrics for JSON export under snake_case keys ({@code l0}, {@code fvu}, {@code ce_loss_recovered}, ...).
     *
     * @param r the reconstruction metrics
     * @param s the splice metrics, or {@code null} to leave them out
     * @return a new ordered map
     */
    public static Map<String, Object> toMap(Reconstruction r, Splice s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("l0", r.l0());
        m.put("mse", r.mse());
        m.put("fvu", r.fvu());
        m.put("explained_variance", r.explainedVariance());
        m.put("cosine", r.cosine());
        m.put("dead_fraction", r.deadFraction());
        m.put("dense_fraction", r.denseFraction());
        m.put("rows", r.rows());
        if (s != null) {
            m.put("ce_orig", s.ceOrig());
            m.put("ce_sae", s.ceSae());
            m.put("ce_zero_ablation", s.ceZero());
            m.put("ce_loss_recovered", s.ceRecovered());
            m.put("delta_loss", s.deltaLoss());
        }
        return m;
    }

    /**
     * The metrics as one line of text.
     *
     * @param r the reconstruction metrics
     * @param s the splice metrics, or {@code null} to leave them out
     * @return the summary
     */
    public static String describe(Reconstruction r, Splice s) {
        String a = String.format(Locale.ROOT, "L0 %.2f, MSE %.5f, FVU %.4f (explained variance %.4f), cosine %.4f, dead %.1f%%, dense %.1f%% over %d rows",
                r.l0(), r.mse(), r.fvu(), r.explainedVariance(), r.cosine(), 100 * r.deadFraction(), 100 * r.denseFraction(), r.rows());
        if (s == null) {
            return a;
        }
        return a + String.format(Locale.ROOT, "; CE orig %.4f, with SAE %.4f, zero-ablated %.4f: CE-loss recovered %.4f, delta loss %.4f",
                s.ceOrig(), s.ceSae(), s.ceZero(), s.ceRecovered(), s.deltaLoss());
    }
}
