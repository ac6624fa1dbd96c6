package org.tinysql.interp.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.tinysql.data.CommandSet;

/**
 * The study's tables, as rows of strings ({@link #accuracy}, {@link #circuits}, ...) that both {@code study.md} and
 * the HTML report print, and as Markdown ({@link #markdown}).
 */
public final class StudyTables {

    private StudyTables() {
    }

    /** A table: a title, its column headers and rows. */
    record Table(String title, List<String> headers, List<List<String>> rows) {
    }

    static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    static String num(double v, int decimals) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** A number with its sign, e.g. {@code +1.25} or {@code -0.40}. */
    static String signed(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%+.2f", v);
    }

    /** Accuracy matrix: exact / execution per model and test command set. */
    static Table accuracy(Study.Result r) {
        List<String> h = new ArrayList<>(List.of("model", "trained on"));
        for (CommandSet cs : CommandSet.values()) {
            h.add(cs + " exact / execution");
        }
        List<List<String>> rows = new ArrayList<>();
        for (StudyModel m : r.models()) {
            List<String> row = new ArrayList<>(List.of(m.name(), m.label()));
            for (CommandSet cs : CommandSet.values()) {
                AccuracyMatrix.Cell c = cell(r, m, cs);
                row.add(c == null ? "" : pct(c.exact()) + " / " + pct(c.execution()));
            }
            rows.add(row);
        }
        return new Table("Accuracy matrix (greedy decoding on held-out test prompts; each model on its command set and every lower one)", h, rows);
    }

    static AccuracyMatrix.Cell cell(Study.Result r, StudyModel m, CommandSet cs) {
        return r.accuracy().getOrDefault(m.name(), List.of()).stream().filter(c -> c.commandSet() == cs.level()).findFirst().orElse(null);
    }

    /** Structural and partial accuracy and per-clause accuracy on each model's own command set. */
    static Table clauses(Study.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (StudyModel m : r.models()) {
            AccuracyMatrix.Cell c = cell(r, m, m.commandSet());
            if (c != null) {
                rows.add(List.of(m.name(), String.valueOf(c.prompts()), pct(c.structural()), pct(c.partial()),
                        c.clauses().entrySet().stream().map(e -> e.getKey() + " " + pct(e.getValue())).collect(Collectors.joining(", "))));
            }
        }
        return new Table("Per-clause accuracy on the model's own command set", List.of("model", "prompts", "structural", "partial",
                "structural per clause"), rows);
    }

    /** One row per (model, kind, method). */
    static Table circuits(Study.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (StudyModel m : r.models()) {
            for (CircuitStudy.KindCircuit c : r.circuits().getOrDefault(m.name(), List.of())) {
                if (c.skipped() != null) {
                    rows.add(List.of(m.name(), c.kind(), c.method(), "skipped: " + c.skipped(), "", "", "", "", "", "", "", ""));
                    continue;
                }
                String nodes = c.topNodes().stream().limit(4).map(CircuitStudy.NodeScore::node).collect(Collectors.joining(" "));
                rows.add(List.of(m.name(), c.kind(), c.method(), c.metric(), String.valueOf(c.pairs()),
                        num(c.cleanMetric(), 3) + " / " + num(c.corruptMetric(), 3),
                        c.edgesForTarget() + " / " + c.totalEdges(), num(c.faithfulness(), 3), num(c.curveArea(), 3),
                        c.batches() == 0 ? "-" : String.valueOf(c.stableEdges().size()), num(c.batchJaccard(), 2), nodes));
            }
        }
        return new Table(String.format(Locale.ROOT, "Circuits per corruption kind (edges for faithfulness >= %.2f; stable: in the top %d "
                        + "of every batch of %d pairs)", r.options().faithfulnessTarget(), r.options().stableTop(), r.options().pairsPerBatch()),
                List.of("model", "kind", "method", "metric", "pairs", "clean / corrupt metric", "edges for target / all", "faithfulness",
                        "curve area", "stable edges", "batch Jaccard", "top nodes"), rows);
    }

    /** The minimal circuit per model. */
    static Table minimal(Study.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (StudyModel m : r.models()) {
            MinimalStudy.Minimal x = r.minimal().get(m.name());
            if (x != null) {
                rows.add(List.of(m.name(), x.prompts() + " x " + x.promptTokens(), x.kept().size() + " / " + x.totalHeads(),
                        num(x.fullSimilarity(), 3) + " / " + pct(x.fullExact()), num(x.similarity(), 3) + " / " + pct(x.exact()),
                        String.join(" ", x.kept())));
            }
        }
        return new Table(String.format(Locale.ROOT, "Minimal circuits (heads mean-ablated per position, removed greedily while the "
                + "output similarity stays >= %.2f of the intact model's)", r.options().faithfulnessTarget()),
                List.of("model", "prompts x tokens", "heads kept / all", "intact: similarity / exact", "minimal: similarity / exact",
                        "heads kept"), rows);
    }

