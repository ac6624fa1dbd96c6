package org.tinysql.util;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Keeps log lines and an in-place progress bar apart on a terminal. A bar is drawn with a carriage return and no
 * newline, so a log line written while it is on screen would start right after it ("train [####..] 40% [INFO] step
 * 300: ..."). {@link #install} replaces {@code System.err} with a stream that, before any other text, clears the bar's
 * line, and after a complete line draws the bar again below it, as tqdm's {@code write} does.
 *
 * <p>{@link ConsoleProgressBar} draws through {@link #drawBar} and {@link #endBar}; without {@link #install} (a library
 * user's process, tests, output that is not a terminal) they write to the given stream unchanged.
 */
public final class TerminalLines {
    private static final byte[] CLEAR = "\r\u001b[K".getBytes(StandardCharsets.US_ASCII);
    private static final Object LOCK = new Object();
    private static Guard installed;

    private TerminalLines() {
    }

    /**
     * Makes {@code System.err} bar-aware when it is a terminal ({@code System.console() != null}); does nothing
     * otherwise or when done before. The command line calls it first thing.
     */
    public static void install() {
        synchronized (LOCK) {
            if (installed == null && System.console() != null) {
                installed = new Guard(System.err);
                System.setErr(new PrintStream(installed, true, StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * Draws (or redraws) {@code line} as the bar in place, on the real terminal when {@link #install}ed, else on
     * {@code out}.
     *
     * @param out  the stream the bar was created with (used when not installed)
     * @param line the rendered bar, without carriage return or newline
     */
    static void drawBar(PrintStream out, String line) {
        synchronized (LOCK) {
            if (installed != null) {
                installed.draw(line);
            } else {
                print(out, line);
            }
        }
    }

    /**
     * Ends the bar: its last state stays on screen, followed by a newline, and later lines are no longer followed
     * by a redraw.
     *
     * @param out the stream the bar was created with (used when not installed)
     */
    static void endBar(PrintStream out) {
        synchronized (LOCK) {
            if (installed != null) {
                installed.end();
            } else {
                out.println();
            }
        }
    }

    /** Draws {@code line} over the current terminal line: carriage return, the line, erase to the end of the line. */
    private static void print(PrintStream out, String line) {
        out.print("\r" + line + "\u001b[K");
        out.flush();
    }

    /** The guarded standard error: clears the bar before other text and redraws it after each complete line. */
    static final class Guard extends OutputStream {
        private final PrintStream terminal;
        private String bar;
        private boolean barShown;

        Guard(PrintStream terminal) {
            this.terminal = terminal;
        }

        void draw(String line) {
            bar = line;
            print(terminal, line);
            barShown = true;
        }

        void end() {
            if (barShown) {
                terminal.println();
                terminal.flush();
            }
            bar = null;
            barShown = false;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            synchronized (LOCK) {
                if (len == 0) {
                    return;
                }
                if (barShown) {
                    terminal.write(CLEAR, 0, CLEAR.length);
                    barShown = false;
                }
                terminal.write(b, off, len);
                if (bar != null && b[off + len - 1] == '\n') {
                    draw(bar);
                }
            }
        }

        @Override
        public void flush() {
            terminal.flush();
        }
    }
}
