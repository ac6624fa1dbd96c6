package org.tinysql.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A log line written while a progress bar is on a terminal gets its own line, and the bar comes back below it. */
class TerminalLinesTest {
    private static final String CLEAR = "\r\u001b[K";

    @Test
    void logLinesClearTheBarAndTheBarIsRedrawnBelowThem() {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        TerminalLines.Guard guard = new TerminalLines.Guard(new PrintStream(screen, true, StandardCharsets.UTF_8));
        PrintStream err = new PrintStream(guard, true, StandardCharsets.UTF_8);
        guard.draw("train [###...] 10%");
        err.print("[INFO] step 300: loss 0.5");
        err.println();
        guard.draw("train [######] 20%");
        guard.end();
        err.println("[INFO] done");
        String expected = "\rtrain [###...] 10%\u001b[K"
                + CLEAR + "[INFO] step 300: loss 0.5" + "\n" + "\rtrain [###...] 10%\u001b[K"
                + "\rtrain [######] 20%\u001b[K" + "\n"
                + "[INFO] done\n";
        assertEquals(expected.replace("\u001b", "ESC"), screen.toString(StandardCharsets.UTF_8).replace("\u001b", "ESC"));
    }

    @Test
    void withoutInstallTheBarDrawsOnItsOwnStream() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        TerminalLines.drawBar(out, "bar");
        TerminalLines.endBar(out);
        assertEquals("\rbar\u001b[K" + System.lineSeparator(), buf.toString(StandardCharsets.UTF_8));
    }
}
