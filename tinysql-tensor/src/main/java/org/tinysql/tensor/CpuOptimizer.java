package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The AdamW update on F32 parameters and moments, in parallel blocks (the arithmetic is {@link AdamStep#apply}). */
final class CpuOptimizer {

    private CpuOptimizer() {
    }

    static void adamW(INDArray p, INDArray g, INDArray m, INDArray v, AdamStep step) {
        FloatBuffer pb = fb(p), gb = fb(g), mb = fb(m), vb = fb(v);
        CpuParallel.blocks((int) p.length(), (off, len) -> {
            float[] pc = new float[len], gc = new float[len], mc = new float[len], vc = new float[len];
            pb.get(off, pc);
            gb.get(off, gc);
            mb.get(off, mc);
            vb.get(off, vc);
            step.apply(pc, gc, mc, vc, len);
            pb.put(off, pc);
            mb.put(off, mc);
            vb.put(off, vc);
        });
    }
}
