package org.tinysql.interp.report;

import java.io.IOException;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.tinysql.util.AtomicFiles;

/** A self-contained HTML report (inline CSS and SVG, no scripts, no external resources). */
public final class HtmlReport {
    private final String title;
    private final List<String[]> sections = new ArrayList<>();

    /**
     * An empty report.
     *
     * @param title the page title and heading, escaped
     */
    public HtmlReport(String title) {
        this.title = title;
    }

    /**
     * Adds a section with an already-built HTML body.
     *
     * @param heading the section heading, escaped; also its link in the navigation bar
     * @param html    the body, inserted as is (build it with {@link #p}, {@link #table} etc.)
     * @return this report, for chaining
     */
    public HtmlReport section(String heading, String html) {
        sections.add(new String[] {heading, html});
        return this;
    }

    /**
     * A paragraph.
     *
     * @param text the plain text, escaped
     * @return the {@code <p>} element
     */
    public static String p(String text) {
        return "<p>" + Svg.escape(text) + "</p>\n";
    }

    /**
     * Preformatted text, e.g. a text table.
     *
     * @param text the plain text, escaped
     * @return the {@code <pre>} element
     */
    public static String pre(String text) {
        return "<pre>" + Svg.escape(text) + "</pre>\n";
    }

    /**
     * A table; cells are escaped.
     *
     * @param headers the column headers
     * @param rows    the rows of cells
     * @return the {@code <table>} element
     */
    public static String table(List<String> headers, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder("<table><thead><tr>");
        for (String h : headers) {
            sb.append("<th>").append(Svg.escape(h)).append("</th>");
        }
        sb.append("</tr></thead><tbody>");
        for (List<String> r : rows) {
            sb.append("<tr>");
            for (String c : r) {
                sb.append("<td>").append(Svg.escape(c)).append("</td>");
            }
            sb.append("</tr>");
        }
        return sb.append("</tbody></table>\n").toString();
    }

    /**
     * An inline SVG in a figure with a caption.
     *
     * @param svg     the SVG document, inserted as is
     * @param caption the caption, escaped
     * @return the {@code <figure>} element
     */
    public static String figure(String svg, String caption) {
        return "<figure>" + svg + "<figcaption>" + Svg.escape(caption) + "</figcaption></figure>\n";
    }

    /**
     * The whole page: title, generation time, a navigation bar and the sections in order.
     *
     * @return the HTML document
     */
    public String html() {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(Svg.escape(title)).append("</title>\n");
        sb.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#111}")
                .append("h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}")
                .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:.9em}")
                .append("th{background:#f3f4f6}pre{background:#f8f8f8;padding:.6em;overflow-x:auto;font-size:.85em}")
                .append("figure{margin:1em 0;display:inline-block;vertical-align:top}figcaption{font-size:.85em;color:#555}")
                .append("nav a{margin-right:1em}\n</style></head><body>\n");
        sb.append("<h1>").append(Svg.escape(title)).append("</h1>\n<p class=\"meta\">Generated ")
                .append(Svg.escape(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME))).append(" by TinySQL-J.</p>\n<nav>");
        for (int i = 0; i < sections.size(); i++) {
            sb.append("<a href=\"#s").append(i).append("\">").append(Svg.escape(sections.get(i)[0])).append("</a>");
        }
        sb.append("</nav>\n");
        for (int i = 0; i < sections.size(); i++) {
            sb.append("<section id=\"s").append(i).append("\"><h2>").append(Svg.escape(sections.get(i)[0])).append("</h2>\n")
                    .append(sections.get(i)[1]).append("</section>\n");
        }
        return sb.append("</body></html>\n").toString();
    }

    /**
     * Writes the report atomically.
     *
     * @param file the {@code .html} file, replaced if present
     * @throws IOException if it cannot be written
     */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, html());
    }
}
