package org.tinysql.tensor;

import java.nio.FloatBuffer;

/**
 * One AdamW update's constants and its arithmetic (the one place both the model's optimizer and the SAE trainer take
 * it from): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr wd p; p -= stepSize m / (sqrt(v) / sqrtBc2 + eps),
 * with stepSize = lr / (1 - b1^t) and sqrtBc2 = sqrt(1 - b2^t) at step t (1-based). All in float.
 * @param lr the learning rate
 * @param weightDecay the decoupled weight decay (0 for norm weights and biases)
 * @param beta1 first-moment decay
 * @param beta2 second-moment decay
 * @param eps added to the bias-corrected second moment's square root
 * @param stepSize lr / (1 - beta1^t), the bias-corrected step
 * @param sqrtBc2 sqrt(1 - beta2^t), the second moment's bias correction
 */
public record AdamStep(float lr, float weightDecay, float beta1, float beta2, float eps, float stepSize, float sqrtBc2) {

    /**
     * The constants of step {@code t} (1-based).
     * @param lr the learning rate
     * @param beta1 first-moment decay, in [0, 1)
     * @param beta2 second-moment decay, in [0, 1)
     * @param eps added to the second moment's square root
     * @param weightDecay the decoupled weight decay
     * @param t the step number, 1 for the first update
     * @return the constants, rounded to float
     */
    public static AdamStep of(double lr, double beta1, double beta2, double eps, double weightDecay, long t) {
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        return new AdamStep((float) lr, (float) weightDecay, (float) beta1, (float) beta2, (float) eps, (float) (lr / bc1),
                (float) Math.sqrt(bc2));
    }

    /**
     * The same step with another weight decay (decay applies to matrices only).
     * @param wd the weight decay of the tensor at hand
     * @return a new step with the same other constants
     */
    public AdamStep withWeightDecay(float wd) {
        return new AdamStep(lr, wd, beta1, beta2, eps, stepSize, sqrtBc2);
    }

    /**
     * Updates p[0, len) and the moments m, v in place from gradients g (every element independent).
     * @param p the parameters, updated in place
     * @param g the gradients
     * @param m the first moments, updated in place
     * @param v the second moments, updated in place
     * @param len the number of elements to update, from index 0
     */
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

    /** A moment tensor read and written as floats, whatever its storage (F32 or BF16). */
    public interface Moment {
        /**
         * Copies moment values out as floats.
         * @param from the index of the first element
         * @param dst receives elements [from, from + dst.length)
         */
        void get(int from, float[] dst);

        /**
         * Stores float values into the moment (rounded to its storage).
         * @param from the index of the first element
         * @param src the values of elements [from, from + src.length)
         */
        void put(int from, float[] src);

        /**
         * An F32 moment.
         * @param b the moment's float buffer, read and written in place
         * @return a view of {@code b}
         */
        static Moment of(FloatBuffer b) {
            return new Moment() {
                @Override
                public void get(int from, float[] dst) {
                    b.get(from, dst);
                }

                @Override
                public void put(int from, float[] src) {
                    b.put(from, src);
                }
            };
        }
    }

    /**
     * Updates elements [from, from + len) of parameter p (gradient g, moments m and v) through Java arrays.
     * @param p the parameter's float buffer, updated in place
     * @param g the gradient's float buffer
     * @param m the first moment, updated in place
     * @param v the second moment, updated in place
     * @param from the index of the first element to update
     * @param len the number of elements to update
     */
    public void apply(FloatBuffer p, FloatBuffer g, Moment m, Moment v, int from, int len) {
        float[] pc = new float[len], gc = new float[len], mc = new float[len], vc = new float[len];
        p.get(from, pc);
        g.get(from, gc);
        m.get(from, mc);
        v.get(from, vc);
        apply(pc, gc, mc, vc, len);
        p.put(from, pc);
        m.put(from, mc);
        v.put(from, vc);
    }
}
