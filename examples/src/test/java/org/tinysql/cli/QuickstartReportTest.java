package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
        renderWithChromium(report.resolve("index.html"), dir);
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

    /** Headless Chromium opens the report, logs no error and takes a screenshot (skipped where Chromium is absent). */
    static void renderWithChromium(Path index, Path dir) throws Exception {
        String exe = null;
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(p, name))) {
                    exe = Path.of(p, name).toString();
                    break;
                }
            }
            if (exe != null) {
                break;
            }
        }
        Assumptions.assumeTrue(exe != null, "Chromium is not installed: the render check is skipped");
        Path png = dir.resolve("report.png");
        List<String> cmd = new ArrayList<>(List.of(exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--enable-logging=stderr", "--v=0", "--user-data-dir=" + dir.resolve("chrome-profile"),
                "--window-size=1200,3000", "--screenshot=" + png, index.toUri().toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        assertTrue(Files.exists(png) && Files.size(png) > 10_000, "screenshot missing or empty; chromium said:\n" + log);
        for (String line : log.split("\n")) {
            assertTrue(!line.contains("CONSOLE") && !line.contains("Uncaught"), "page error: " + line);
        }
    }
}
