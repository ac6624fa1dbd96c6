package org.tinysql.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** forward() returns a view the next pass overwrites; logits() returns an array of the caller's own. */
class LogitsOwnershipTest {
    @Test
    void logitsSurviveTheNextPassAndForwardsViewDoesNot() {
        Transformer m = new Transformer(Parameters.init(ModelConfig.llama(30, 16, 1, 2, 32), 5));
        int[][] a = {{1, 2, 3, 4}};
        int[][] b = {{9, 8, 7, 6}};
        INDArray owned = m.logits(a, null);
        INDArray view = m.forward(a, null);
        INDArray before = view.dup();
        assertEquals(before, owned);
        m.forward(b, null);
        assertEquals(before, owned, "logits() is not touched by later passes");
        assertNotEquals(before, view, "forward()'s view now holds the second pass (as documented)");
    }
}
