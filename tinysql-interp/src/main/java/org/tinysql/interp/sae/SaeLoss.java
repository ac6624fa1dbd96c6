package org.tinysql.interp.sae;

import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.Arena;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.Kernels;

/**
 * One SAE training batch's loss and gradients, all on the SAE's backend: the forward (center, encoder GEMM, selection,
 * sparse decoder), the MSE and the architecture's sparsity term, AuxK on dead latents, and the backward through the
 * sparse codes (dot products per active entry, outer products grouped by latent). Reads back only the loss terms.
 */
final class SaeLoss {
    private final Sae sae;
    private final SaeTrainerConfig cfg;
    private final Kernels k;
    private final Batch b;
    private final INDArray gWEnc;
    private final INDArray gBEnc;
    private final INDArray gWDec;
    private final INDArray gBDec;
    private final INDArray gLogTh;
    private final boolean[] dead;

    /** grads: W_enc, b_enc, W_dec, b_dec (, log threshold), zeroed by the caller; dead: the latents AuxK may use. */
    SaeLoss(Sae sae, SaeTrainerConfig cfg, Batch b, INDArray[] grads, boolean[] dead) {
        this.sae = sae;
        this.cfg = cfg;
        this.k = sae.kernels;
        this.b = b;
        gWEnc = grads[0];
        gBEnc = grads[1];
        gWDec = grads[2];
        gBDec = grads[3];
        gLogTh = grads.length > 4 ? grads[4] : null;
        this.dead = dead;
    }

    SaeTrainer.StepStats compute(INDArray x) {
        SaeConfig.Architecture arch = sae.cfg.architecture();
        int n = b.n;
        sae.center(x, true, b.xc);
        sae.preActivations(b.xc, b.pre);
        sae.activate(b.pre, true, b.z);
        sae.decodeNormalized(b.z, true, b.xhat);
        k.sub(b.xhat, x, b.dxhat);
        double mse = dot(b.dxhat, b.dxhat) / n;
        k.meanRows(x, b.allRows, b.mean);
        k.scaleAddRow(x, 1f, b.mean, -1f, b.tmp);
        double var = dot(b.tmp, b.tmp);
        k.scaleAddRow(b.dxhat, 2f / n, null, 0f, b.dxhat);
        boolean relu = arch == SaeConfig.Architecture.RELU;
        float l1 = relu ? (float) sae.cfg.l1Coefficient() / n : 0f;
        if (relu) {
            k.rowNorms(sae.wDec, b.decNorm);
        }
        k.zero(b.firedMass);
        backward(b.z, b.dxhat, relu ? b.decNorm : null, l1, b.firedMass);
        // The decoder bias also receives the reconstruction gradient directly.
        k.linearBackward(b.dxhat, null, null, null, null, gBDec);
        double sparsity = 0;
        if (relu) {
            // L1 of the latents weighted by decoder norms: sum_j (column sum of latent j) |W_dec[j]|.
            sparsity = sae.cfg.l1Coefficient() * dot(b.firedMass, b.decNorm) / n;
            k.rowNormsBackward(sae.wDec, b.decNorm, b.firedMass, l1, gWDec);
        } else if (arch == SaeConfig.Architecture.JUMPRELU) {
            double lambda = sae.cfg.l1Coefficient();
            float eps = (float) sae.cfg.bandwidth();
            sparsity = lambda * b.z.nnz() / n;
            k.jumpReluThresholdBackward(b.pre, sae.threshold, eps, b.dxhat, sae.wDec, lambda / (n * eps), gLogTh);
        }
        int deadCount = 0;
        for (boolean d : dead) {
            deadCount += d ? 1 : 0;
        }
        double aux = 0;
        if (arch.unitNormDecoder() && deadCount > 0 && cfg.auxAlpha() > 0) {
            aux = auxK(x, Math.min(cfg.auxK(), deadCount));
        }
        // b_dec through the encoder input: d b_dec -= (column sums of d pre) W_enc = grad(b_enc) W_enc.
        k.gemm(gBEnc.reshape(1, sae.S), sae.wEnc, gBDec.reshape(1, sae.C), false, false, -1f, 1f);
        double loss = mse + sparsity + aux;
        return new SaeTrainer.StepStats(loss, mse, sparsity, aux, b.z.l0(), var > 0 ? mse * n / var : 0, deadCount / (double) sae.S);
    }

