package org.tinysql.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.HookName;
import org.tinysql.model.RunSpec;
import org.tinysql.model.Transformer;

class InterventionsTest {
    private static final int[][] IDS = {{1, 5, 7, 9, 3}, {2, 4, 6, 8, 10}};
    private static final int[][] OTHER = {{3, 3, 2, 1, 4}, {9, 9, 8, 7, 6}};
    private static final int[][] MASK = {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}};

    /** Head h of [B, T, H, D] as a fresh [B, T, D] array (element by element: no ND4J views). */
    private static INDArray head(INDArray z, int h) {
        INDArray out = Nd4j.create(z.dataType(), z.size(0), z.size(1), z.size(3));
        for (int b = 0; b < z.size(0); b++) {
            for (int t = 0; t < z.size(1); t++) {
                for (int d = 0; d < z.size(3); d++) {
                    out.putScalar(new long[] {b, t, d}, z.getDouble(b, t, h, d));
                }
            }
        }
        return out;
    }

    /** Position t of [B, T, C] as a fresh [B, C] array. */
    private static INDArray pos(INDArray a, int t) {
        INDArray out = Nd4j.create(a.dataType(), a.size(0), a.size(2));
        for (int b = 0; b < a.size(0); b++) {
            for (int c = 0; c < a.size(2); c++) {
                out.putScalar(new long[] {b, c}, a.getDouble(b, t, c));
            }
        }
        return out;
    }

    private static INDArray cached(Transformer m, int[][] ids, String name, String editAt, org.tinysql.model.Hooks.Forward edit) {
        RunSpec spec = RunSpec.of(ids, MASK).cache(name);
        if (edit != null) {
            spec = spec.edit(editAt, edit);
        }
        try (ActivationCache c = m.run(spec)) {
            return c.get(name).dup();
        }
    }

    @Test
    void headInterventionsChangeOnlyThatHead() {
        Transformer m = TinyModels.random(TinyModels.llama(12, 16, 2, 4, 2), 3, 0.5);
        String z = HookName.z(1);
        INDArray clean = cached(m, IDS, z, null, null);
        INDArray zeroed = cached(m, IDS, z, z, Interventions.zeroHead(2));
        assertEquals(0, head(zeroed, 2).norm2Number().doubleValue(), 0);
        for (int h : new int[] {0, 1, 3}) {
            assertEquals(head(clean, h), head(zeroed, h), "head " + h + " untouched");
        }
        INDArray meaned = cached(m, IDS, z, z, Interventions.meanHead(1));
        INDArray mean = head(clean, 1).mean(0, 1);
        for (int d = 0; d < 4; d++) {
            assertEquals(mean.getDouble(d), meaned.getDouble(1, 4, 1, d), 1e-6);
            assertEquals(mean.getDouble(d), meaned.getDouble(0, 0, 1, d), 1e-6);
        }
        INDArray other = cached(m, OTHER, z, null, null);
        INDArray patched = cached(m, IDS, z, z, Interventions.patchHead(0, other));
        assertEquals(head(other, 0), head(patched, 0));
        assertEquals(head(clean, 3), head(patched, 3));
        INDArray value = Nd4j.linspace(1, 4, 4).castTo(clean.dataType());
        INDArray set = cached(m, IDS, z, z, Interventions.setHead(3, value));
        for (int d = 0; d < 4; d++) {
            assertEquals(d + 1, set.getDouble(0, 2, 3, d), 1e-6);
        }
        assertThrows(IllegalArgumentException.class, () -> cached(m, IDS, z, z, Interventions.zeroHead(4)));
        assertThrows(IllegalArgumentException.class, () -> cached(m, IDS, z, z, Interventions.setHead(0, Nd4j.ones(3))));
    }

    @Test
    void positionMeansReplaceTheChosenHeadsPositionByPosition() {
        Transformer m = TinyModels.random(TinyModels.llama(12, 16, 2, 4, 2), 3, 0.5);
        String z = HookName.z(0);
        INDArray clean = cached(m, IDS, z, null, null);
        int hd = 16;
        // three rows of means: positions 3 and 4 take the last one
        INDArray means = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 3, hd);
        for (int t = 0; t < 3; t++) {
            for (int c = 0; c < hd; c++) {
                means.putScalar(t, c, 100 * t + c);
            }
        }
        INDArray ablated = cached(m, IDS, z, z, Interventions.positionMeanHeads(new int[] {1, 3}, means, m.kernels()));
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 5; t++) {
                for (int d = 0; d < 4; d++) {
                    int row = Math.min(t, 2);
                    assertEquals(100 * row + 4 + d, ablated.getDouble(b, t, 1, d), 0);
                    assertEquals(100 * row + 12 + d, ablated.getDouble(b, t, 3, d), 0);
                    assertEquals(clean.getDouble(b, t, 0, d), ablated.getDouble(b, t, 0, d), 0);
                    assertEquals(clean.getDouble(b, t, 2, d), ablated.getDouble(b, t, 2, d), 0);
                }
            }
        }
        // when decoding with the KV cache a pass holds the positions [start, start + T): one new token at position 1
        INDArray step = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 1, 4, 4);
        Interventions.positionMeanHeads(new int[] {2}, means, m.kernels()).apply(step, z, 1);
        for (int d = 0; d < 4; d++) {
            assertEquals(100 + 8 + d, step.getDouble(1, 0, 2, d), 0);
            assertEquals(0, step.getDouble(1, 0, 1, d), 0);
        }
        assertThrows(IllegalArgumentException.class,
                () -> cached(m, IDS, z, z, Interventions.positionMeanHeads(new int[] {4}, means, m.kernels())));
        assertThrows(IllegalArgumentException.class, () -> cached(m, IDS, z, z,
                Interventions.positionMeanHeads(new int[] {0}, Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 3, 8), m.kernels())));
    }

    @Test
    void positionInterventionsChangeOnlyThatPosition() {
        Transformer m = TinyModels.random(TinyModels.llama(12, 16, 2, 4, 2), 3, 0.5);
        String resid = HookName.residPre(1);
        INDArray clean = cached(m, IDS, resid, null, null);
        INDArray other = cached(m, OTHER, resid, null, null);
        INDArray patched = cached(m, IDS, resid, resid, Interventions.patchPosition(2, other));
        assertEquals(pos(other, 2), pos(patched, 2));
        assertEquals(pos(clean, 1), pos(patched, 1));
        INDArray zeroed = cached(m, IDS, resid, resid, Interventions.zeroPosition(4));
        assertEquals(0, pos(zeroed, 4).norm2Number().doubleValue(), 0);
        assertThrows(IllegalArgumentException.class, () -> cached(m, IDS, resid, resid, Interventions.zeroPosition(5)));
        assertThrows(IllegalArgumentException.class, () -> cached(m, IDS, resid, resid, Interventions.zeroHead(0)));
    }
}
