package org.tinysql.interp.eap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.TinyModels;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.HookName;
import org.tinysql.model.RunSpec;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;
import org.tinysql.util.Progress;

class CircuitToolsTest {

    @Test
    void minimalHeadSearchKeepsOnlyThePlantedHead() {
        Transformer m = TinyModels.plantedCopyHead();
        PatchBatch b = TinyModels.firstTokenPairs(8, 2);
        for (MinimalCircuit.Ablation a : MinimalCircuit.Ablation.values()) {
            MinimalCircuit.Result r = MinimalCircuit.search(m, b, Metric.Kind.LOGIT_DIFF, a, 0.9, Progress.NONE);
            assertEquals(List.of("a0.h0"), r.kept(), a.toString());
            assertEquals(1, r.removals().size());
            assertTrue(r.ratio() > 0.99, "head 1 writes nothing: " + r.ratio());
        }
    }

    @Test
    void faithfulnessCurveRunsFromEmptyToFull() {
        Transformer m = TinyModels.random(TinyModels.gpt(40, 32, 2, 2), 11, 2);
        PatchBatch b = TinyModels.batch(4, 8, 40, 7, 0);
        EapResult res = new EdgeAttribution(m).eap(b, Metric.Kind.LOGIT_DIFF, 4);
        CircuitRunner run = new CircuitRunner(m, res.graph(), b, CircuitRunner.Ablation.CORRUPT, Metric.Kind.LOGIT_DIFF);
        int total = res.graph().edgeCount();
        for (Faithfulness.Selection sel : Faithfulness.Selection.values()) {
            Faithfulness.Curve c = Faithfulness.curve(res, run, sel, Faithfulness.sizes(total, 6), false, Progress.NONE);
            assertEquals(6, c.points().size());
            assertEquals(0.0, c.points().get(0).faithfulness(), 1e-6);
            if (sel == Faithfulness.Selection.TOP_N) {
                assertEquals(1.0, c.points().get(5).faithfulness(), 1e-6);
            }
            assertTrue(c.area() > 0.3 && c.area() < 1.5, sel + " area " + c.area());
        }
    }

    /**
     * With mean or zero ablation and no edge kept, every node reads the ablated values of all sources plus the output
     * biases (which no edge carries): the same as a plain forward whose embedding, head outputs (hook_z) and MLP
     * outputs are replaced by their means over the clean batch's real tokens, or by zero. That forward, and plain
     * clean forwards, are the independent references here.
     */
    @Test
    void meanAndZeroAblationOfEveryEdgeEqualAForwardWithTheSourcesReplaced() {
        Transformer m = TinyModels.withRandomBiases(TinyModels.random(TinyModels.gpt(40, 32, 2, 2), 11, 2), 5, 0.3);
        PatchBatch b = TinyModels.batch(4, 8, 40, 7, 2);
        EapResult res = new EdgeAttribution(m).eap(b, Metric.Kind.LOGIT_DIFF, 4);
        double clean = TinyModels.logitDiff(m.forward(b.clean(), b.mask()), b);
        for (CircuitRunner.Ablation a : List.of(CircuitRunner.Ablation.MEAN, CircuitRunner.Ablation.ZERO)) {
            CircuitRunner r = new CircuitRunner(m, res.graph(), b, a, Metric.Kind.LOGIT_DIFF);
            double empty = replacedSourcesLogitDiff(m, b, a == CircuitRunner.Ablation.MEAN);
            // Far more than the tolerance below, so the comparisons can tell the runs apart.
            assertTrue(Math.abs(empty - clean) > 0.01, a + ": ablating everything matters (" + empty + " vs " + clean + ")");
            assertEquals(clean, r.metric(res.graph().full()), 1e-6, a + ": every edge kept");
            assertEquals(empty, r.metric(res.graph().empty()), 1e-6, a + ": no edge kept");
            Circuit half = res.topN(res.graph().edgeCount() / 2);
            assertEquals((r.metric(half) - empty) / (clean - empty), r.faithfulness(half), 1e-5, a.toString());
        }
    }

