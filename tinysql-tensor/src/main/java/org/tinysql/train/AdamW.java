package org.tinysql.train;

import static org.tinysql.tensor.Buffers.fb;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.model.Parameters;
import org.tinysql.tensor.Buffers;

/**
 * AdamW with decoupled weight decay (Loshchilov and Hutter): p -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * p).
 * Weight decay applies to matrices (embeddings and projections), not to norm weights or biases (as nanoGPT).
 * The state (first and second moments, step) is exposed for checkpoints so a resumed run continues bit for bit.
 */
public final class AdamW {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, INDArray> m = new LinkedHashMap<>();
    private final Map<String, INDArray> v = new LinkedHashMap<>();
    private long step;

    public AdamW(Parameters params, double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        params.asMap().forEach((n, a) -> {
            m.put(n, Buffers.zeros(a.shape()));
            v.put(n, Buffers.zeros(a.shape()));
        });
    }

    /** One update of every parameter with learning rate {@code lr}. */
    public void step(Parameters params, Parameters grads, double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        float b1 = (float) beta1, b2 = (float) beta2;
        for (Map.Entry<String, INDArray> e : params.asMap().entrySet()) {
            String name = e.getKey();
            int n = (int) e.getValue().length();
            float[] p = new float[n], g = new float[n], mb = new float[n], vb = new float[n];
            fb(e.getValue()).get(0, p);
            fb(grads.get(name)).get(0, g);
            fb(m.get(name)).get(0, mb);
            fb(v.get(name)).get(0, vb);
            boolean decay = e.getValue().rank() >= 2;
            float wd = decay ? (float) weightDecay : 0f;
            float stepSize = (float) (lr / bc1);
            float sqrtBc2 = (float) Math.sqrt(bc2);
            float lrf = (float) lr;
            float epsf = (float) eps;
            for (int i = 0; i < n; i++) {
                float gi = g[i];
                float mi = b1 * mb[i] + (1 - b1) * gi;
                float vi = b2 * vb[i] + (1 - b2) * gi * gi;
                mb[i] = mi;
                vb[i] = vi;
                float pi = p[i];
                pi -= lrf * wd * pi;
                pi -= stepSize * mi / ((float) Math.sqrt(vi) / sqrtBc2 + epsf);
                p[i] = pi;
            }
            fb(e.getValue()).put(0, p);
            fb(m.get(name)).put(0, mb);
            fb(v.get(name)).put(0, vb);
        }
    }

    public long stepCount() {
        return step;
    }

    /** Optimizer state as named tensors ("m.NAME", "v.NAME") for a checkpoint. */
    public Map<String, INDArray> state() {
        Map<String, INDArray> s = new LinkedHashMap<>();
        m.forEach((n, a) -> s.put("m." + n, a));
        v.forEach((n, a) -> s.put("v." + n, a));
        return s;
    }

    /** Restores the state written by {@link #state()}; checks every moment's presence and shape before changing any. */
    public void load(Map<String, INDArray> state, long steps) {
        for (String n : m.keySet()) {
            for (String kind : new String[] {"m.", "v."}) {
                INDArray s = state.get(kind + n);
                if (s == null) {
                    throw new IllegalArgumentException("optimizer state lacks " + kind + n);
                }
                if (!Arrays.equals(s.shape(), m.get(n).shape())) {
                    throw new IllegalArgumentException(kind + n + " has shape " + Arrays.toString(s.shape()) + ", the parameter "
                            + Arrays.toString(m.get(n).shape()));
                }
            }
        }
        for (String n : m.keySet()) {
            m.get(n).assign(state.get("m." + n));
            v.get(n).assign(state.get("v." + n));
        }
        step = steps;
    }
}
