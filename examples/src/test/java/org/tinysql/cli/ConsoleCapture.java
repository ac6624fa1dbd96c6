package org.tinysql.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What a piece of CLI code prints, for tests: standard output or standard error, restored afterwards. */
public final class ConsoleCapture {
    private ConsoleCapture() {
    }

    /** Code that may throw, run while a stream is captured. */
    public interface Body {
        void run() throws Exception;
    }

    /** @return what {@code body} printed to System.out (exceptions propagate, wrapped when checked) */
    public static String out(Body body) {
        return capture(body, false);
    }

    /** @return what {@code body} printed to System.err */
    public static String err(Body body) {
        return capture(body, true);
    }

    private static String capture(Body body, boolean err) {
        PrintStream old = err ? System.err : System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream to = new PrintStream(buf, true, StandardCharsets.UTF_8);
        if (err) {
            System.setErr(to);
        } else {
            System.setOut(to);
        }
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            if (err) {
                System.setErr(old);
            } else {
                System.setOut(old);
            }
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
