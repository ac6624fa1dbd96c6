package org.tinysql.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.eap.Circuit;
import org.tinysql.interp.eap.CircuitDiscovery;
import org.tinysql.interp.eap.CircuitRunner;
import org.tinysql.interp.eap.EapResult;
import org.tinysql.interp.eap.EdgeAttribution;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.HookName;
import org.tinysql.model.Hooks;
import org.tinysql.model.RunSpec;
import org.tinysql.model.Transformer;
import org.tinysql.sql.ExecutionMatch;
import org.tinysql.sql.ScoreResult;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.Progress;

/**
 * The Java samples of README.md, kept here so that they compile with every build (the README copies the method
 * bodies). Not meant to be run as a program.
 */
final class ReadmeSamples {
    private ReadmeSamples() {
    }

    static void dataset() throws Exception {
        DatasetGenerator gen = new DatasetGenerator(CommandSet.CS4, Variant.SYNONYM, 42);
        TinySqlExample ex = gen.example(0, 1).row();
        System.out.println(ex.prompt());          // ### Instruction: ... ### Context: CREATE TABLE ... ### Response:
        System.out.println(ex.sqlStatement());    // SELECT ... FROM ... WHERE ...
        try (ExecutionMatch exec = new ExecutionMatch()) {
            ScoreResult r = exec.score(ex.createStatement(), ex.sqlStatement(), "SELECT name FROM products");
            System.out.println(r.correct() + " " + r.reason());
        }
    }

    static void engine(int[][] ids, int[][] mask, INDArray dLogits) throws IOException {
        Transformer model = Transformer.fromPretrained(Path.of("runs/cs1/model"));   // HF folder: GPT-Neo/GPT-2/Llama/Qwen2
        INDArray logits = model.forward(ids, mask);                                  // [B, T, V], valid until the next forward
        try (ActivationCache cache = model.run(RunSpec.of(ids, mask)
                .cache(HookName.z(1), HookName.pattern(0))                            // keep these activations
                .grads(name -> name.endsWith("hook_resid_pre"))                       // and these gradients
                .edit(HookName.residMid(0), (act, name) -> act.muli(0.5)))) {         // an edit for this run only
            INDArray z = cache.get(HookName.z(1));                                   // [B, T, H, D]
            cache.backward(dLogits);                                                  // d(metric)/d(logits) [B, T, V]
            INDArray grad = cache.grad(HookName.residPre(0));                         // [B, T, C]
            INDArray heads = cache.stackHeadResults(1);                               // [H, B, T, C]
        }
        Map<String, INDArray> patterns = model.runWithCache(ids, mask, name -> name.endsWith("hook_pattern"));
        try (Hooks.Handle h = model.hooks().addForward(HookName.z(1), (z, name) -> { /* edit z in place */ return null; })) {
            model.forward(ids, mask);                                                 // hooks stay until closed
        }
    }

    static void circuits(Transformer model, Tokenizer tokenizer) {
        PatchBatch pairs = CircuitDiscovery.pairs(tokenizer, CircuitDiscovery.Options.defaults(CorruptionKind.INSTRUCTION_TABLE));
        EapResult scores = new EdgeAttribution(model).run(pairs, Metric.Kind.LOGIT_DIFF, /* EAP-IG steps */ 5, 16, Progress.NONE);
        Circuit circuit = scores.topN(50);
        circuit.prune();
        double faithfulness = new CircuitRunner(model, scores.graph(), pairs, CircuitRunner.Ablation.CORRUPT, Metric.Kind.LOGIT_DIFF)
                .faithfulness(circuit);
    }
}
