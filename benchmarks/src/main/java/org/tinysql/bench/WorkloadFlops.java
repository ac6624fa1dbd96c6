package org.tinysql.bench;

/**
 * The floating-point work of each {@link Workloads} workload, counted from the shape (2 FLOPs per multiply-add of the
 * matrix products; element-wise work is left out, so GFLOP/s = FLOPs / time reads as "how close to the machine's
 * SGEMM figure a workload runs"). Shape legend: L layers, C width, H heads, M MLP width, V vocabulary, B rows, T
 * positions, N = B*T. The counts follow the algorithms as both sides run them:
 * <ul>
 *   <li>forward (full logits): L (N (4C^2 + 2CM) + 2 B T^2 C) + N C V multiply-adds (the projections, the attention
 *   scores and their application over all T x T pairs, the unembedding);</li>
 *   <li>train: 3 forwards' worth (the backward is two products per forward product: input and weight gradients),
 *   the logits of the labelled half of the positions only (what the loss needs; the peer computes all of them);</li>
 *   <li>fwd_cache: one forward;</li>
 *   <li>eap (head-level, logits at the last position only): two forwards (corrupt, clean), the backward's input
 *   gradients (one more forward's worth) and the scores: per destination group one [S_l, N C] x [N C, columns]
 *   product, S_l being the sources before it;</li>
 *   <li>decode: the prefill of 64 positions (last-row logits) and 63 one-token steps over a growing cache, per
 *   sequence;</li>
 *   <li>gemm: the [N, C] x [C, M] product of the MLP.</li>
 * </ul>
 * SAE steps are not counted (NaN).
 */
public final class WorkloadFlops {

    private WorkloadFlops() {
    }

    /**
     * FLOPs of one iteration of {@code workload} on {@code sh}, or NaN when not counted.
     * @param workload a {@link Workloads} workload name
     * @param sh the shape
     * @return floating-point operations per iteration
     */
    public static double of(String workload, Workloads.Shape sh) {
        double l = sh.layers(), c = sh.c(), m = sh.mlp(), v = sh.vocab(), b = sh.batch(), t = sh.time();
        double n = b * t;
        double layerProj = projections(sh);
        return switch (workload) {
            case "fwd_cache", "forward" -> 2 * forward(sh, n * v);
            case "train" -> 3 * 2 * forward(sh, n / 2 * v);
            case "eap" -> {
                double fwdLast = forward(sh, b * v);
                double s = 1 + l * (sh.heads() + 1); // sources: input, per layer its heads and MLP
                double scores = 0;
                for (int layer = 0; layer < sh.layers(); layer++) {
                    double before = 1 + layer * (sh.heads() + 1);
                    scores += before * 3 * sh.heads() + (before + sh.heads()) * 1; // q/k/v heads, then the MLP
                }
                scores = (scores + s) * n * c; // + the logits destination
                yield 2 * (3 * fwdLast + scores);
            }
            case "decode", "decode16" -> {
                double rows = "decode16".equals(workload) ? 16 : 1;
                double p = Workloads.DECODE_PROMPT;
                double prefill = l * (p * layerProj + 2 * p * p * c) + c * v;
                double steps = 0;
                for (int s = 1; s < Workloads.DECODE_NEW; s++) {
                    steps += l * (layerProj + 2 * (p + s) * c) + c * v;
                }
                yield 2 * rows * (prefill + steps);
            }
            case "gemm" -> 2 * n * c * m;
            default -> Double.NaN;
        };
    }

    /** Multiply-adds of one layer's projections per position: q, k, v, o (4 C^2) and the MLP (2 C M). */
    private static double projections(Workloads.Shape sh) {
        double c = sh.c();
        return 4 * c * c + 2 * c * sh.mlp();
    }

    /** Multiply-adds of a forward over the shape that computes {@code logitEntries} logits (rows x V). */
    private static double forward(Workloads.Shape sh, double logitEntries) {
        double c = sh.c(), t = sh.time(), n = (double) sh.batch() * t;
        return sh.layers() * (n * projections(sh) + 2 * sh.batch() * t * t * c) + logitEntries * c;
    }
}
