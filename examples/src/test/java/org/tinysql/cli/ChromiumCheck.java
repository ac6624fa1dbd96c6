package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;

/**
 * Renders an HTML report in headless Chromium and lists what is wrong with it: errors Chromium reports on its console
 * (scripts, and SVG attributes it cannot parse, such as a NaN coordinate), a screenshot with (almost) nothing on it,
 * SVG graphics lost in parsing, and references to files outside the page (a report must be self-contained).
 * Without Chromium the check is skipped, except where {@code CI=true}: there it must run.
 */
final class ChromiumCheck {
    private static final Pattern REFERENCE = Pattern.compile("(?i)\\b(?:src|href)\\s*=\\s*[\"']([^\"']*)[\"']");

    private ChromiumCheck() {
    }

    /** The Chromium executable on the search path {@code path} (as $PATH), or null. */
    static String executable(String path) {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String p : (path == null ? "" : path).split(File.pathSeparator)) {
                if (!p.isEmpty() && Files.isExecutable(Path.of(p, name))) {
                    return Path.of(p, name).toString();
                }
            }
        }
        return null;
    }

    /** The executable on $PATH; fails when CI=true and there is none, else skips the calling test. */
    static String require() {
        return require(System.getenv("PATH"), System.getenv("CI"));
    }

    /** {@link #require()} for a given $PATH and $CI. */
    static String require(String path, String ci) {
        String exe = executable(path);
        if (exe == null && "true".equalsIgnoreCase(ci)) {
            fail("CI=true but Chromium is not installed: the report render check must run in CI (.ci/run installs it)");
        }
        Assumptions.assumeTrue(exe != null, "Chromium is not installed: the render check is skipped (it is required when CI=true)");
        return exe;
    }

    /** What is wrong with the rendered page; empty when nothing is. {@code work} holds the profile and screenshot. */
    static List<String> problems(String exe, Path html, Path work) throws IOException, InterruptedException {
        List<String> problems = new ArrayList<>();
        String source = Files.readString(html, StandardCharsets.UTF_8);
        Matcher m = REFERENCE.matcher(source);
        while (m.find()) {
            String ref = m.group(1);
            if (!ref.startsWith("#") && !ref.startsWith("data:")) {
                problems.add("external reference " + m.group());
            }
        }
        Files.createDirectories(work);
        Path png = work.resolve("page.png");
        Run shot = run(exe, work, "--hide-scrollbars", "--window-size=1200,3000", "--screenshot=" + png, html.toUri().toString());
        Run dom = run(exe, work, "--dump-dom", html.toUri().toString());
        for (Run r : List.of(shot, dom)) {
            for (String line : r.log.split("\n")) {
                if (line.contains(":CONSOLE") || line.contains("Uncaught")) {
                    problems.add("console: " + line.strip());
                }
            }
        }
        int svgIn = count(source, "<svg");
        int svgOut = count(dom.stdout, "<svg");
        if (svgOut != svgIn) {
            problems.add("the page has " + svgIn + " <svg> elements, the rendered DOM " + svgOut);
        }
        BufferedImage img = Files.exists(png) ? ImageIO.read(png.toFile()) : null;
        if (img == null) {
            problems.add("no screenshot; chromium said:\n" + shot.log);
        } else {
            long ink = 0;
            Set<Integer> colors = new HashSet<>();
            for (int y = 0; y < img.getHeight(); y += 2) {
                for (int x = 0; x < img.getWidth(); x += 2) {
                    int rgb = img.getRGB(x, y) & 0xFFFFFF;
                    int r = rgb >> 16;
                    int g = (rgb >> 8) & 0xFF;
                    int b = rgb & 0xFF;
                    ink += Math.min(r, Math.min(g, b)) < 230 ? 1 : 0;
                    colors.add(rgb);
                }
            }
            double share = ink / ((img.getWidth() / 2.0) * (img.getHeight() / 2.0));
            if (share < 0.01 || colors.size() < 8) {
                problems.add(String.format(java.util.Locale.ROOT, "the screenshot is (almost) blank: %.2f%% ink, %d colours", 100 * share,
                        colors.size()));
            }
        }
        return problems;
    }

    private record Run(String stdout, String log) {
    }

    private static Run run(String exe, Path work, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(exe, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=" + work.resolve("profile")));
        cmd.addAll(List.of(args));
        Path out = work.resolve("stdout.txt");
        Path err = work.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in 120 s: " + cmd);
        }
        return new Run(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
