package org.tinysql.tensor;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells HotSpot's JIT to inline {@link SimdMath}'s helpers (the vector exp, sigmoid, lane sums and per-vector bodies)
 * into its loops, in this JVM, through a compiler directive added with the {@code compilerDirectivesAdd} diagnostic
 * command (the in-process form of {@code jcmd PID Compiler.directives_add}).
 *
 * <p>Why: a Java Vector API value is only a SIMD register while every method it passes through is inlined into one
 * compilation; across a call it is a heap object, and each operation on it allocates its lanes. C2 inlines a 200-byte
 * helper such as the vector exp only where it judges the call site hot, and that judgement depends on the order in
 * which methods were first compiled: in a CS5 training run the exp inside SwiGLU and softmax was left out-of-line, and
 * the kernels allocated 0.5 GB/s of boxed lanes (the heap grew to 3.7 GB) and ran 15% slower than with the directive.
 * Forcing inlining makes the fast form the only form. The same directive from the command line:
 * {@code -XX:CompileCommand=inline,org.tinysql.tensor.SimdMath::*}.
 *
 * <p>Best effort: without the management module, or where diagnostic commands are refused, nothing changes but speed,
 * and a debug line says why.
 */
final class JitDirectives {
    private static final Logger LOG = LoggerFactory.getLogger(JitDirectives.class);
    /** The directive: in SimdMath's methods, inline every SimdMath method they call (the JEP 165 format). */
    static final String DIRECTIVE = "[{ match: \"org/tinysql/tensor/SimdMath.*\", inline: \"+org/tinysql/tensor/SimdMath.*\" }]";

    private static volatile boolean installed;

    private JitDirectives() {
    }

    /**
     * Whether {@link #install()} succeeded in this JVM.
     *
     * @return true once the directive is in place
     */
    static boolean installed() {
        return installed;
    }

    /**
     * Adds {@link #DIRECTIVE} to this JVM's compiler directives.
     *
     * @return whether the JVM accepted it
     */
    static boolean install() {
        Path file = null;
        try {
            file = Files.createTempFile("tinysql-jit", ".json");
            Files.writeString(file, DIRECTIVE, StandardCharsets.US_ASCII);
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            Object reply = server.invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
                    new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            String text = String.valueOf(reply).strip();
            boolean ok = text.contains("1 compiler directives added");
            if (!ok) {
                LOG.debug("the JIT refused the SIMD inlining directive: {}", text);
            }
            installed |= ok;
            return ok;
        } catch (Exception | LinkageError e) {
            LOG.debug("SIMD inlining directive not installed ({}): kernels may run slower", e.toString());
            return false;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (java.io.IOException e) {
                    LOG.debug("could not delete {}", file);
                }
            }
        }
    }
}
