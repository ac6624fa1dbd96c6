package org.tinysql.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.examples.E10FlawedHeuristic;
import org.tinysql.interp.TokenRole;
import org.tinysql.interp.TokenTagger;
import org.tinysql.interp.cache.CacheAnalysis;
import org.tinysql.interp.cache.LogitLens;
import org.tinysql.interp.eap.CircuitDiscovery;
import org.tinysql.interp.eap.EapGraph;
import org.tinysql.interp.eap.Faithfulness;
import org.tinysql.interp.patching.TableConflict;
import org.tinysql.interp.report.HtmlReport;
import org.tinysql.interp.report.Svg;
import org.tinysql.interp.sae.ActivationStore;
import org.tinysql.interp.sae.FeatureAnalysis;
import org.tinysql.interp.sae.Sae;
import org.tinysql.interp.sae.SaeConfig;
import org.tinysql.interp.sae.SaeMetrics;
import org.tinysql.interp.sae.SaeTrainer;
import org.tinysql.interp.study.SaeStudy;
import org.tinysql.model.SqlPredictor;
import org.tinysql.model.Transformer;
import org.tinysql.sql.ScoreReport;
import org.tinysql.sql.Scoring;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.util.ConsoleProgressBar;

/**
 * The analyses of the quickstart report on one trained model (from scratch or fine-tuned, any tokenizer): accuracy
 * with every scorer, the logit lens by SQL role, an EAP circuit for instruction-table corruptions with the attention
 * of its top heads, the flawed table-name heuristic and a TopK SAE. Each adds a section to the report; artefacts
 * (eap/, sae/) go to the work folder.
 */
final class ModelReport {
    static final String SAE_HOOK = "blocks.0.hook_resid_post";

    private final HtmlReport html;
    private final Path out;
    private final long seed;
    private final int saeSteps;

    ModelReport(HtmlReport html, Path out, long seed, int saeSteps) {
        this.html = html;
        this.out = out;
        this.seed = seed;
        this.saeSteps = saeSteps;
    }

    /** Every analysis, in report order, on the CS1 dataset folder {@code data}. */
    void run(Transformer model, HfTokenizer tok, Path data, int evalCount) throws IOException {
        List<TinySqlExample> test = DatasetIO.read(data, Split.TEST);
        evaluate(model, tok, test.subList(0, Math.min(evalCount, test.size())));
        logitLens(model, tok, test.subList(0, Math.min(60, test.size())));
        CircuitDiscovery.Result eap = eap(model, tok);
        attention(model, tok, eap);
        flawedHeuristic(model, tok);
        sae(model, tok, data);
    }

    void evaluate(Transformer model, HfTokenizer tok, List<TinySqlExample> test) {
        List<String> preds;
        try (ConsoleProgressBar bar = new ConsoleProgressBar("predict", test.size())) {
            preds = new SqlPredictor(model, tok, SqlPredictor.MAX_NEW_TOKENS).predict(test, 64, bar);
        }
        List<ScoreReport> reports = Scoring.report(Scoring.scoreAll(Scoring.items(test, preds), Scoring.standardScorers(), 2));
        System.out.println("== the model on " + test.size() + " held-out prompts (greedy decoding)");
        List<List<String>> rows = new ArrayList<>();
        for (ScoreReport r : reports) {
            System.out.println("  " + r.describe());
            rows.add(List.of(r.scorer(), String.valueOf(r.n()), String.format(Locale.ROOT, "%.1f%%", 100 * r.accuracy()),
                    String.format(Locale.ROOT, "%.3f", r.meanScore())));
        }
        List<List<String>> ex = new ArrayList<>();
        for (int i = 0; i < Math.min(6, test.size()); i++) {
            ex.add(List.of(test.get(i).englishPrompt(), test.get(i).sqlStatement(), preds.get(i)));
        }
        html.section("Accuracy", HtmlReport.table(List.of("scorer", "n", "accuracy", "mean score"), rows)
                + HtmlReport.table(List.of("instruction", "gold SQL", "predicted SQL"), ex));
    }

    void logitLens(Transformer model, HfTokenizer tok, List<TinySqlExample> ex) {
        LogitLens.Table t;
        try (ConsoleProgressBar bar = new ConsoleProgressBar("logit lens", ex.size())) {
            t = LogitLens.run(model, new TokenTagger(tok), ex, bar);
        }
        System.out.println("== logit lens (probability / top-1 of the next response token, by SQL role)");
        System.out.print(t.format());
        List<String> roles = new ArrayList<>();
        for (TokenRole.Sql r : TokenRole.Sql.values()) {
            roles.add(r.name().toLowerCase(Locale.ROOT) + " (n=" + t.count()[r.ordinal()] + ")");
        }
        html.section("Logit lens", HtmlReport.p("The residual stream before each layer and after the last, through the final norm and "
                + "unembedding, scored on the next response token (teacher forcing), by the SQL role of that token.")
                + HtmlReport.figure(Svg.heatmap("mean probability of the next token", t.meanProb(), t.layers(), roles, false, 34), "probability")
                + HtmlReport.figure(Svg.heatmap("top-1 rate", t.top1(), t.layers(), roles, false, 34), "fraction ranked first")
                + HtmlReport.pre(t.format()));
    }

