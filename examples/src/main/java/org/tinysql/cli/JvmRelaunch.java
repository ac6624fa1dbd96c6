package org.tinysql.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Restarts {@code java -jar tinysql.jar ...} once in a child JVM that resolves the Java Vector API module, so that
 * the engine's exp-based and norm kernels (softmax, cross-entropy, SwiGLU, LayerNorm, RMSNorm) run on SIMD lanes
 * without users typing {@code --add-modules jdk.incubator.vector} (training is several times faster with it; see the
 * tensor module's VectorMath). The child gets the same JVM options, class path and arguments and shares the terminal;
 * its exit code is the CLI's. Unless the options size the heap themselves, the child also gets a young generation of
 * {@value #YOUNG}: G1 otherwise lets its young generation grow to gigabytes under training's allocation rate (a CS5
 * training run peaked at 3.0-3.7 GB resident, 2.5 GB with it, at the same speed). On a CPU newer than ND4J's OpenBLAS
 * the child also gets the OpenBLAS kernel family of its feature flags, unless the environment names one (see
 * {@link BlasCore}: 2.3x faster training steps on an Emerald Rapids Xeon).
 *
 * <p>No restart when the module is already resolved, when this is the child, when {@code -Dtinysql.relaunch=false} or
 * the environment variable {@code TINYSQL_RELAUNCH=0} is set, or when the JVM runs with an agent, a debugger or a
 * flight recording (a second JVM would fight over the port or the recording file): the CLI then runs in this JVM
 * (with scalar kernels when the module is missing, as a log line says).
 */
final class JvmRelaunch {
    static final String MODULE = "jdk.incubator.vector";
    private static final String CHILD_PROPERTY = "tinysql.relaunched";
    static final String YOUNG = "256m";

    private JvmRelaunch() {
    }

    /** Runs the CLI in a child JVM and returns its exit code, or empty when this JVM should run it itself. */
    static Optional<Integer> run(String mainClass, String[] args) {
        List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
        boolean moduleResolved = ModuleLayer.boot().findModule(MODULE).isPresent();
        String env = System.getenv("TINYSQL_RELAUNCH");
        if (!wanted(moduleResolved, jvmArgs, System.getProperty(CHILD_PROPERTY) != null,
                System.getProperty("tinysql.relaunch", "true"), env)) {
            return Optional.empty();
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        if (!Files.isExecutable(java)) {
            return Optional.empty();
        }
        List<String> cmd = command(java.toString(), jvmArgs, System.getProperty("java.class.path"), mainClass, args);
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
            BlasCore.forChild(System.getenv()).ifPresent(core -> pb.environment().put(BlasCore.VARIABLE, core));
            Process child = pb.start();
            Thread stop = new Thread(child::destroy, "tinysql-relaunch-stop");
            Runtime.getRuntime().addShutdownHook(stop);
            int code = child.waitFor();
            Runtime.getRuntime().removeShutdownHook(stop);
            return Optional.of(code);
        } catch (IOException e) {
            return Optional.empty(); // could not start a JVM: run here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(130);
        }
    }

    /** Whether a restart helps and is safe (see the class comment). */
    static boolean wanted(boolean moduleResolved, List<String> jvmArgs, boolean isChild, String relaunchProperty, String env) {
        if (moduleResolved || isChild || "false".equalsIgnoreCase(relaunchProperty) || "0".equals(env)) {
            return false;
        }
        for (String a : jvmArgs) {
            if (a.startsWith("-agentlib") || a.startsWith("-agentpath") || a.startsWith("-javaagent") || a.startsWith("-Xrunjdwp")
                    || a.startsWith("-XX:StartFlightRecording") || a.startsWith("-XX:+FlightRecorder") || a.startsWith("--add-modules")) {
                return false;
            }
        }
        return true;
    }

    /** The child's command line: the same JVM options plus the module and the child marker, then class path, main, args. */
    static List<String> command(String java, List<String> jvmArgs, String classPath, String mainClass, String[] args) {
        return command(java, jvmArgs, classPath, mainClass, args, Runtime.version().feature());
    }

    /**
     * The child's command line for a JVM of Java {@code feature}. From Java 22 the child also gets
     * {@code --enable-native-access=ALL-UNNAMED} and from Java 24 {@code --sun-misc-unsafe-memory-access=allow}: ND4J's
     * JavaCPP loads its natives with System::load and reads memory through sun.misc.Unsafe, and without these flags
     * Java 24+ prints eight warnings per run (the jar manifest's Enable-Native-Access does not reach a -cp child).
     */
    static List<String> command(String java, List<String> jvmArgs, String classPath, String mainClass, String[] args,
                                int feature) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmArgs);
        if (feature >= 22 && jvmArgs.stream().noneMatch(a -> a.startsWith("--enable-native-access"))) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        if (feature >= 24 && jvmArgs.stream().noneMatch(a -> a.startsWith("--sun-misc-unsafe-memory-access"))) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        if (jvmArgs.stream().noneMatch(a -> a.startsWith("-Xmx") || a.startsWith("-Xmn") || a.startsWith("-XX:MaxHeapSize")
                || a.startsWith("-XX:NewSize") || a.startsWith("-XX:MaxNewSize") || a.startsWith("-XX:MaxRAM"))) {
            cmd.add("-Xmn" + YOUNG);
        }
        cmd.add("--add-modules");
        cmd.add(MODULE);
        cmd.add("-D" + CHILD_PROPERTY + "=true");
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        return cmd;
    }
}
