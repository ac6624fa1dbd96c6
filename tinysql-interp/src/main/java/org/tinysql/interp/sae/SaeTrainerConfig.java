package org.tinysql.interp.sae;

/**
 * The training hyper-parameters of a {@link SaeTrainer}.
 *
 * @param lr            peak learning rate
 * @param warmupSteps   steps of linear warmup (0 for none)
 * @param decayFraction fraction of the steps, at the end, over which the rate decays linearly to 0
 * @param deadWindow    tokens without firing after which a latent counts as dead
 * @param auxK          latents the AuxK loss reconstructs from (TopK variants)
 * @param auxAlpha      weight of the AuxK loss
 * @param beta1         Adam's first-moment decay
 * @param beta2         Adam's second-moment decay
 * @param eps           Adam's epsilon
 */
public record SaeTrainerConfig(double lr, int warmupSteps, double decayFraction, long deadWindow, int auxK, double auxAlpha,
                               double beta1, double beta2, double eps) {
    /**
     * Checks the values (written so that NaN fails every check).
     *
     * @param lr            peak learning rate, positive and finite
     * @param warmupSteps   steps of linear warmup, at least 0
     * @param decayFraction fraction of the steps over which the rate decays, 0 to 1
     * @param deadWindow    tokens without firing after which a latent counts as dead, at least 1
     * @param auxK          latents the AuxK loss reconstructs from, at least 0
     * @param auxAlpha      weight of the AuxK loss, at least 0
     * @param beta1         Adam's first-moment decay, in [0, 1)
     * @param beta2         Adam's second-moment decay, in [0, 1)
     * @param eps           Adam's epsilon, positive
     * @throws IllegalArgumentException when a value is out of range
     */
    public SaeTrainerConfig {
        if (!(lr > 0 && Double.isFinite(lr)) || warmupSteps < 0 || !(decayFraction >= 0 && decayFraction <= 1)
                || deadWindow < 1 || auxK < 0 || !(auxAlpha >= 0 && Double.isFinite(auxAlpha))
                || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0 && Double.isFinite(eps))) {
            throw new IllegalArgumentException("bad SAE training settings: " + this);
        }
    }

    /**
     * lr 4e-4, 50 warmup steps, decay over the last 20%, dead after 100,000 tokens, AuxK 64 with weight 1/32, Adam
     * 0.9 / 0.999 / 1e-8.
     *
     * @return the defaults
     */
    public static SaeTrainerConfig defaults() {
        return new SaeTrainerConfig(4e-4, 50, 0.2, 100_000, 64, 1.0 / 32, 0.9, 0.999, 1e-8);
    }

    /**
     * A copy with another peak learning rate.
     *
     * @param v the learning rate
     * @return the copy
     */
    public SaeTrainerConfig withLr(double v) {
        return new SaeTrainerConfig(v, warmupSteps, decayFraction, deadWindow, auxK, auxAlpha, beta1, beta2, eps);
    }

    /**
     * A copy with another dead window.
     *
     * @param tokens tokens without firing after which a latent is dead
     * @return the copy
     */
    public SaeTrainerConfig withDeadWindow(long tokens) {
        return new SaeTrainerConfig(lr, warmupSteps, decayFraction, tokens, auxK, auxAlpha, beta1, beta2, eps);
    }

    /**
     * A copy with another warmup length.
     *
     * @param steps warmup steps
     * @return the copy
     */
    public SaeTrainerConfig withWarmup(int steps) {
        return new SaeTrainerConfig(lr, steps, decayFraction, deadWindow, auxK, auxAlpha, beta1, beta2, eps);
    }
}
