package org.tinysql.util;

import java.io.PrintStream;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A text progress bar on standard error: redrawn in place on a terminal, one line every 10% otherwise (logs, CI).
 * Log lines written while a bar is on screen start on a line of their own when {@link TerminalLines#install} was called
 * (the command line does).
 */
public final class ConsoleProgressBar implements Progress {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleProgressBar.class);
    private static final int WIDTH = 30;

    private final String label;
    private final long total;
    private final boolean interactive;
    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private long done;
    private String status = "";
    private long lastDraw;
    private int lastDecile = -1;

    /**
     * A bar on {@link System#err}, redrawn in place when a console is attached.
     *
     * @param label the name written before the bar, e.g. {@code generate}
     * @param total the number of units of work, 1 if less
     */
    public ConsoleProgressBar(String label, long total) {
        this(label, total, System.console() != null, System.err);
    }

    ConsoleProgressBar(String label, long total, boolean interactive, PrintStream out) {
        this.label = label;
        this.total = Math.max(1, total);
        this.interactive = interactive;
        this.out = out;
    }

    @Override
    public synchronized void advance(long steps) {
        done = Math.min(total, done + steps);
        draw(false);
    }

    @Override
    public synchronized void status(String text) {
        status = text == null ? "" : text;
    }

    /** The rendered line, e.g. {@code generate [#######.......]  45% 45000/100000 3.2s loss 1.2}. */
    synchronized String line() {
        double frac = (double) done / total;
        int filled = (int) Math.round(frac * WIDTH);
        double secs = (System.nanoTime() - startNanos) / 1e9;
        String eta = done > 0 && done < total ? String.format(Locale.ROOT, " eta %.0fs", secs * (total - done) / done) : "";
        return String.format(Locale.ROOT, "%s [%s%s] %3d%% %d/%d %.1fs%s %s", label, "#".repeat(filled),
                ".".repeat(WIDTH - filled), (int) (100 * frac), done, total, secs, eta, status).stripTrailing();
    }

    private void draw(boolean force) {
        if (interactive) {
            long now = System.nanoTime();
            if (force || done == total || now - lastDraw > 100_000_000L) {
                lastDraw = now;
                TerminalLines.drawBar(out, line());
            }
        } else {
            int decile = (int) (10 * done / total);
            if (decile != lastDecile) {
                lastDecile = decile;
                LOG.info("{}", line());
            }
        }
    }

    @Override
    public synchronized void close() {
        if (interactive) {
            draw(true);
            TerminalLines.endBar(out);
        }
    }
}
