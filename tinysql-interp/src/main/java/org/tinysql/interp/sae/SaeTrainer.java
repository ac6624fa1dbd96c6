package org.tinysql.interp.sae;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.tinysql.util.Progress;

/**
 * Trains an {@link Sae} with Adam on batches of normalized activations: MSE reconstruction loss (sum over C, mean over
 * rows) plus the architecture's sparsity term (ReLU: L1 of latents weighted by decoder row norms; JumpReLU: L0 with
 * straight-through threshold gradients) and, for TopK/BatchTopK, the AuxK loss on dead latents. Learning rate: linear
 * warmup, constant, linear decay to 0 over the last {@code decayFraction} of the steps. Latents that have not fired
 * for {@code deadWindow} tokens are dead.
 */
public final class SaeTrainer {

    /** Training hyper-parameters. */
    public record Config(double lr, int warmupSteps, double decayFraction, long deadWindow, int auxK, double auxAlpha,
                         double beta1, double beta2, double eps) {
        public static Config defaults() {
            return new Config(4e-4, 50, 0.2, 100_000, 64, 1.0 / 32, 0.9, 0.999, 1e-8);
        }

        public Config withLr(double v) {
            return new Config(v, warmupSteps, decayFraction, deadWindow, auxK, auxAlpha, beta1, beta2, eps);
        }

        public Config withDeadWindow(long tokens) {
            return new Config(lr, warmupSteps, decayFraction, tokens, auxK, auxAlpha, beta1, beta2, eps);
        }

        public Config withWarmup(int steps) {
            return new Config(lr, steps, decayFraction, deadWindow, auxK, auxAlpha, beta1, beta2, eps);
        }
    }

    /** What one step measured (normalized space). */
    public record StepStats(double loss, double mse, double sparsity, double aux, double l0, double fvu, double deadFraction) {
        public String describe() {
            return String.format(Locale.ROOT, "loss %.4f mse %.4f L0 %.1f fvu %.3f dead %.1f%%", loss, mse, l0, fvu, 100 * deadFraction);
        }
    }

    private final Sae sae;
    private final Config cfg;
    private final int C;
    private final int S;
    private final float[] gWEnc;
    private final float[] gBEnc;
    private final float[] gWDec;
    private final float[] gBDec;
    private final float[] gLogTh;
    private final Adam adam;
    private final long[] sinceFired;
    private long step;

    public SaeTrainer(Sae sae, Config cfg) {
        this.sae = sae;
        this.cfg = cfg;
        this.C = sae.C;
        this.S = sae.S;
        gWEnc = new float[S * C];
        gBEnc = new float[S];
        gWDec = new float[S * C];
        gBDec = new float[C];
        gLogTh = sae.logThreshold != null ? new float[S] : null;
        adam = new Adam(cfg.beta1(), cfg.beta2(), cfg.eps(), sae.wEnc, sae.bEnc, sae.wDec, sae.bDec, sae.logThreshold);
        sinceFired = new long[S];
    }

    public Sae sae() {
        return sae;
    }

    public long steps() {
        return step;
    }

    /** Learning rate at step {@code s} of {@code total}. */
    public double lrAt(long s, long total) {
        double warm = cfg.warmupSteps() > 0 ? Math.min(1.0, (s + 1) / (double) cfg.warmupSteps()) : 1.0;
        long decayStart = (long) (total * (1 - cfg.decayFraction()));
        double decay = s < decayStart ? 1.0 : Math.max(0.0, (total - s) / (double) Math.max(1, total - decayStart));
        return cfg.lr() * warm * decay;
    }

    /** Latents that have not fired within the dead window. */
    public boolean[] deadLatents() {
        boolean[] d = new boolean[S];
        for (int j = 0; j < S; j++) {
            d[j] = sinceFired[j] >= cfg.deadWindow();
        }
        return d;
    }

    /** {@code steps} steps on batches from {@code batches} (normalized rows [n, C]; the function gets the step index). */
    public StepStats train(IntFunction<float[]> batches, int steps, Progress progress) {
        StepStats last = null;
        for (int s = 0; s < steps; s++) {
            float[] x = batches.apply(s);
            last = step(x, x.length / C, lrAt(s, steps));
            if (!Double.isFinite(last.loss())) {
                throw new IllegalStateException("SAE loss became " + last.loss() + " at step " + s + "; lower the learning rate");
            }
            progress.advance(1);
            if (s % 10 == 0 || s == steps - 1) {
                progress.status(last.describe());
            }
        }
        return last;
    }

    /** One Adam step on normalized rows x [n, C]. */
    public StepStats step(float[] x, int n, double lr) {
        Codes[] z = new Codes[1];
        StepStats st = gradients(x, n, z);
        // Dead-latent bookkeeping.
        boolean[] fired = new boolean[S];
        for (int e = 0; e < z[0].nnz(); e++) {
            fired[z[0].idx[e]] = true;
        }
        for (int j = 0; j < S; j++) {
            sinceFired[j] = fired[j] ? 0 : sinceFired[j] + n;
        }
        adam.step(lr, new float[][] {gWEnc, gBEnc, gWDec, gBDec, gLogTh});
        if (sae.cfg.architecture().unitNormDecoder()) {
            sae.normalizeDecoder();
        }
        sae.encoderChanged();
        step++;
        return st;
    }

