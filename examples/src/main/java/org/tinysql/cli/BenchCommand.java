package org.tinysql.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tinysql bench}: the end-to-end workloads of the PyTorch peer (../shared/peer/torch_peer.py), run with the
 * same configurations, each in its own JVM (benchmarks.jar), and, when {@code python3} with torch is available, the
 * peer right after it on the same machine; prints a side-by-side table with the speed ratio. Our {@code eap} is
 * head-level EAP and is compared with the peer's {@code eap_head} (the peer's block-level {@code eap} is a coarser
 * graph and is not compared); {@code decode16} (batch 16) is compared with benchmarks/peer/torch_peer_extra.py.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run the peer workloads (train, fwd_cache, eap vs the peer's eap_head, decode, decode16, sae) and compare "
                + "with PyTorch when installed.")
public final class BenchCommand implements Callable<Integer> {

    /** Our workloads whose peer workload has another name: head-level EAP is the peer's eap_head. */
    static String peerWorkload(String ours) {
        return "eap".equals(ours) ? "eap_head" : ours;
    }

    /** Workloads the shared peer lacks, run by our own peer script (--peer-extra). */
    static boolean extraWorkload(String ours) {
        return "decode16".equals(ours);
    }

    /** The row label: our workload, and the peer's when it is named differently. */
    static String label(String ours) {
        String p = peerWorkload(ours);
        return p.equals(ours) ? ours : ours + " (vs " + p + ")";
    }

    @Option(names = "--shape", defaultValue = "small", description = "small, bm1 or cs5 (default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--workloads", split = ",", defaultValue = "train,fwd_cache,eap,decode,decode16,sae",
            description = "Comma-separated workloads (default: ${DEFAULT-VALUE}).")
    List<String> workloads;

    @Option(names = "--iters", description = "Timed iterations per workload run, the same on both sides (default: about two "
            + "seconds of work: 3 at bm1, 20 at cs5, 100 at small).")
    Integer iters;

    /**
     * Timed iterations when {@code --iters} is not given: about two seconds of our work per run, so that a run of a
     * small shape (20-90 ms an iteration) is not timed over a tenth of a second, where both sides vary most.
     */
    static int defaultIters(String shape) {
        return switch (shape) {
            case "bm1" -> 3;
            case "cs5" -> 20;
            default -> 100;
        };
    }

    /** The timed iterations per run: {@code --iters}, or the shape's default. */
    int iters() {
        return iters != null ? iters : defaultIters(shape);
    }

    @Option(names = "--repeat", defaultValue = "3", description = "Runs of each side per workload, alternating ours and the peer's; "
            + "the table shows the medians (small shapes vary by up to 3x from run to run) (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--peer", defaultValue = "../shared/peer/torch_peer.py", description = "The peer script (default: ${DEFAULT-VALUE}).")
    Path peer;

    @Option(names = "--peer-extra", defaultValue = "benchmarks/peer/torch_peer_extra.py",
            description = "Our peer script for workloads the shared peer lacks (decode16) (default: ${DEFAULT-VALUE}).")
    Path peerExtra;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch (default: ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--threads", defaultValue = "2", description = "Peer threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--benchmarks-jar", defaultValue = "benchmarks/target/benchmarks.jar",
            description = "The shaded benchmarks jar (default: ${DEFAULT-VALUE}).")
    Path jar;