    /** Mean Jaccard per comparison. */
    static Table variation(Study.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (List<CircuitVariation.Matrix> group : List.of(r.acrossSets(), r.acrossKinds())) {
            for (CircuitVariation.Matrix x : group) {
                rows.add(List.of(x.title(), String.valueOf(x.names().size()), num(x.meanEdge(), 3), num(x.meanNode(), 3)));
            }
        }
        return new Table("Circuit variation (mean pairwise Jaccard of the EAP circuits)", List.of("comparison", "circuits",
                "edge Jaccard", "node Jaccard"), rows);
    }

    /** The layer where each SQL role becomes top-1. */
    static Table lens(Study.Result r) {
        List<List<String>> rows = new ArrayList<>();
        List<String> h = new ArrayList<>(List.of("model"));
        boolean header = false;
        for (StudyModel m : r.models()) {
            LensStudy.Lens l = r.lens().get(m.name());
            if (l == null) {
                continue;
            }
            if (!header) {
                l.roles().forEach(role -> h.add(role + ": resolved at (top-1 at the end)"));
                header = true;
            }
            List<String> row = new ArrayList<>(List.of(m.name()));
            int last = l.layers().size() - 1;
            for (int i = 0; i < l.roles().size(); i++) {
                int at = l.resolvedAt().getOrDefault(l.roles().get(i), -1);
                row.add((at < 0 ? "never" : l.layers().get(at)) + " (" + pct(l.top1()[last][i]) + ")");
            }
            rows.add(row);
        }
        return new Table(String.format(Locale.ROOT, "Logit lens by SQL role: the first residual-stream point where the next token is "
                + "top-1 on at least %.0f%% of positions", 100 * LensStudy.RESOLVED), h, rows);
    }

    /** SAE metrics per (model, hook). */
    static Table saes(Study.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (StudyModel m : r.models()) {
            for (SaeStudy.SaeResult s : r.saes().getOrDefault(m.name(), List.of())) {
                rows.add(List.of(m.name(), s.hook(), String.valueOf(s.dSae()), num(s.l0(), 1), num(s.fvu(), 3), pct(s.ceRecovered()),
                        num(s.deltaLoss(), 3), pct(s.deadFraction())));
            }
        }
        return new Table(String.format(Locale.ROOT, "TopK SAEs (%dx, k = %d, %d steps of 1024 activations)", r.options().saeExpansion(),
                r.options().saeK(), r.options().saeSteps()), List.of("model", "hook", "latents", "L0", "FVU", String.format(Locale.ROOT,
                "CE recovered (- where zero-ablating the hook costs < %.3f nats)", org.tinysql.interp.sae.SaeMetrics.MIN_ABLATION_LOSS),
                "delta CE (nats)", "dead"), rows);
    }

    /** The roles whose features the tables list (every role is in study.json). */
    static final java.util.Set<String> FEATURE_ROLES = java.util.Set.of("instruction table", "instruction field", "context table",
            "context field", "response keyword", "response table", "response field");

    /** The most specific latent per (model, role) of the SAE on the last layer's residual stream. */
    static Table features(Study.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (StudyModel m : r.models()) {
            List<SaeStudy.SaeResult> saes = r.saes().getOrDefault(m.name(), List.of());
            SaeStudy.SaeResult s = saes.stream().filter(x -> x.hook().endsWith("hook_resid_post")).reduce((a, b) -> b).orElse(null);
            if (s == null) {
                continue;
            }
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (SaeStudy.RoleFeature f : s.features()) {
                if (FEATURE_ROLES.contains(f.role()) && seen.add(f.role())) {
                    rows.add(List.of(m.name(), s.hook(), f.role(), String.valueOf(f.latent()), num(f.share(), 2), num(f.recall(), 2),
                            f.context()));
                }
            }
        }
        return new Table("The most specific latent per token role of the SAE on the last residual stream (share of its activation on "
                + "the role x recall of the role's tokens; every hook and role in study.json)",
                List.of("model", "hook", "role", "latent", "share", "recall", "top activation"), rows);
    }

    /** The error-prediction probes per model. */
    static Table probes(Study.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (StudyModel m : r.models()) {
            ErrorProbe.Probe p = r.probes().get(m.name());
            if (p != null) {
                rows.add(List.of(m.name(), p.hook(), p.wrong() + " / " + p.prompts(), String.valueOf(p.testRows()),
                        p.skipped() == null ? num(p.saeAuroc(), 3) : "skipped: " + p.skipped(), num(p.residualAuroc(), 3),
                        String.valueOf(p.saeFeatures())));
            }
        }
        return new Table("Error prediction: logistic regression on the answer positions' mean activations predicts a wrong answer "
                + "(AUROC on held-out prompts; 0.5 is chance)", List.of("model", "hook", "wrong / prompts", "test prompts",
                "AUROC, SAE latents", "AUROC, raw residual", "SAE latents used"), rows);
    }

