package org.tinysql.interp.eap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.tinysql.interp.HeadName;

/** JSON and SVG exports of EAP scores and circuits. */
public final class GraphExport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private GraphExport() {
    }

    /**
     * The graph, every edge's score and whether it is in {@code circuit} (may be null), plus the metric values and an
     * optional faithfulness curve.
     *
     * @param r       the edge scores
     * @param circuit the circuit to mark, or {@code null}
     * @param curve   the faithfulness curve, or {@code null}
     * @return a new JSON tree
     */
    public static ObjectNode toJson(EapResult r, Circuit circuit, Faithfulness.Curve curve) {
        ObjectNode root = JSON.createObjectNode();
        root.put("method", r.method());
        root.put("metric", r.metric().name().toLowerCase(Locale.ROOT));
        root.put("examples", r.examples());
        root.put("clean_metric", r.cleanMetric());
        root.put("corrupt_metric", r.corruptMetric());
        root.put("model", r.graph().config().toString());
        ArrayNode nodes = root.putArray("nodes");
        Set<String> inNodes = circuit != null ? circuit.nodeNames() : Set.of();
        for (String n : nodeNames(r.graph())) {
            ObjectNode o = nodes.addObject();
            o.put("name", n);
            o.put("in_circuit", inNodes.contains(n));
        }
        ArrayNode edges = root.putArray("edges");
        for (int[] e : r.ranked()) {
            ObjectNode o = edges.addObject();
            o.put("src", r.graph().sources().get(e[0]).name());
            o.put("dst", r.graph().dests().get(e[1]).name());
            o.put("score", r.scores()[e[0]][e[1]]);
            o.put("in_circuit", circuit != null && circuit.contains(e[0], e[1]));
        }
        if (circuit != null) {
            root.put("circuit_edges", circuit.edgeCount());
        }
        if (curve != null) {
            ObjectNode f = root.putObject("faithfulness");
            f.put("area", curve.area());
            f.put("total_edges", curve.totalEdges());
            ArrayNode pts = f.putArray("points");
            for (Faithfulness.Point p : curve.points()) {
                ObjectNode o = pts.addObject();
                o.put("edges", p.edges());
                o.put("edges_after_prune", p.edgesAfterPrune());
                o.put("faithfulness", p.faithfulness());
            }
        }
        return root;
    }

    /**
     * Node names in layer order: input, a0.h0.., m0, ..., logits.
     *
     * @param g the graph
     * @return the source names, then {@code logits}
     */
    public static List<String> nodeNames(EapGraph g) {
        List<String> l = new java.util.ArrayList<>();
        for (EapGraph.Source s : g.sources()) {
            l.add(s.name());
        }
        l.add("logits");
        return l;
    }

    /**
     * Writes a JSON export atomically.
     *
     * @param json the export, e.g. from {@link #toJson}
     * @param file the file, replaced if present; written indented
     * @throws IOException if it cannot be written
     */
    public static void writeJson(ObjectNode json, Path file) throws IOException {
        org.tinysql.util.AtomicFiles.writeString(file, JSON.writeValueAsString(json));
    }

    /**
     * An SVG drawing of a circuit: rows from the input (bottom) to the logits (top), one row per attention layer and
     * MLP (MLPs to the right of the heads); edges coloured by the sign of the score (red: negative, i.e. patching the
     * edge with its corrupt value lowers the metric, the edge carries the clean behaviour; blue: positive), width by
     * |score|; q/k/v inputs are marked by the edge's dash pattern (q solid, k dashed, v dotted).
     *
     * @param r       the edge scores
     * @param circuit the edges drawn
     * @param title   the caption, escaped
     * @return the SVG document
     */
    public static String toSvg(EapResult r, Circuit circuit, String title) {
        EapGraph g = r.graph();
        int L = g.config().nLayers();
        int H = g.config().nHeads();
        int colW = 70;
        int rowH = 90;
        int width = Math.max(360, (H + 2) * colW);
        int rows = 2 * L + 2;
        int height = rows * rowH + 60;
        Map<String, double[]> at = new HashMap<>();
        at.put("input", new double[] {width / 2.0, height - 40});
        at.put("logits", new double[] {width / 2.0, 70});
        for (int l = 0; l < L; l++) {
            double yAttn = height - 40 - (2 * l + 1) * rowH;
            double yMlp = yAttn - rowH;
            double left = (width - (H + 1) * colW) / 2.0;
            for (int h = 0; h < H; h++) {
                at.put(HeadName.of(l, h), new double[] {left + colW * (h + 0.5), yAttn});
            }
            at.put("m" + l, new double[] {left + colW * (H + 0.5), yMlp});
        }
        double max = 1e-12;
        List<int[]> edges = circuit.edges();
        for (int[] e : edges) {
            max = Math.max(max, Math.abs(r.scores()[e[0]][e[1]]));
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">\n", width, height, width, height));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append("<text x=\"8\" y=\"18\" font-size=\"13\" font-weight=\"bold\">").append(escape(title)).append("</text>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"34\">%s, %s, %d edges; clean %.3f, corrupt %.3f</text>\n",
                escape(r.method()), r.metric().name().toLowerCase(Locale.ROOT), edges.size(), r.cleanMetric(), r.corruptMetric()));
        for (int[] e : edges) {
            double s = r.scores()[e[0]][e[1]];
            EapGraph.Dest d = g.dests().get(e[1]);
            double[] a = at.get(g.sources().get(e[0]).name());
            double[] b = at.get(d.node());
            String dash = d.qkv() == null || d.qkv().letter.equals("q") ? "" : d.qkv().letter.equals("k") ? " stroke-dasharray=\"6 3\"" : " stroke-dasharray=\"2 3\"";
            double w = 0.6 + 5.4 * Math.abs(s) / max;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.2f\" "
                    + "stroke-opacity=\"0.75\"%s><title>%s %.4g</title></line>\n", a[0], a[1], b[0], b[1], s >= 0 ? "#2563eb" : "#dc2626",
                    w, dash, escape(g.edgeName(e[0], e[1])), s));
        }
        Set<String> used = circuit.nodeNames();
        Map<String, double[]> ordered = new LinkedHashMap<>(at);
        for (Map.Entry<String, double[]> n : ordered.entrySet()) {
            boolean on = used.contains(n.getKey());
            String fill = n.getKey().startsWith("a") ? "#fde68a" : n.getKey().startsWith("m") ? "#bbf7d0" : "#e5e7eb";
            sb.append(String.format(Locale.ROOT, "<g><circle cx=\"%.1f\" cy=\"%.1f\" r=\"17\" fill=\"%s\" stroke=\"#111\" stroke-width=\"%s\" "
                    + "opacity=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text></g>\n", n.getValue()[0], n.getValue()[1],
                    fill, on ? "1.5" : "0.5", on ? "1" : "0.35", n.getValue()[0], n.getValue()[1] + 4, escape(n.getKey())));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