    @Override
    public Integer call() throws Exception {
        if (repeat < 1) {
            throw new IllegalArgumentException("--repeat must be at least 1, got " + repeat);
        }
        if (iters() < 1) {
            throw new IllegalArgumentException("--iters must be at least 1, got " + iters());
        }
        if (!Files.exists(jar)) {
            throw new IllegalArgumentException("benchmarks jar not found at " + jar + "; build it with 'mvn -B -q package -DskipTests'");
        }
        boolean withPeer = Files.exists(peer) && run(List.of(python, "-c", "import torch"), 120) != null;
        if (!withPeer) {
            System.out.println("PyTorch peer not available (" + peer + " with " + python + " and torch): showing our numbers only");
        }
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // the machine's SGEMM speed in this run (ours only): every workload's GFLOP/s reads as a fraction of it
        JsonNode gemm = json(run(workloadCommand(javaBin, "gemm"), 600));
        double sgemm = gemm == null ? Double.NaN : gemm.path("gflop_per_s").asDouble(Double.NaN);
        List<String[]> rows = new ArrayList<>();
        for (String w : workloads) {
            boolean peerHas = withPeer && (!extraWorkload(w) || Files.exists(peerExtra));
            double[] oursMs = new double[repeat];
            double[] peerMs = new double[repeat];
            double flops = Double.NaN; // per iteration, from our JSON line
            for (int r = 0; r < repeat; r++) { // alternating, so that a slow spell of the machine hits both sides
                JsonNode ours = json(run(workloadCommand(javaBin, w), 1800));
                JsonNode theirs = peerHas ? json(run(peerCommand(w), 1800)) : null;
                oursMs[r] = ours == null ? Double.NaN : ours.path("ms_per_iter").asDouble();
                peerMs[r] = theirs == null ? Double.NaN : theirs.path("ms_per_iter").asDouble();
                if (ours != null && ours.has("flop_per_iter")) {
                    flops = ours.path("flop_per_iter").asDouble();
                }
            }
            double a = median(oursMs);
            double b = median(peerMs);
            double gOurs = flops / (a / 1e3) / 1e9;
            double gPeer = flops / (b / 1e3) / 1e9; // the same work in the peer's time
            rows.add(new String[] {label(w), fmt(a), fmt(b), Double.isNaN(a) || Double.isNaN(b) ? "-" : String.format(Locale.ROOT, "%.2fx", b / a),
                    fmt(gOurs), fmt(gPeer), Double.isNaN(gOurs / sgemm) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * gOurs / sgemm)});
            System.out.printf(Locale.ROOT, "%-22s ours %s ms, peer %s ms%n", label(w), fmt(a), fmt(b));
        }
        System.out.printf(Locale.ROOT, "%n%-22s %14s %14s %10s %12s %12s %10s%n", "workload", "tinysql-j ms", "pytorch ms", "speedup",
                "ours GFLOP/s", "peer GFLOP/s", "of SGEMM");
        for (String[] r : rows) {
            System.out.printf(Locale.ROOT, "%-22s %14s %14s %10s %12s %12s %10s%n", (Object[]) r);
        }
        System.out.println("(shape " + shape + "; medians of " + repeat + " runs each of " + iters() + " timed iterations after a "
                + "warm-up; speedup = PyTorch time / our time, measured back to back on this machine; SGEMM "
                + fmt(sgemm) + " GFLOP/s in this run ([B*T, C] x [C, MLP] through our kernels); GFLOP/s count the matrix "
                + "products of each workload, see WorkloadFlops)");
        return 0;
    }

    /** Our workload JVM, with the JVM options the CLI runs with (the Vector API module above all), as a user's run has them. */
    private List<String> workloadCommand(String javaBin, String w) {
        return JvmRelaunch.command(javaBin, List.of("-Xmx8g"), jar.toString(), "org.tinysql.bench.Workloads",
                new String[] {w, "--shape", shape, "--iters", String.valueOf(iters())});
    }

    /** The peer's command for our workload {@code w}: the shared peer, or our extra script for the workloads it lacks. */
    private List<String> peerCommand(String w) {
        List<String> cmd = new ArrayList<>(List.of(python));
        if (extraWorkload(w)) {
            cmd.addAll(List.of(peerExtra.toString(), w, "--peer", peer.toString()));
        } else {
            cmd.addAll(List.of(peer.toString(), peerWorkload(w)));
        }
        cmd.addAll(List.of("--shape", shape, "--iters", String.valueOf(iters()), "--threads", String.valueOf(threads)));
        return cmd;
    }

    /** The median of the values (NaN when any is NaN: a failed run). */
    static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        if (Double.isNaN(s[s.length - 1])) {
            return Double.NaN;
        }
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static JsonNode json(String out) throws IOException {
        if (out == null) {
            return null;
        }
        String[] lines = out.strip().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].startsWith("{")) {
                return new ObjectMapper().readTree(lines[i]);
            }
        }
        return null;
    }

    /** Output of a command, or null when it fails. */
    private static String run(List<String> cmd, int timeoutSeconds) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                System.out.println("failed: " + String.join(" ", cmd) + "\n" + new String(out, StandardCharsets.UTF_8).strip());
                return null;
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }
}
