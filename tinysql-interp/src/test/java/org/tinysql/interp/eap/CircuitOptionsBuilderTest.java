package org.tinysql.interp.eap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.Variant;
import org.tinysql.interp.Metric;

class CircuitOptionsBuilderTest {
    @Test
    void startsFromTheDefaultsAndSetsByName() {
        CircuitDiscovery.Options d = CircuitDiscovery.Options.defaults(CorruptionKind.CONTEXT_TABLE);
        assertEquals(d, CircuitDiscovery.Options.builder(CorruptionKind.CONTEXT_TABLE).build());
        CircuitDiscovery.Options o = CircuitDiscovery.Options.builder(CorruptionKind.CONTEXT_TABLE).commandSet(CommandSet.CS3)
                .variant(Variant.SYNONYM).pairs(12).seed(3).metric(Metric.Kind.KL).igSteps(5).batch(4)
                .selection(Faithfulness.Selection.GREEDY).topEdges(9).prune(false).ablation(CircuitRunner.Ablation.MEAN)
                .curvePoints(0).build();
        assertEquals(new CircuitDiscovery.Options(CommandSet.CS3, Variant.SYNONYM, CorruptionKind.CONTEXT_TABLE, 12, 3,
                Metric.Kind.KL, 5, 4, Faithfulness.Selection.GREEDY, 9, false, CircuitRunner.Ablation.MEAN, 0), o);
        assertEquals(o, o.toBuilder().build());
        assertEquals(7, o.toBuilder().topEdges(7).build().top());
    }

    @Test
    void badValuesAreRefused() {
        CircuitOptionsBuilder b = CircuitDiscovery.Options.builder(CorruptionKind.INSTRUCTION_TABLE);
        assertThrows(IllegalArgumentException.class, () -> b.pairs(0).build());
        assertThrows(IllegalArgumentException.class, () -> CircuitDiscovery.Options.builder(CorruptionKind.INSTRUCTION_TABLE).igSteps(-1).build());
        assertThrows(IllegalArgumentException.class, () -> CircuitDiscovery.Options.builder(CorruptionKind.INSTRUCTION_TABLE).metric(null).build());
    }
}