    /** Gradient arrays of the last {@link #gradients} call: W_enc, b_enc, W_dec, b_dec, log threshold (or null). */
    float[][] gradientArrays() {
        return new float[][] {gWEnc, gBEnc, gWDec, gBDec, gLogTh};
    }

    /** Loss and gradients (into the gradient arrays) of normalized rows x [n, C]; no parameter changes. */
    StepStats gradients(float[] x, int n, Codes[] codesOut) {
        SaeConfig.Architecture arch = sae.cfg.architecture();
        float[] xc = sae.centered(x, n, true);
        float[] pre = sae.preActivations(xc, n);
        Codes z = sae.activate(pre, n, true);
        float[] xhat = sae.decodeNormalized(z, true);
        double mse = 0;
        double var = 0;
        float[] mean = new float[C];
        float[] dxhat = new float[n * C];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < C; c++) {
                float e = xhat[r * C + c] - x[r * C + c];
                mse += e * e;
                dxhat[r * C + c] = 2f * e / n;
                mean[c] += x[r * C + c] / n;
            }
        }
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < C; c++) {
                double d = x[r * C + c] - mean[c];
                var += d * d;
            }
        }
        mse /= n;
        Arrays.fill(gWEnc, 0f);
        Arrays.fill(gBEnc, 0f);
        Arrays.fill(gWDec, 0f);
        Arrays.fill(gBDec, 0f);
        if (gLogTh != null) {
            Arrays.fill(gLogTh, 0f);
        }
        float[] decNorm = null;
        double sparsity = 0;
        if (arch == SaeConfig.Architecture.RELU) {
            decNorm = new float[S];
            for (int j = 0; j < S; j++) {
                double q = 0;
                for (int c = 0; c < C; c++) {
                    q += sae.wDec[j * C + c] * sae.wDec[j * C + c];
                }
                decNorm[j] = (float) Math.sqrt(q);
            }
            for (int r = 0; r < n; r++) {
                for (int e = z.start[r]; e < z.start[r + 1]; e++) {
                    sparsity += sae.cfg.l1Coefficient() * z.val[e] * decNorm[z.idx[e]] / n;
                }
            }
        }
        // Main entries; the decoder bias also receives the reconstruction gradient directly.
        backward(z, dxhat, xc, n, decNorm);
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < C; c++) {
                gBDec[c] += dxhat[r * C + c];
            }
        }
        if (arch == SaeConfig.Architecture.JUMPRELU) {
            sparsity = jumpReluThreshold(pre, z, dxhat, n);
        }
        // AuxK on dead latents.
        double aux = 0;
        boolean[] dead = deadLatents();
        int deadCount = 0;
        for (boolean d : dead) {
            deadCount += d ? 1 : 0;
        }
        if ((arch == SaeConfig.Architecture.TOPK || arch == SaeConfig.Architecture.BATCH_TOPK) && deadCount > 0 && cfg.auxAlpha() > 0) {
            Codes za = LatentSelection.topK(pre, n, Math.min(cfg.auxK(), deadCount), dead);
            if (za.nnz() > 0) {
                float[] ehat = sae.decodeNormalized(za, false);
                float[] de = new float[n * C];
                float a = (float) cfg.auxAlpha();
                for (int i = 0; i < de.length; i++) {
                    float target = x[i] - xhat[i];
                    float d = ehat[i] - target;
                    aux += a * d * d / n;
                    de[i] = 2f * a * d / n;
                }
                backward(za, de, xc, n, null);
            }
        }
        codesOut[0] = z;
        double loss = mse + sparsity + aux;
        return new StepStats(loss, mse, sparsity, aux, z.l0(), var > 0 ? mse * n / var : 0, deadCount / (double) S);
    }

    /**
     * Gradients of active entries: dlatent = dout . W_dec[j] (+ L1 term), then W_dec, W_enc, b_enc, b_dec. Entries are
     * grouped by latent so threads own disjoint rows of the weight gradients.
     */
    private void backward(Codes z, float[] dout, float[] xc, int n, float[] decNorm) {
        int nnz = z.nnz();
        int[] row = new int[nnz];
        for (int r = 0; r < n; r++) {
            for (int e = z.start[r]; e < z.start[r + 1]; e++) {
                row[e] = r;
            }
        }
        float l1 = decNorm != null ? (float) sae.cfg.l1Coefficient() / n : 0f;
        float[] dlat = new float[nnz];
        IntStream.range(0, nnz).parallel().forEach(e -> {
            int j = z.idx[e];
            int o = row[e] * C;
            float s = 0;
            for (int c = 0; c < C; c++) {
                s += dout[o + c] * sae.wDec[j * C + c];
            }
            if (decNorm != null) {
                s += l1 * decNorm[j];
            }
            dlat[e] = s;
        });
        // Group entries by latent (counting sort).
        int[] count = new int[S + 1];
        for (int e = 0; e < nnz; e++) {
            count[z.idx[e] + 1]++;
        }
        for (int j = 0; j < S; j++) {
            count[j + 1] += count[j];
        }
        int[] order = new int[nnz];
        int[] fill = Arrays.copyOf(count, S);
        for (int e = 0; e < nnz; e++) {
            order[fill[z.idx[e]]++] = e;
        }
        int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 16));
        float[][] bDecParts = new float[threads][C];
        IntStream.range(0, threads).parallel().forEach(t -> {
            float[] bd = bDecParts[t];
            for (int j = t; j < S; j += threads) {
                int w = j * C;
                float normInv = decNorm != null && decNorm[j] > 0 ? 1f / decNorm[j] : 0f;
                for (int q = count[j]; q < count[j + 1]; q++) {
                    int e = order[q];
                    int o = row[e] * C;
                    float v = z.val[e];
                    float d = dlat[e];
                    for (int c = 0; c < C; c++) {
                        gWDec[w + c] += v * dout[o + c];
                        gWEnc[w + c] += d * xc[o + c];
                        bd[c] -= d * sae.wEnc[w + c];
                    }
                    if (decNorm != null) {
                        float g = l1 * v * normInv;
                        for (int c = 0; c < C; c++) {
                            gWDec[w + c] += g * sae.wDec[w + c];
                        }
                    }
                    gBEnc[j] += d;
                }
            }
        });
        for (float[] part : bDecParts) {
            for (int c = 0; c < C; c++) {
                gBDec[c] += part[c];
            }
        }
    }

    /** JumpReLU: straight-through gradients of the thresholds (reconstruction and L0); returns the L0 penalty. */
    private double jumpReluThreshold(float[] pre, Codes z, float[] dxhat, int n) {
        double lambda = sae.cfg.l1Coefficient();
        float eps = (float) sae.cfg.bandwidth();
        double l0 = 0;
        for (int r = 0; r < n; r++) {
            l0 += (z.start[r + 1] - z.start[r]);
        }
        double penalty = lambda * l0 / n;
        float[] th = new float[S];
        for (int j = 0; j < S; j++) {
            th[j] = (float) Math.exp(sae.logThreshold[j]);
        }
        double[] gth = new double[S];
        for (int r = 0; r < n; r++) {
            int o = r * S;
            for (int j = 0; j < S; j++) {
                float u = (pre[o + j] - th[j]) / eps;
                if (u <= -0.5f || u >= 0.5f) {
                    continue;
                }
                // d jumprelu/d theta = -(theta/eps) K(u) (times dlatent); d L0/d theta = -(1/eps) K(u).
                float dl = 0;
                for (int c = 0; c < C; c++) {
                    dl += dxhat[r * C + c] * sae.wDec[j * C + c];
                }
                gth[j] += -(th[j] / eps) * dl - lambda / (n * eps);
            }
        }
        for (int j = 0; j < S; j++) {
            gLogTh[j] += (float) (gth[j] * th[j]);
        }
        return penalty;
    }

    /** Adam over a fixed list of parameter arrays (null entries skipped). */
    static final class Adam {
        private final double b1;
        private final double b2;
        private final double eps;
        private final float[][] params;
        private final float[][] m;
        private final float[][] v;
        private long t;

        Adam(double b1, double b2, double eps, float[]... params) {
            this.b1 = b1;
            this.b2 = b2;
            this.eps = eps;
            this.params = params;
            m = new float[params.length][];
            v = new float[params.length][];
            for (int i = 0; i < params.length; i++) {
                if (params[i] != null) {
                    m[i] = new float[params[i].length];
                    v[i] = new float[params[i].length];
                }
            }
        }

        void step(double lr, float[][] grads) {
            t++;
            double c1 = 1 - Math.pow(b1, t);
            double c2 = 1 - Math.pow(b2, t);
            float a = (float) (lr / c1);
            float fb1 = (float) b1;
            float fb2 = (float) b2;
            float ic2 = (float) (1 / Math.sqrt(c2));
            float feps = (float) eps;
            for (int i = 0; i < params.length; i++) {
                float[] p = params[i];
                if (p == null) {
                    continue;
                }
                float[] g = grads[i];
                float[] mi = m[i];
                float[] vi = v[i];
                int chunk = 1 << 16;
                IntStream.range(0, (p.length + chunk - 1) / chunk).parallel().forEach(ch -> {
                    int end = Math.min(p.length, (ch + 1) * chunk);
                    for (int k = ch * chunk; k < end; k++) {
                        float gk = g[k];
                        mi[k] = fb1 * mi[k] + (1 - fb1) * gk;
                        vi[k] = fb2 * vi[k] + (1 - fb2) * gk * gk;
                        p[k] -= a * mi[k] / ((float) Math.sqrt(vi[k]) * ic2 + feps);
                    }
                });
            }
        }
    }
}
