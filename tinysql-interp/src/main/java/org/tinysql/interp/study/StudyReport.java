package org.tinysql.interp.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.tinysql.data.CommandSet;
import org.tinysql.data.TextLines;
import org.tinysql.interp.report.HtmlReport;
import org.tinysql.interp.report.Svg;

/**
 * The study's self-contained HTML report: every table of {@link StudyTables} with figures beside them (accuracy
 * heatmap, the EAP circuits of each corruption kind side by side across models, Jaccard heatmaps, logit-lens and SAE
 * metric heatmaps, head patching of the table-name heuristic).
 */
final class StudyReport {
    private static final int MAX_SVG_BYTES = 4 << 20;

    private StudyReport() {
    }

    static HtmlReport html(Study.Result r, ResultStore store) throws IOException {
        HtmlReport html = new HtmlReport("TinySQL study");
        html.section("Models", HtmlReport.p(String.format(Locale.ROOT, "%d models, %.1f minutes in this run (%d results computed, %d reused). "
                        + "Every number is in study.json; results per model and analysis in results/.", r.models().size(), r.minutes(),
                        r.computed(), r.reused()))
                + HtmlReport.table(List.of("model", "trained on", "folder"), r.models().stream()
                        .map(m -> List.of(m.name(), m.label(), m.dir().toString())).toList()));
        html.section("Accuracy", accuracyFigure(r) + table(StudyTables.accuracy(r)) + table(StudyTables.clauses(r)) + wrongExamples(r));
        html.section("Circuits", table(StudyTables.circuits(r)) + circuitFigures(r, store));
        html.section("Circuit variation", table(StudyTables.variation(r)) + jaccardFigures(r));
        html.section("Minimal circuits", table(StudyTables.minimal(r)));
        html.section("Logit lens", table(StudyTables.lens(r)) + lensFigures(r));
        html.section("Sparse autoencoders", table(StudyTables.saes(r)) + saeFigures(r) + table(StudyTables.features(r)));
        html.section("Error prediction", table(StudyTables.probes(r)));
        html.section("Flawed heuristic", table(StudyTables.heuristics(r)) + heuristicFigures(r));
        html.section("Time", table(StudyTables.time(r)));
        return html;
    }

    private static String table(StudyTables.Table t) {
        return HtmlReport.p(t.title()) + (t.rows().isEmpty() ? HtmlReport.p("(none)") : HtmlReport.table(t.headers(), t.rows()));
    }

    private static List<String> names(Study.Result r) {
        return r.models().stream().map(StudyModel::name).toList();
    }

    private static String accuracyFigure(Study.Result r) {
        List<String> cols = new ArrayList<>();
        for (CommandSet cs : CommandSet.values()) {
            cols.add(cs.name());
        }
        double[][] v = new double[r.models().size()][CommandSet.values().length];
        for (int i = 0; i < v.length; i++) {
            for (CommandSet cs : CommandSet.values()) {
                AccuracyMatrix.Cell c = StudyTables.cell(r, r.models().get(i), cs);
                v[i][cs.ordinal()] = c == null ? Double.NaN : c.exact();
            }
        }
        return HtmlReport.figure(Svg.heatmap("exact match", v, names(r), cols, false, 34),
                "Exact-match accuracy of each model (rows) on each command set's test prompts (columns); grey: not evaluated.");
    }

    private static String wrongExamples(Study.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (StudyModel m : r.models()) {
            for (AccuracyMatrix.Cell c : r.accuracy().getOrDefault(m.name(), List.of())) {
                for (List<String> w : c.wrong()) {
                    List<String> row = new ArrayList<>(List.of(m.name(), "CS" + c.commandSet()));
                    row.addAll(w);
                    rows.add(row);
                }
            }
        }
        return rows.isEmpty() ? "" : HtmlReport.p("Wrong predictions (the first few per cell):")
                + HtmlReport.table(List.of("model", "test set", "instruction", "gold SQL", "predicted SQL"), rows);
    }

