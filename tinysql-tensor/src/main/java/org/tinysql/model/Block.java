package org.tinysql.model;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.tensor.AttentionSpans;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.Kernels;

/**
 * The forward of one transformer block, the single code path that training, interpretability and KV-cache decoding
 * share (decoding = a pass with a cache, and positional hooks only). Which norm, positions and MLP it uses comes from the
 * config's components, never from a family name.
 *
 * <pre>
 *   h = norm1(x); q,k,v = h W^T (+b)            ln1.hook_normalized, attn.hook_q/k/v (rotary: -> hook_rot_q/k)
 *   scores = q k^T * scale, masked              attn.hook_attn_scores -> softmax -> attn.hook_pattern
 *   z = pattern v; a = z W_O^T (+b)             attn.hook_z (attn.hook_result per head), hook_attn_out
 *   x = x + a                                   hook_resid_mid
 *   m = mlp(norm2(x)); x = x + m                ln2.hook_normalized, mlp.hook_pre(/_linear), hook_post, hook_mlp_out
 *                                               hook_resid_post
 * </pre>
 * Shape legend: B batch, T queries, Tk keys, C d_model, H heads, KV key/value heads, D head dim, M MLP width.
 */
final class Block {
    private static final String[] QKV = {"q", "k", "v"};
    private final ModelConfig cfg;
    private final ModelOps ops;
    private final Kernels kernels;
    private final PerHeadHooks perHead;
    private final double[] invFreq;
    private final float scale;

    Block(ModelOps ops, PerHeadHooks perHead) {
        this.cfg = ops.config();
        this.ops = ops;
        this.kernels = ops.kernels();
        this.perHead = perHead;
        this.invFreq = cfg.positions() == ModelConfig.Positions.ROTARY ? cfg.ropeInverseFrequencies() : null;
        this.scale = cfg.scaleScores() ? (float) (1.0 / Math.sqrt(cfg.headDim())) : 1f;
    }

    double[] invFreq() {
        return invFreq;
    }

    float scale() {
        return scale;
    }

    /** Runs block {@code i} from {@code l.residPre} into {@code out} (the next block's residPre, or the final stream). */
    void forward(Pass p, int i, ActivationBuffers.Layer l, INDArray out) {
        int b = p.batch, t = p.time, c = cfg.dModel(), h = cfg.nHeads(), kv = cfg.nKvHeads(), d = cfg.headDim();
        String prefix = HookName.block(i);
        p.hook(HookName.residPre(i), l.residPre, b, t, c);
        norm(p, ModelOps.blockNorm(i, "ln1"), HookName.scale(i, "ln1"), HookName.normalized(i, "ln1"), l.residPre, l.ln1,
                l.ln1Mean, l.ln1Rstd);
        INDArray[] qkv = {l.q, l.k, l.v};
        for (int w = 0; w < 3; w++) {
            String up = QKV[w].toUpperCase();
            ops.linear(l.ln1, prefix + "attn.W_" + up, prefix + "attn.b_" + up, qkv[w]);
        }
        for (int w = 0; w < 3; w++) {
            String hn = HookName.qkvInput(i, QKV[w]);
            l.split[w] = p.hasForward(hn) || p.hasBackward(hn)
                    ? perHead.forward(p, hn, QKV[w], i, l.residPre, qkv[w], b, t, p.hookArena) : null;
        }
        p.hook(HookName.q(i), l.q, b, t, h, d);
        p.hook(HookName.k(i), l.k, b, t, kv, d);
        p.hook(HookName.v(i), l.v, b, t, kv, d);
        if (invFreq != null) {
            kernels.rope(l.q, h, p.positions, invFreq, l.qRot);
            kernels.rope(l.k, kv, p.positions, invFreq, l.kRot);
            p.hook(HookName.rotQ(i), l.qRot, b, t, h, d);
            p.hook(HookName.rotK(i), l.kRot, b, t, kv, d);
        }
        attention(p, i, l);
        ops.linear(l.z, prefix + "attn.W_O", prefix + "attn.b_O", l.attnOut);
        if (p.hasForward(HookName.result(i))) {
            INDArray res = perHead.results(i, l.z, b * t, p.hookArena);
            p.hooks.fireForward(HookName.result(i), res.reshape('c', b, t, h, c), p.start);
            perHead.sumResults(res, ops.parameters().opt(prefix + "attn.b_O"), l.attnOut, b * t);
        }
        p.hook(HookName.attnOut(i), l.attnOut, b, t, c);
        kernels.add(l.residPre, l.attnOut, l.residMid);
        p.hook(HookName.residMid(i), l.residMid, b, t, c);
        INDArray ln2In = l.residMid;
        l.mlpIn = null;
        if (p.hasForward(HookName.mlpIn(i)) || p.hasBackward(HookName.mlpIn(i))) {
            l.mlpIn = p.hookArena.zeros(l.residMid.shape());
            kernels.copy(l.residMid, l.mlpIn);
            p.hook(HookName.mlpIn(i), l.mlpIn, b, t, c);
            ln2In = l.mlpIn;
        }
        norm(p, ModelOps.blockNorm(i, "ln2"), HookName.scale(i, "ln2"), HookName.normalized(i, "ln2"), ln2In, l.ln2,
                l.ln2Mean, l.ln2Rstd);
        mlp(p, i, l);
        ops.linear(l.post, prefix + "mlp.W_out", prefix + "mlp.b_out", l.mlpOut);
        p.hook(HookName.mlpOut(i), l.mlpOut, b, t, c);
        kernels.add(l.residMid, l.mlpOut, out);
        p.hook(HookName.residPost(i), out, b, t, c);
    }

