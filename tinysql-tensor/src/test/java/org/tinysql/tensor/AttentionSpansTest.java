package org.tinysql.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Fused attention over {@link AttentionSpans}' tiles against the dense kernels on packed rows longer than a tile:
 * outputs and every gradient agree to float rounding; masks the tiles cannot express fall back to dense (null spans).
 */
class AttentionSpansTest {
    private final Kernels k = new CpuKernels();

    /** Row of sequences of the given lengths numbered 1, 2, ..., then padding up to t. */
    private static int[] packedRow(int t, int... lengths) {
        int[] row = new int[t];
        int at = 0;
        for (int s = 0; s < lengths.length; s++) {
            Arrays.fill(row, at, at + lengths[s], s + 1);
            at += lengths[s];
        }
        return row;
    }

    private static INDArray rand(SplittableRandom r, long... shape) {
        INDArray a = Buffers.zeros(shape);
        FloatBuffer b = Buffers.fb(a);
        for (int i = 0; i < a.length(); i++) {
            b.put(i, (float) (r.nextDouble() * 2 - 1));
        }
        return a;
    }

    private static void assertClose(INDArray want, INDArray got, String what) {
        float[] w = Buffers.toFloats(want), g = Buffers.toFloats(got);
        double max = 1e-6;
        for (float x : w) {
            max = Math.max(max, Math.abs(x));
        }
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], g[i], 2e-6 * max, what + " at " + i);
        }
    }

    @Test
    void fusedTilesGiveTheDenseResultsAndGradients() {
        int t = 150, h = 4, kv = 2, d = 8;
        int[][] mask = {packedRow(t, 70, 50), packedRow(t, t), packedRow(t, 3, 64, 65, 18)};
        int b = mask.length;
        AttentionSpans spans = AttentionSpans.of(mask, 0);
        assertNotNull(spans);
        assertTrue(spans.density() < 0.6, "tiles skip work: density " + spans.density());
        SplittableRandom r = new SplittableRandom(7);
        INDArray q = rand(r, b, t, h, d), kk = rand(r, b, t, kv, d), v = rand(r, b, t, kv, d), dz = rand(r, b, t, h, d);
        // dense: every array of [B, H, T, T]
        INDArray scores = Buffers.zeros(b, h, t, t), pat = Buffers.zeros(b, h, t, t), z = Buffers.zeros(b, t, h, d);
        k.attentionScores(q, kk, h, kv, mask, 0, 0.35f, 0, scores);
        k.softmax(scores, pat);
        k.attentionApply(pat, v, h, kv, z);
        INDArray dpat = Buffers.zeros(b, h, t, t), dscores = Buffers.zeros(b, h, t, t);
        INDArray dq = Buffers.zeros(b, t, h, d), dk = Buffers.zeros(b, t, kv, d), dv = Buffers.zeros(b, t, kv, d);
        k.attentionApplyBackward(dz, pat, v, h, kv, dpat, dv);
        k.softmaxBackward(dpat, pat, dscores);
        k.attentionScoresBackward(dscores, q, kk, h, kv, 0.35f, dq, dk);
        // fused over the tiles, into outputs holding garbage (z, tiles) or a gradient to accumulate onto (dq, dk, dv)
        INDArray fz = rand(r, b, t, h, d), tiles = rand(r, h, spans.entries());
        INDArray[] start = {rand(r, b, t, h, d), rand(r, b, t, kv, d), rand(r, b, t, kv, d)};
        INDArray fdq = start[0].dup(), fdk = start[1].dup(), fdv = start[2].dup();
        k.fusedAttention(q, kk, v, h, kv, spans, 0.35f, fz, tiles);
        k.fusedAttentionBackward(dz, q, kk, v, tiles, h, kv, spans, 0.35f, fdq, fdk, fdv);
        assertClose(z, fz, "z");
        assertClose(dq, fdq.sub(start[0]), "dq");
        assertClose(dk, fdk.sub(start[1]), "dk");
        assertClose(dv, fdv.sub(start[2]), "dv");
        // the tile store holds the dense pattern over the tiles: batch row 1 (one sequence of 150) has tiles of queries
        // [0, 64), [64, 128) and [128, 150), the last over keys [0, 150); query 140 of head 3 sees keys 0..140
        float[] p = Buffers.toFloats(pat), st = Buffers.toFloats(tiles);
        assertEquals(3, spans.tileCount(1));
        long at = 3 * spans.entries() + spans.tileStart(1, 2) + (140 - 128) * 150;
        for (int j : new int[] {0, 17, 140, 141, 149}) {
            assertEquals(p[((1 * h + 3) * t + 140) * t + j], st[(int) at + j], 1e-7, "pattern at key " + j);
        }
    }

    @Test
    void onlySequencesFollowedByPaddingGetTiles() {
        assertNotNull(AttentionSpans.of(new int[][] {{1, 1, 2, 2, 0}}, 0));
        assertNotNull(AttentionSpans.of(new int[][] {{1, 1, 1, 1}}, 4), "a window as long as the row cuts nothing");
        assertNull(AttentionSpans.of(new int[][] {{1, 1, 1, 1}}, 2), "a local window shorter than the row");
        assertNull(AttentionSpans.of(new int[][] {{0, 1, 1, 1}}, 0), "left padding");
        assertNull(AttentionSpans.of(new int[][] {{1, 0, 2, 2}}, 0), "padding between sequences");
        assertNull(AttentionSpans.of(new int[][] {{1, 1, 2, 1}}, 0), "a sequence in two pieces");
        assertNull(AttentionSpans.of(new int[][] {{1, 1}, {0, 0}}, 0), "an empty row");
        AttentionSpans s = AttentionSpans.of(new int[][] {{1, 1, 1, 2, 2, 0, 0}}, 0);
        // tiles: sequence [0,3) causal, sequence [3,5) causal, padding queries [5,7) over the real keys [0,5)
        assertEquals(3, s.tileCount(0));
        assertEquals(5, s.k1(0, 2));
        assertEquals(0, s.k0(0, 2));
        assertEquals(4, s.keyEnd(0, 1, 3), "query 3 (first of sequence 2) sees key 3 only");
        assertEquals(5, s.keyEnd(0, 2, 6), "a padding query sees every real key");
    }
}