    /** The table-name heuristic per model. */
    static Table heuristics(Study.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (StudyModel m : r.models()) {
            Study.Heuristic h = r.heuristics().get(m.name());
            if (h != null && h.skipped() != null) {
                rows.add(List.of(m.name(), m.variant().name().toLowerCase(Locale.ROOT), "0", "skipped: " + h.skipped(), "", "", "", ""));
            } else if (h != null) {
                rows.add(List.of(m.name(), m.variant().name().toLowerCase(Locale.ROOT), String.valueOf(h.pairs()), pct(h.contextRate()),
                        pct(1 - h.contextRate()), num(h.meanLogitDiff(), 2), num(h.cleanLogitDiff(), 2), h.topHeads().stream()
                                .map(e -> e.head() + " " + signed(e.logitChange()) + " (" + (h.normalizable() ? num(e.effect(), 2) : "-") + ")")
                                .collect(Collectors.joining(", "))));
            }
        }
        return new Table("Flawed heuristic: conflict prompts (the instruction names table X, the Context defines Y; the correct SQL uses Y)",
                List.of("model", "training instructions", "prompts", "follows the Context (Y)", "copies the instruction (X)",
                        "mean logit[Y] - logit[X]", "the same, clean prompts",
                        "heads carrying it: patched in from clean, change of logit[Y] - logit[X] (normalized; - where clean and conflict differ by < "
                                + num(Study.Heuristic.MIN_NORMALIZING_GAP, 0) + " logit)"), rows);
    }

    /** @return every table, in report order */
    static List<Table> all(Study.Result r) {
        return List.of(accuracy(r), clauses(r), circuits(r), variation(r), minimal(r), lens(r), saes(r), features(r), probes(r), heuristics(r),
                time(r));
    }

    /** The analysis families of {@link Study.Result#analysisSeconds()}, in study order. */
    private static final List<Analysis> TIME_COLUMNS = List.of(Analysis.values());

    /** Minutes per model and analysis family, with a total per model and per family. */
    static Table time(Study.Result r) {
        List<String> h = new ArrayList<>(List.of("model"));
        TIME_COLUMNS.forEach(c -> h.add(c.header()));
        h.add("total");
        Map<String, Map<String, Double>> seconds = r.analysisSeconds() == null ? Map.of() : r.analysisSeconds();
        double[] sums = new double[TIME_COLUMNS.size() + 1];
        List<List<String>> rows = new ArrayList<>();
        for (StudyModel m : r.models()) {
            Map<String, Double> byFamily = seconds.getOrDefault(m.name(), Map.of());
            List<String> row = new ArrayList<>(List.of(m.name()));
            double total = 0;
            for (int i = 0; i < TIME_COLUMNS.size(); i++) {
                Double s = byFamily.get(TIME_COLUMNS.get(i).key());
                row.add(s == null ? "-" : num(s / 60, 1));
                if (s != null) {
                    total += s;
                    sums[i] += s;
                }
            }
            sums[TIME_COLUMNS.size()] += total;
            row.add(num(total / 60, 1));
            rows.add(row);
        }
        if (r.models().size() > 1) {
            List<String> row = new ArrayList<>(List.of("all models"));
            for (double s : sums) {
                row.add(num(s / 60, 1));
            }
            rows.add(row);
        }
        return new Table("Time per analysis (minutes; a reused result counts the time it took when it was computed)", h, rows);
    }

    /**
     * The study as Markdown: a header with the run's settings, then every table.
     *
     * @param r the results
     * @return the document
     */
    public static String markdown(Study.Result r) {
        StringBuilder md = new StringBuilder("# TinySQL study\n\n");
        md.append(String.format(Locale.ROOT, "%d models, %.1f minutes (%d results computed, %d reused from earlier runs).%n%n",
                r.models().size(), r.minutes(), r.computed(), r.reused()));
        for (Table t : all(r)) {
            md.append("## ").append(t.title()).append("\n\n");
            if (t.rows().isEmpty()) {
                md.append("(none)\n\n");
                continue;
            }
            md.append("| ").append(String.join(" | ", t.headers())).append(" |\n|");
            md.append(" --- |".repeat(t.headers().size())).append('\n');
            for (List<String> row : t.rows()) {
                md.append("| ").append(row.stream().map(StudyTables::cellText).collect(Collectors.joining(" | "))).append(" |\n");
            }
            md.append('\n');
        }
        return md.toString();
    }

    /** A Markdown cell: pipes escaped, line breaks as spaces. */
    static String cellText(String s) {
        return s.replace("|", "\\|").replace('\n', ' ').replace('\r', ' ');
    }

    /** @return per model name, its label (for figure captions) */
    static Map<String, String> labels(Study.Result r) {
        return r.models().stream().collect(Collectors.toMap(StudyModel::name, StudyModel::label, (a, b) -> a, java.util.LinkedHashMap::new));
    }
}