    /** Per corruption kind, the EAP circuits of every model that has one, side by side. */
    private static String circuitFigures(Study.Result r, ResultStore store) throws IOException {
        Set<String> kinds = new LinkedHashSet<>();
        r.circuits().values().forEach(l -> l.forEach(c -> kinds.add(c.kind())));
        StringBuilder sb = new StringBuilder();
        for (String kind : kinds) {
            StringBuilder row = new StringBuilder();
            for (StudyModel m : r.models()) {
                Path svg = store.circuitSvg(m.name(), kind);
                if (Files.isRegularFile(svg)) {
                    row.append(HtmlReport.figure(TextLines.readString(svg, MAX_SVG_BYTES), m.name() + ": " + kind));
                }
            }
            if (row.length() > 0) {
                sb.append("<h3>").append(Svg.escape(kind)).append("</h3>\n").append(row);
            }
        }
        return sb.toString();
    }

    private static String jaccardFigures(Study.Result r) {
        StringBuilder sb = new StringBuilder();
        for (List<CircuitVariation.Matrix> group : List.of(r.acrossSets(), r.acrossKinds())) {
            for (CircuitVariation.Matrix x : group) {
                sb.append(HtmlReport.figure(Svg.heatmap("edge Jaccard", x.edge(), x.names(), x.names(), false, 26), x.title()));
            }
        }
        return sb.toString();
    }

    private static String lensFigures(Study.Result r) {
        StringBuilder sb = new StringBuilder();
        for (StudyModel m : r.models()) {
            LensStudy.Lens l = r.lens().get(m.name());
            if (l != null) {
                sb.append(HtmlReport.figure(Svg.heatmap(m.name() + ": top-1 rate", l.top1(), l.layers(), l.roles(), false, 30),
                        "rows: residual-stream points; columns: SQL role of the next token"));
            }
        }
        return sb.toString();
    }

    private static String saeFigures(Study.Result r) {
        Set<String> hooks = new LinkedHashSet<>();
        r.saes().values().forEach(l -> l.forEach(s -> hooks.add(s.hook())));
        if (hooks.isEmpty()) {
            return "";
        }
        List<String> cols = List.copyOf(hooks);
        double[][] fvu = new double[r.models().size()][cols.size()];
        double[][] ce = new double[r.models().size()][cols.size()];
        for (int i = 0; i < fvu.length; i++) {
            java.util.Arrays.fill(fvu[i], Double.NaN);
            java.util.Arrays.fill(ce[i], Double.NaN);
            for (SaeStudy.SaeResult s : r.saes().getOrDefault(r.models().get(i).name(), List.of())) {
                fvu[i][cols.indexOf(s.hook())] = s.fvu();
                ce[i][cols.indexOf(s.hook())] = s.ceRecovered();
            }
        }
        List<String> short_ = cols.stream().map(h -> h.replace("blocks.", "").replace("hook_", "")).toList();
        return HtmlReport.figure(Svg.heatmap("FVU", fvu, names(r), short_, false, 34), "fraction of variance unexplained (lower is better)")
                + HtmlReport.figure(Svg.heatmap("CE recovered", ce, names(r), short_, false, 34), "CE-loss recovered when spliced in (blank where zero-ablating the hook costs almost nothing)");
    }

    private static String heuristicFigures(Study.Result r) {
        StringBuilder sb = new StringBuilder();
        for (StudyModel m : r.models()) {
            Study.Heuristic h = r.heuristics().get(m.name());
            if (h == null || h.heads().length == 0) {
                continue;
            }
            List<String> rows = new ArrayList<>();
            for (int l = 0; l < h.heads().length; l++) {
                rows.add("layer " + l);
            }
            List<String> cols = new ArrayList<>();
            for (int k = 0; k < h.heads()[0].length; k++) {
                cols.add("h" + k);
            }
            sb.append(HtmlReport.figure(Svg.heatmap(m.name(), h.heads(), rows, cols, true, 30), "head-output patching, clean into conflict: change of logit[Y] - logit[X] in logits"));
        }
        return sb.toString();
    }
}