    CircuitDiscovery.Result eap(Transformer model, HfTokenizer tok) throws IOException {
        CircuitDiscovery.Options o = CircuitDiscovery.Options.defaults(CorruptionKind.INSTRUCTION_TABLE).withPairs(32).withTop(40);
        CircuitDiscovery.Result r;
        try (ConsoleProgressBar bar = new ConsoleProgressBar("eap", 2 + o.curvePoints())) {
            r = CircuitDiscovery.run(model, tok, o, bar);
        }
        r.write(out.resolve("eap"));
        EapCommand.print(r);
        Faithfulness.Curve c = r.curve();
        double[] x = c.points().stream().mapToDouble(Faithfulness.Point::edges).toArray();
        double[] y = c.points().stream().mapToDouble(Faithfulness.Point::faithfulness).toArray();
        List<List<String>> top = new ArrayList<>();
        List<int[]> ranked = r.scores().ranked();
        for (int i = 0; i < Math.min(12, ranked.size()); i++) {
            int[] e = ranked.get(i);
            top.add(List.of(r.scores().graph().edgeName(e[0], e[1]), String.format(Locale.ROOT, "%+.4f", r.scores().scores()[e[0]][e[1]])));
        }
        html.section("Circuit (EAP, instruction table name)", HtmlReport.p(String.format(Locale.ROOT,
                "%s on %d pairs whose instruction names a different table (the Context keeps the clean table). Logit difference "
                        + "clean %.3f, corrupt %.3f. Circuit: top %d edges by |score| (pruned to %d), faithfulness %.3f with corrupt "
                        + "patching of every other edge; area under the faithfulness curve %.3f.",
                r.scores().method(), r.batch().size(), r.scores().cleanMetric(), r.scores().corruptMetric(), r.options().top(),
                r.circuit().edgeCount(), r.faithfulness(), c.area()))
                + HtmlReport.figure(r.svg(), "Circuit graph, input at the bottom, logits at the top. Red edges: patching the edge with its corrupt "
                        + "value lowers the logit difference (the edge carries the clean answer); blue: raises it. Width: |score|; "
                        + "q solid, k dashed, v dotted.")
                + HtmlReport.figure(Svg.lineChart("faithfulness vs circuit size", "edges", "faithfulness",
                        List.of(new Svg.Series("top-n", x, y)), 460, 300), "Normalized metric with every edge outside the circuit patched.")
                + HtmlReport.table(List.of("edge", "EAP score"), top));
        return r;
    }

