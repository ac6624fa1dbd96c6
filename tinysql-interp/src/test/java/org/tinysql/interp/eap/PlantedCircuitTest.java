package org.tinysql.interp.eap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.TinyModels;
import org.tinysql.model.Transformer;

/** EAP recovers a circuit planted by hand: input -> head 0's value -> logits. */
class PlantedCircuitTest {

    @Test
    void recoversThePlantedCopyHead() {
        Transformer m = TinyModels.plantedCopyHead();
        PatchBatch b = TinyModels.firstTokenPairs(8, 1);
        EapResult res = new EdgeAttribution(m).eap(b, Metric.Kind.LOGIT_DIFF, 8);
        assertTrue(res.cleanMetric() > 1, "the planted model copies the first token: " + res.cleanMetric());
        assertTrue(res.corruptMetric() < -1, "and follows the corrupt first token: " + res.corruptMetric());
        Circuit top = res.topN(2);
        assertEquals(Set.of("input->a0.h0<v>", "a0.h0->logits"), top.edgeNames());
        assertEquals(top.edgeNames(), res.greedy(2).edgeNames());
        CircuitRunner run = new CircuitRunner(m, res.graph(), b, CircuitRunner.Ablation.CORRUPT, Metric.Kind.LOGIT_DIFF);
        assertTrue(run.faithfulness(top) > 0.95, "faithfulness " + run.faithfulness(top));
        Circuit withoutHead = res.graph().full();
        withoutHead.remove(res.graph().source("a0.h0"), res.graph().dest("logits"));
        assertTrue(run.faithfulness(withoutHead) < 0.05, "without the copy head: " + run.faithfulness(withoutHead));
    }
}
