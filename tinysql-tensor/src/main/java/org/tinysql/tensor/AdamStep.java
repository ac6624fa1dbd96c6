package org.tinysql.tensor;

/**
 * One AdamW update's constants and its arithmetic (the one place both the model's optimizer and the SAE trainer take
 * it from): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr wd p; p -= stepSize m / (sqrt(v) / sqrtBc2 + eps),
 * with stepSize = lr / (1 - b1^t) and sqrtBc2 = sqrt(1 - b2^t) at step t (1-based). All in float.
 */
public record AdamStep(float lr, float weightDecay, float beta1, float beta2, float eps, float stepSize, float sqrtBc2) {

    /** The constants of step {@code t} (1-based). */
    public static AdamStep of(double lr, double beta1, double beta2, double eps, double weightDecay, long t) {
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        return new AdamStep((float) lr, (float) weightDecay, (float) beta1, (float) beta2, (float) eps, (float) (lr / bc1),
                (float) Math.sqrt(bc2));
    }

    /** The same step with another weight decay (decay applies to matrices only). */
    public AdamStep withWeightDecay(float wd) {
        return new AdamStep(lr, wd, beta1, beta2, eps, stepSize, sqrtBc2);
    }

    /** Updates p[0, len) and the moments m, v in place from gradients g (every element independent). */
    public void apply(float[] p, float[] g, float[] m, float[] v, int len) {
        float b1 = beta1, b2 = beta2;
        for (int i = 0; i < len; i++) {
            float gi = g[i];
            float mi = b1 * m[i] + (1 - b1) * gi;
            float vi = b2 * v[i] + (1 - b2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            float pi = p[i];
            pi -= lr * weightDecay * pi;
            pi -= stepSize * mi / ((float) Math.sqrt(vi) / sqrtBc2 + eps);
            p[i] = pi;
        }
    }
}
