package org.tinysql.interp.report;

import java.util.List;
import java.util.Locale;

/** Small self-contained SVG charts for reports: line charts and heatmaps. */
public final class Svg {

    /**
     * A named series of (x, y) points.
     *
     * @param name the legend label
     * @param x    the x coordinates
     * @param y    the y coordinates, same length; non-finite points are skipped
     */
    public record Series(String name, double[] x, double[] y) {
    }

    private static final String[] COLORS = {"#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"};

    private Svg() {
    }

    /**
     * Escapes text for XML and HTML content and attribute values.
     *
     * @param s the text
     * @return it with {@code & < > "} replaced by entities
     */
    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /**
     * A line chart with axes, ticks and a legend.
     *
     * @param title  the chart title
     * @param xLabel the x-axis label
     * @param yLabel the y-axis label
     * @param series the lines, coloured in order (six colours, then repeated)
     * @param width  the drawing width in pixels
     * @param height the drawing height in pixels
     * @return the SVG document
     */
    public static String lineChart(String title, String xLabel, String yLabel, List<Series> series, int width, int height) {
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    continue;
                }
                x0 = Math.min(x0, s.x()[i]);
                x1 = Math.max(x1, s.x()[i]);
                y0 = Math.min(y0, s.y()[i]);
                y1 = Math.max(y1, s.y()[i]);
            }
        }
        if (!(x1 > x0)) {
            x1 = x0 + 1;
        }
        if (!(y1 > y0)) {
            y1 = y0 + 1;
        }
        int l = 60, r = 20, t = 30, b = 45;
        double pw = width - l - r, ph = height - t - b;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">", width, height, width, height));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\" font-weight=\"bold\">%s</text>", l, escape(title)));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#999\"/>", l, t, pw, ph));
        for (int i = 0; i <= 4; i++) {
            double yv = y0 + (y1 - y0) * i / 4;
            double yy = t + ph - ph * i / 4;
            double xv = x0 + (x1 - x0) * i / 4;
            double xx = l + pw * i / 4;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", l, yy, l + pw, yy));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", l - 4, yy + 4, fmt(yv)));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", xx, t + ph + 14, fmt(xv)));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", l + pw / 2, height - 8, escape(xLabel)));
        sb.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.1f)\">%s</text>",
                t + ph / 2, t + ph / 2, escape(yLabel)));
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    continue;
                }
                double xx = l + pw * (s.x()[i] - x0) / (x1 - x0);
                double yy = t + ph - ph * (s.y()[i] - y0) / (y1 - y0);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", xx, yy));
            }
            String color = COLORS[k % COLORS.length];
            sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" points=\"%s\"/>", color, pts.toString().trim()));
            sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%.1f\" y=\"%d\">%s</text>",
                    l + pw - 150, t + 8 + 14 * k, color, l + pw - 136, t + 17 + 14 * k, escape(s.name())));
        }
        return sb.append("</svg>").toString();
    }

    static String fmt(double v) {
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    /**
     * A heatmap of values[r][c]. Diverging: blue (negative) - white - red (positive) around 0 scaled by max |v|;
     * otherwise white to blue from min to max. Each cell has a tooltip with its value.
     *
     * @param title     the chart title
     * @param values    [rows][cols] the values; non-finite cells drawn apart
     * @param rows      the row labels
     * @param cols      the column labels, cut to 14 characters
     * @param diverging whether to use the diverging scale
     * @param cell      the side of a cell in pixels
     * @return the SVG document
     */
    public static String heatmap(String title, double[][] values, List<String> rows, List<String> cols, boolean diverging, int cell) {
        int rowsN = values.length;
        int colsN = rowsN == 0 ? 0 : values[0].length;
        int labelW = 10 + 7 * rows.stream().mapToInt(String::length).max().orElse(4);
        int labelH = 10 + 6 * Math.min(14, cols.stream().mapToInt(String::length).max().orElse(4));
        int width = labelW + colsN * cell + 20;
        int height = 30 + labelH + rowsN * cell + 10;
        double max = 1e-12, min = Double.POSITIVE_INFINITY, mx = Double.NEGATIVE_INFINITY;
        for (double[] r : values) {
            for (double v : r) {
                if (Double.isFinite(v)) {
                    max = Math.max(max, Math.abs(v));
                    min = Math.min(min, v);
                    mx = Math.max(mx, v);
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\" font-size=\"10\">", width, height, width, height));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        sb.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"16\" font-size=\"12\" font-weight=\"bold\">%s</text>", escape(title)));
        int top = 30 + labelH;
        for (int c = 0; c < colsN; c++) {
            String lab = cols.get(c).length() > 14 ? cols.get(c).substring(0, 14) : cols.get(c);
            double x = labelW + c * cell + cell / 2.0;
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" transform=\"rotate(-60 %.1f %d)\">%s</text>", x, top - 4, x, top - 4, escape(lab)));
        }
        for (int r = 0; r < rowsN; r++) {
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", labelW - 4, top + r * cell + cell * 0.7,
                    escape(rows.get(r))));
            for (int c = 0; c < colsN; c++) {
                double v = values[r][c];
                String fill;
                if (!Double.isFinite(v)) {
                    fill = "#f3f4f6";
                } else if (diverging) {
                    double a = Math.min(1, Math.abs(v) / max);
                    int k = (int) Math.round(255 * (1 - a));
                    fill = v >= 0 ? String.format("#ff%02x%02x", k, k) : String.format("#%02x%02xff", k, k);
                } else {
                    double a = mx > min ? (v - min) / (mx - min) : 0;
                    int k = (int) Math.round(255 * (1 - a));
                    fill = String.format("#%02x%02xff", k, k);
                }
                sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s / %s: %.4g</title></rect>",
                        labelW + c * cell, top + r * cell, cell, cell, fill, escape(rows.get(r)), escape(cols.get(c)), v));
            }
        }
        return sb.append("</svg>").toString();
    }
}