    /** The clean prompts' logit difference with hook_resid_pre of layer 0, every hook_z and hook_mlp_out replaced. */
    static double replacedSourcesLogitDiff(Transformer m, PatchBatch b, boolean mean) {
        int layers = m.config().nLayers();
        List<String> hooks = new java.util.ArrayList<>(List.of(HookName.residPre(0)));
        for (int l = 0; l < layers; l++) {
            hooks.add(HookName.z(l));
            hooks.add(HookName.mlpOut(l));
        }
        Map<String, float[]> means = new LinkedHashMap<>();
        if (mean) {
            try (ActivationCache c = m.run(RunSpec.of(b.clean(), b.mask()).cache(hooks.toArray(new String[0])))) {
                for (String h : hooks) {
                    means.put(h, meanOverRealTokens(c.floats(h), b));
                }
            }
        }
        RunSpec spec = RunSpec.of(b.clean(), b.mask());
        for (String h : hooks) {
            spec.edit(h, (act, name) -> {
                float[] x = new float[(int) act.length()];
                float[] mu = means.get(name);
                if (mu != null) {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = mu[i % mu.length];
                    }
                }
                Buffers.fb(act).put(0, x);
                return null;
            });
        }
        try (ActivationCache run = m.run(spec)) {
            return TinyModels.logitDiff(run.logits(), b);
        }
    }

    /** Mean of the rows [B*T, W] of {@code x} at positions with mask 1. */
    static float[] meanOverRealTokens(float[] x, PatchBatch b) {
        int rows = b.size() * b.length();
        int w = x.length / rows;
        double[] sum = new double[w];
        int n = 0;
        for (int r = 0; r < rows; r++) {
            if (b.mask()[r / b.length()][r % b.length()] == 1) {
                for (int j = 0; j < w; j++) {
                    sum[j] += x[r * w + j];
                }
                n++;
            }
        }
        float[] mu = new float[w];
        for (int j = 0; j < w; j++) {
            mu[j] = (float) (sum[j] / n);
        }
        return mu;
    }

    @Test
    void exportsJsonAndSvg(@TempDir Path dir) throws Exception {
        Transformer m = TinyModels.plantedCopyHead();
        PatchBatch b = TinyModels.firstTokenPairs(4, 3);
        EapResult res = new EdgeAttribution(m).eap(b, Metric.Kind.PROB_DIFF, 4);
        Circuit c = res.topN(3);
        Path f = dir.resolve("eap.json");
        GraphExport.writeJson(GraphExport.toJson(res, c, null), f);
        JsonNode j = new ObjectMapper().readTree(Files.readString(f));
        assertEquals(res.graph().edgeCount(), j.get("edges").size());
        assertEquals("prob_diff", j.get("metric").asText());
        assertEquals(3, j.get("circuit_edges").asInt());
        int in = 0;
        for (JsonNode e : j.get("edges")) {
            in += e.get("in_circuit").asBoolean() ? 1 : 0;
            assertEquals(res.score(e.get("src").asText() + "->" + e.get("dst").asText()), e.get("score").asDouble(), 1e-12);
        }
        assertEquals(3, in);
        String svg = GraphExport.toSvg(res, c, "planted <copy> head");
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", doc.getDocumentElement().getNodeName());
        assertEquals(3, doc.getElementsByTagName("line").getLength());
    }

    @Test
    void comparisonReportsJaccardOverlap() {
        EapGraph g = new EapGraph(TinyModels.gpt(10, 16, 1, 2));
        Circuit a = g.empty();
        a.add(g.source("input"), g.dest("a0.h0<v>"));
        a.add(g.source("a0.h0"), g.dest("logits"));
        Circuit b = a.copy();
        b.add(g.source("a0.h1"), g.dest("logits"));
        Map<String, Circuit> m = new LinkedHashMap<>();
        m.put("a", a);
        m.put("b", b);
        CircuitComparison cmp = CircuitComparison.of(m);
        assertEquals(2.0 / 3, cmp.edgeJaccard()[0][1], 1e-12);
        assertEquals(3.0 / 4, cmp.nodeJaccard()[0][1], 1e-12);
        assertEquals(1.0, cmp.edgeJaccard()[1][1]);
        assertTrue(cmp.table().contains("0.67|0.75"));
    }
}
