package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Rotary embedding (HF rotate_half layout) of x[B,T,heads,D] (heads = H or KV) from a cos/sin table of the positions, forward and
 * backward (the inverse rotation). Holds the last table built, so one instance serves one {@link CpuKernels}.
 */
final class CpuRope {

    /**
     * cos/sin of position * inverse frequency for positions [0, positions), computed in double as the reference does,
     * then rounded to float; row p holds the {@code invFreq.length} angles of position p.
     */
    private record RopeTable(double[] invFreq, int positions, float[] cos, float[] sin) {
        static RopeTable of(double[] invFreq, int positions) {
            int half = invFreq.length;
            float[] cos = new float[positions * half];
            float[] sin = new float[positions * half];
            for (int p = 0; p < positions; p++) {
                for (int i = 0; i < half; i++) {
                    double a = p * invFreq[i];
                    cos[p * half + i] = (float) Math.cos(a);
                    sin[p * half + i] = (float) Math.sin(a);
                }
            }
            return new RopeTable(invFreq, positions, cos, sin);
        }
    }

    /** The last table built (a model uses one set of frequencies): rebuilt when the frequencies change or more positions are needed. */
    private volatile RopeTable ropeTable;

    private RopeTable ropeTable(double[] invFreq, int[][] pos) {
        int needed = 1;
        for (int[] row : pos) {
            for (int p : row) {
                if (p < 0) {
                    throw new IllegalArgumentException("negative position id " + p);
                }
                needed = Math.max(needed, p + 1);
            }
        }
        RopeTable t = ropeTable;
        if (t == null || t.positions() < needed || !Arrays.equals(t.invFreq(), invFreq)) {
            t = RopeTable.of(invFreq.clone(), Math.max(64, Integer.highestOneBit(needed - 1) << 1));
            ropeTable = t;
        }
        return t;
    }

    void rope(INDArray x, int nh, int[][] pos, double[] invFreq, INDArray out) {
        rotate(x, nh, pos, ropeTable(invFreq, pos), out, 1f, false);
    }

    void ropeBackward(INDArray dout, int nh, int[][] pos, double[] invFreq, INDArray dx) {
        rotate(dout, nh, pos, ropeTable(invFreq, pos), dx, -1f, true);
    }

    /** Rotates each head's halves (x1, x2) by the position's angles; {@code out} may be {@code x}. */
    private static void rotate(INDArray x, int nh, int[][] pos, RopeTable tab, INDArray out, float sign, boolean accumulate) {
        FloatBuffer xb = fb(x), ob = fb(out);
        int b = pos.length;
        int t = pos[0].length;
        int d = (int) (x.length() / ((long) b * t * nh));
        int half = d / 2;
        int width = nh * d;
        int rows = b * t;
        float[] cos = tab.cos();
        float[] sin = tab.sin();
        int tableHalf = tab.invFreq().length;
        IntStream.range(0, (rows + ROPE_ROWS - 1) / ROPE_ROWS).parallel().forEach(c -> {
            int r0 = c * ROPE_ROWS;
            int r1 = Math.min(rows, r0 + ROPE_ROWS);
            int len = (r1 - r0) * width;
            float[] xv = CpuParallel.scratch(0, len);
            float[] ov = CpuParallel.scratch(1, len);
            xb.get(r0 * width, xv, 0, len);
            if (accumulate) {
                ob.get(r0 * width, ov, 0, len);
            } else {
                Arrays.fill(ov, 0, len, 0f);
            }
            for (int r = r0; r < r1; r++) {
                int a = pos[r / t][r % t] * tableHalf;
                for (int h = 0; h < nh; h++) {
                    int o = (r - r0) * width + h * d;
                    for (int i = 0; i < half; i++) {
                        float x1 = xv[o + i];
                        float x2 = xv[o + i + half];
                        float cs = cos[a + i];
                        float sn = sign * sin[a + i];
                        ov[o + i] += x1 * cs - x2 * sn;
                        ov[o + i + half] += x2 * cs + x1 * sn;
                    }
                }
            }
            ob.put(r0 * width, ov, 0, len);
        });
    }

    /** Token rows of the RoPE kernel per parallel task. */
    private static final int ROPE_ROWS = 32;
}
