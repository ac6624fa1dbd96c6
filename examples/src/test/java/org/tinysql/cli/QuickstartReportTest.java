package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;
import picocli.CommandLine;

/** A miniature quickstart (tiny data and step counts) writes every artefact and a report that Chromium renders. */
class QuickstartReportTest {

    @Test
    void miniatureQuickstartWritesTheReport(@TempDir Path dir) throws Exception {
        Path work = dir.resolve("work");
        Path report = dir.resolve("report");
        String[] args = {"quickstart", "--out", work.toString(), "--report", report.toString(), "--n", "2000", "--steps", "30",
            "--batch", "8", "--eval", "12", "--sae-steps", "30"};
        assertEquals(0, new CommandLine(new TinySqlCli()).execute(args));
        String html = Files.readString(report.resolve("index.html"));
        for (String section : List.of("Datasets", "Training", "Accuracy", "Logit lens", "Circuit (EAP", "Attention patterns",
                "Flawed heuristic", "Sparse autoencoder")) {
            assertTrue(html.contains(section), "report section " + section);
        }
        assertTrue(html.contains("<svg") && !html.contains("<script"), "inline SVG, no scripts");
        assertTrue(Files.exists(work.resolve("eap").resolve("eap.json")));
        assertTrue(Files.exists(work.resolve("eap").resolve("circuit.svg")));
        assertTrue(Files.exists(work.resolve("sae").resolve("cfg.json")));
        assertTrue(Files.exists(work.resolve("cs1-model").resolve("model").resolve("model.safetensors")));
        // Resumable: a second run reuses the data and the model.
        String again = runCapturing(args);
        assertTrue(again.contains("dataset already in") && again.contains("trained model already in"), again);
        String exe = ChromiumCheck.require();
        assertEquals(List.of(), ChromiumCheck.problems(exe, report.resolve("index.html"), dir.resolve("chromium")),
                "the report renders cleanly in Chromium");
    }

    private static String runCapturing(String[] args) {
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, new CommandLine(new TinySqlCli()).execute(args));
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** The render check itself finds what can go wrong in a page without scripts. */
    @Test
    void theRenderCheckFindsBrokenPages(@TempDir Path dir) throws Exception {
        String exe = ChromiumCheck.require();
        String[][] pages = {
            {"<!doctype html><html><body></body></html>", "blank"},
            {"<!doctype html><html><body><h1>Loss</h1>" + "<p>text</p>".repeat(50)
                + "<svg width=\"300\" height=\"100\"><polyline points=\"0,10 NaN,20\"/><rect width=\"NaN\" height=\"5\"/></svg></body></html>",
                "console"},
            {"<!doctype html><html><body><h1>Plot</h1><img src=\"plot.png\"></body></html>", "external reference"}};
        for (String[] page : pages) {
            Path html = Files.writeString(dir.resolve(page[1].replace(' ', '-') + ".html"), page[0]);
            List<String> problems = ChromiumCheck.problems(exe, html, dir.resolve(page[1].replace(' ', '-')));
            assertTrue(problems.stream().anyMatch(p -> p.contains(page[1])), page[1] + ": " + problems);
        }
    }

    /** Without Chromium the render check skips, except with CI=true, where it fails. */
    @Test
    void aMissingChromiumFailsInCiAndSkipsElsewhere(@TempDir Path empty) {
        String none = empty.toString();
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> ChromiumCheck.require(none, "true"));
        assertTrue(e.getMessage().contains("CI=true but Chromium is not installed"), e.getMessage());
        assertThrows(TestAbortedException.class, () -> ChromiumCheck.require(none, null));
        assertThrows(TestAbortedException.class, () -> ChromiumCheck.require(none, "false"));
    }
}
