package org.tinysql.tensor;

import static org.tinysql.tensor.Buffers.fb;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The AdamW update on F32 parameters and moments, in parallel blocks (the arithmetic is {@link AdamStep#apply}). */
final class CpuOptimizer {

    private CpuOptimizer() {
    }

    static void adamW(INDArray p, INDArray g, INDArray m, INDArray v, AdamStep step) {
        FloatBuffer pb = fb(p), gb = fb(g);
        AdamStep.Moment mb = AdamStep.Moment.of(fb(m)), vb = AdamStep.Moment.of(fb(v));
        CpuParallel.blocks((int) p.length(), (off, len) -> step.apply(pb, gb, mb, vb, off, len));
    }
}