    /** Scores, pattern and z of block i: over this pass's own keys, or over the KV cache after appending them. */
    private void attention(Pass p, int i, ActivationBuffers.Layer l) {
        int b = p.batch, t = p.time, h = cfg.nHeads(), kv = cfg.nKvHeads(), d = cfg.headDim();
        INDArray keys = l.keys();
        INDArray values = l.v;
        int[][] keyMask = p.mask;
        int offset = 0;
        if (p.cache != null) {
            p.cache.append(kernels, i, keys, values);
            keys = p.cache.keys(i);
            values = p.cache.values(i);
            keyMask = p.cache.keyMask;
            offset = p.cache.offset();
        }
        int tk = p.acts.keys;
        AttentionSpans spans = p.spans(cfg.localWindows()[i]);
        if (spans != null) { // no hook reads the scores or pattern: no [B, H, T, T] arrays
            kernels.fusedAttention(l.queries(), keys, values, h, kv, spans, scale, l.z, p.acts.attentionTiles(l, spans));
        } else {
            INDArray scores = p.acts.scores(l), pattern = p.acts.pattern(l);
            kernels.attentionScores(l.queries(), keys, h, kv, keyMask, cfg.localWindows()[i], scale, offset, scores);
            p.hook(HookName.attnScores(i), scores, b, h, t, tk);
            kernels.softmax(scores, pattern);
            p.hook(HookName.pattern(i), pattern, b, h, t, tk);
            kernels.attentionApply(pattern, values, h, kv, l.z);
        }
        p.hook(HookName.z(i), l.z, b, t, h, d);
    }

    private void mlp(Pass p, int i, ActivationBuffers.Layer l) {
        int b = p.batch, t = p.time, m = cfg.dMlp();
        String prefix = HookName.block(i);
        if (cfg.mlp() == ModelConfig.Mlp.SWIGLU) {
            ops.linear(l.ln2, prefix + "mlp.W_gate", null, l.pre);
            p.hook(HookName.mlpPre(i), l.pre, b, t, m);
            ops.linear(l.ln2, prefix + "mlp.W_in", null, l.preLinear);
            p.hook(HookName.mlpPreLinear(i), l.preLinear, b, t, m);
            kernels.swiglu(l.pre, l.preLinear, l.post);
        } else {
            ops.linear(l.ln2, prefix + "mlp.W_in", prefix + "mlp.b_in", l.pre);
            p.hook(HookName.mlpPre(i), l.pre, b, t, m);
            kernels.gelu(l.pre, l.post);
        }
        p.hook(HookName.mlpPost(i), l.post, b, t, m);
    }

    /** A norm with its hook points: hook_scale (read-only, [B,T,1]) and hook_normalized (editable). */
    void norm(Pass p, String norm, String scaleHook, String normalizedHook, INDArray x, INDArray y, INDArray mean, INDArray rstd) {
        ops.norm(norm, x, y, mean, rstd);
        if (p.hasForward(scaleHook)) {
            INDArray s = p.hookArena.zeros(p.batch, p.time, 1);
            FloatBuffer sb = fb(s);
            float[] rs = Buffers.toFloats(rstd);
            float[] before = new float[rs.length];
            for (int r = 0; r < rs.length; r++) {
                before[r] = 1f / rs[r];
            }
            sb.put(0, before);
            p.hooks.fireForward(scaleHook, s, p.start);
            // a plain comparison: INDArray.equals costs milliseconds per call
            float[] after = new float[rs.length];
            sb.get(0, after);
            if (!java.util.Arrays.equals(before, after)) {
                throw new UnsupportedOperationException(scaleHook + " is read-only: patch hook_normalized instead");
            }
        }
        p.hook(normalizedHook, y, p.batch, p.time, cfg.dModel());
    }
}