    /** Attention patterns of the two heads with the largest total |score| on their output edges. */
    void attention(Transformer model, HfTokenizer tok, CircuitDiscovery.Result r) {
        EapGraph g = r.scores().graph();
        List<double[]> heads = new ArrayList<>();
        for (int u = 0; u < g.sources().size(); u++) {
            EapGraph.Source s = g.sources().get(u);
            if (s.kind() != EapGraph.Kind.HEAD) {
                continue;
            }
            double sum = 0;
            for (int v = 0; v < g.dests().size(); v++) {
                if (g.valid(u, v)) {
                    sum += Math.abs(r.scores().scores()[u][v]);
                }
            }
            heads.add(new double[] {s.layer(), s.head(), sum});
        }
        heads.sort(Comparator.comparingDouble((double[] h) -> -h[2]));
        int[] ids = java.util.Arrays.copyOf(r.batch().clean()[0], r.batch().pos()[0] + 1);
        CacheAnalysis ca = CacheAnalysis.run(model, new int[][] {ids}, null);
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            labels.add(i + ":" + tok.decode(new int[] {ids[i]}).strip());
        }
        StringBuilder body = new StringBuilder(HtmlReport.p("Attention of the heads with the largest EAP scores on one clean prompt "
                + "(rows: the last 12 query positions, ending at the answer position; columns: keys)."));
        for (double[] h : heads.subList(0, Math.min(2, heads.size()))) {
            float[][] p = ca.pattern((int) h[0], (int) h[1], 0);
            int from = Math.max(0, ids.length - 12);
            double[][] rows = new double[ids.length - from][];
            for (int q = from; q < ids.length; q++) {
                rows[q - from] = new double[ids.length];
                for (int k = 0; k < ids.length; k++) {
                    rows[q - from][k] = p[q][k];
                }
            }
            body.append(HtmlReport.figure(Svg.heatmap(String.format(Locale.ROOT, "a%d.h%d (EAP mass %.3f)", (int) h[0], (int) h[1], h[2]), rows,
                    labels.subList(from, ids.length), labels, false, 9), "a" + (int) h[0] + ".h" + (int) h[1]));
        }
        html.section("Attention patterns", body.toString());
    }

    /**
     * Conflict prompts (instruction names table X, Context defines Y): which one the model copies, and which heads
     * carry it. Example 10 retrains on synonym instructions to remove the heuristic; its result is shown when present.
     */
    void flawedHeuristic(Transformer model, HfTokenizer tok) throws IOException {
        TableConflict.Measure before = TableConflict.measure(model, tok);
        System.out.printf(Locale.ROOT, "== conflict prompts: the model copies the Context's table on %.0f%% of %d (mean logit diff %+.2f)%n",
                100 * before.contextRate(), before.pairs(), before.meanLogitDiff());
        StringBuilder body = new StringBuilder(HtmlReport.p(String.format(Locale.ROOT, "CS1 literal instructions always name the table "
                + "exactly as the Context does, so a model may copy it from either. On %d conflict prompts (the instruction names table X, "
                + "the Context's CREATE statement defines Y; the correct SQL uses Y) this model writes Y on %.0f%% (mean logit[Y] - "
                + "logit[X] = %+.2f). Head-output patching from the clean prompt (X = Y) into the conflict prompt shows the heads that "
                + "carry the instruction's table name:", before.pairs(), 100 * before.contextRate(), before.meanLogitDiff())));
        body.append(HtmlReport.figure(Svg.heatmap("head patching (normalized)", before.heads().values(), before.heads().rows(),
                before.heads().columns(), true, 34), "literal-trained model"));
        Path fixed = E10FlawedHeuristic.FIXED_MODEL;
        if (Files.exists(fixed.resolve("config.json"))) {
            Transformer m2 = Transformer.fromPretrained(fixed);
            HfTokenizer t2 = HfTokenizer.load(fixed.resolve("tokenizer.json"));
            TableConflict.Measure after = TableConflict.measure(m2, t2);
            body.append(HtmlReport.p(String.format(Locale.ROOT, "After retraining on CS1 with synonym instructions (example 10, %s): "
                    + "the model writes the Context's table on %.0f%% of the conflict prompts (mean logit diff %+.2f).", fixed,
                    100 * after.contextRate(), after.meanLogitDiff())));
            body.append(HtmlReport.figure(Svg.heatmap("head patching (normalized)", after.heads().values(), after.heads().rows(),
                    after.heads().columns(), true, 34), "synonym-trained model"));
        } else {
            body.append(HtmlReport.p("Run example 10 (org.tinysql.examples.E10FlawedHeuristic) to retrain on synonym instructions and "
                    + "add the comparison here."));
        }
        html.section("Flawed heuristic: where the table name comes from", body.toString());
    }

    void sae(Transformer model, HfTokenizer tok, Path data) throws IOException {
        List<TinySqlExample> train = DatasetIO.read(data, Split.TRAIN);
        train = train.subList(0, Math.min(3000, train.size()));
        ActivationStore store = ActivationStore.fromModel(model, tok, train, SAE_HOOK, 16, 16_384, seed);
        int c = model.config().dModel();
        SaeTrainer.Trained fit;
        try (ConsoleProgressBar bar = new ConsoleProgressBar("sae topk", saeSteps)) {
            fit = SaeTrainer.fit(store, SaeConfig.topK(c, 8 * c, 16).withHook(SAE_HOOK), false, 1e-3, 1024, saeSteps, seed,
                    model.kernels(), bar);
        }
        Sae sae = fit.sae();
        SaeTrainer.StepStats st = fit.last();
        sae.save(out.resolve("sae"));
        List<TinySqlExample> val = DatasetIO.read(data, Split.VALIDATION);
        val = val.subList(0, Math.min(150, val.size()));
        SaeMetrics.Reconstruction rec = SaeCommand.evaluate(model, tok, sae, val);
        SaeMetrics.Splice sp = SaeMetrics.splice(model, tok, sae, SAE_HOOK, val.subList(0, Math.min(60, val.size())));
        System.out.println("== TopK SAE on " + SAE_HOOK + ": " + st.describe());
        System.out.println("   " + SaeMetrics.describe(rec, sp));
        FeatureAnalysis.Result fa;
        try (ConsoleProgressBar bar = new ConsoleProgressBar("sae features", val.size())) {
            fa = FeatureAnalysis.run(model, tok, sae, SAE_HOOK, val, 4, 5, 3, bar);
        }
        List<List<String>> rows = new ArrayList<>();
        for (SaeStudy.RoleFeature f : SaeStudy.roleFeatures(fa)) {
            rows.add(List.of(f.role(), String.valueOf(f.latent()), String.format(Locale.ROOT, "%.2f", f.share()),
                    String.format(Locale.ROOT, "%.2f", f.recall()), f.context()));
        }
        html.section("Sparse autoencoder", HtmlReport.p(String.format(Locale.ROOT, "TopK SAE (k=16, %d latents) on %s, %d steps of 1024 "
                        + "activations: %s", sae.config().dSae(), SAE_HOOK, saeSteps, SaeMetrics.describe(rec, sp)))
                + HtmlReport.p("Latents most specific to each token role (share of the latent's activation on that role x fraction of "
                + "the role's tokens it fires on), with the top-activating token in [[brackets]]:")
                + HtmlReport.table(List.of("token role", "latent", "share", "recall", "top activation"), rows));
    }
}