    /** AuxK: the top {@code kAux} dead latents reconstruct the residual x - x_hat; returns the loss. */
    private double auxK(INDArray x, int kAux) {
        float[] mask = new float[sae.S];
        for (int j = 0; j < mask.length; j++) {
            mask[j] = dead[j] ? 1f : 0f;
        }
        Buffers.fb(b.deadMask).put(0, mask);
        b.za.ensure(b.n, (long) b.n * kAux);
        b.za.setNnz(k.topK(b.pre, kAux, b.deadMask, b.za.start(), b.za.idx(), b.za.val()));
        if (b.za.nnz() == 0) {
            return 0;
        }
        float a = (float) cfg.auxAlpha();
        sae.decodeNormalized(b.za, false, b.ehat);
        k.sub(x, b.xhat, b.tmp);
        k.sub(b.ehat, b.tmp, b.ehat);
        double aux = a * dot(b.ehat, b.ehat) / b.n;
        k.scaleAddRow(b.ehat, 2f * a / b.n, null, 0f, b.ehat);
        backward(b.za, b.ehat, null, 0f, null);
        return aux;
    }

    /**
     * Gradients through the active entries: dlatent = dout . W_dec[j] (+ l1 |W_dec[j]|), then W_dec += latent dout,
     * W_enc += dlatent xc, b_enc += dlatent; {@code mass} (when given) receives each latent's column sum.
     */
    private void backward(SparseCodes z, INDArray dout, INDArray decNorm, float l1, INDArray mass) {
        INDArray dlat = b.dlat(z.nnz());
        k.sparseDots(z.start(), z.idx(), dout, sae.wDec, decNorm, l1, dlat);
        k.sparseOuter(z.start(), z.idx(), z.val(), dout, gWDec, mass);
        k.sparseOuter(z.start(), z.idx(), dlat, b.xc, gWEnc, gBEnc);
    }

    /** The sum of a b over all elements (accumulated in double by the backend, read back). */
    private double dot(INDArray x, INDArray y) {
        k.blockDots(x, y, (int) (x.length() / x.size(0)), b.scalar);
        return b.scalar.getFloat(0);
    }

    /** The arrays of one training batch size, reused between steps. */
    static final class Batch implements AutoCloseable {
        final int n;
        final int[] allRows;
        private final Kernels k;
        /** Centered rows, pre-activations and codes, as the SAE's own encoding keeps them; the rest lives in its arena. */
        private final Sae.Workspace enc;
        final INDArray xc;
        final INDArray pre;
        final SparseCodes z;
        final INDArray xhat;
        final INDArray dxhat;
        final INDArray tmp;
        final INDArray ehat;
        final INDArray mean;
        final INDArray decNorm;
        /** Column sums of the latents ([S]): which latents fired, and the ReLU L1 term. */
        final INDArray firedMass;
        final INDArray deadMask;
        final INDArray scalar;
        final SparseCodes za;
        private INDArray dlat;

        Batch(Kernels k, int n, int c, int s) {
            this.n = n;
            this.k = k;
            allRows = IntStream.range(0, n).toArray();
            enc = new Sae.Workspace(k, n, c, s);
            xc = enc.xc;
            pre = enc.pre;
            z = enc.codes;
            Arena arena = enc.arena;
            xhat = arena.zeros(n, c);
            dxhat = arena.zeros(n, c);
            tmp = arena.zeros(n, c);
            ehat = arena.zeros(n, c);
            mean = arena.zeros(c);
            decNorm = arena.zeros(s);
            firedMass = arena.zeros(s);
            deadMask = arena.zeros(s);
            scalar = arena.zeros(1);
            za = new SparseCodes(k);
        }

        /** Per-entry latent gradients with room for {@code nnz} entries. */
        INDArray dlat(int nnz) {
            if (dlat == null || dlat.length() < nnz) {
                dlat = enc.arena.own(k.zeros(Math.max(1, nnz + nnz / 4)));
            }
            return dlat;
        }

        @Override
        public void close() {
            enc.close();
            za.close();
        }
    }
}
