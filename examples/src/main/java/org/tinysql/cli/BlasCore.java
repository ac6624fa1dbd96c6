package org.tinysql.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The OpenBLAS kernel family for a CPU that OpenBLAS itself may not recognise. ND4J 1.0.0-M2.1 ships OpenBLAS 0.3.19
 * (2021), whose run-time detection knows CPUs by family and model number: on a newer one it falls back to its generic
 * "Prescott" (SSE3) kernels. Measured on a 2-core Xeon of family 6, model 207 (Emerald Rapids): SGEMM of
 * [4096, 128] x [128, 352] at 32 GFLOP/s with the fallback, 96 with {@code OPENBLAS_CORETYPE=Haswell} and 161 with
 * SkylakeX's AVX-512 kernels (as Cooperlake); a CS5 training step of {@code tinysql bench --shape cs5} took 634 ms
 * with the fallback and 270-295 ms with Haswell's kernels.
 * The CLI's child JVM ({@link JvmRelaunch}) therefore gets {@code OPENBLAS_CORETYPE} from the CPU's feature flags when
 * the environment does not set it: the family OpenBLAS picks for a CPU it knows with those flags (AVX-512 F/VL/BW/DQ:
 * SkylakeX; AVX2 with FMA: Haswell). A value the environment sets, even an empty one, is left alone.
 */
final class BlasCore {
    /** The environment variable OpenBLAS reads once, when the library loads. */
    static final String VARIABLE = "OPENBLAS_CORETYPE";
    /** /proc/cpuinfo repeats the flags for every core; the first core's block is within this many bytes. */
    private static final int MAX_CPUINFO_BYTES = 64 << 10;
    private static final Set<String> AVX512 = Set.of("avx512f", "avx512vl", "avx512bw", "avx512dq");
    private static final Set<String> AVX2 = Set.of("avx2", "fma");

    private BlasCore() {
    }

    /**
     * The value to give a child JVM's {@value #VARIABLE}, or empty to leave its environment as it is: when {@code env}
     * already has the variable, when this is not Linux on x86-64, or when the CPU has neither AVX2 nor AVX-512.
     */
    static Optional<String> forChild(Map<String, String> env) {
        if (env.containsKey(VARIABLE) || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                || !Set.of("amd64", "x86_64").contains(System.getProperty("os.arch", ""))) {
            return Optional.empty();
        }
        try {
            return forCpuinfo(readHead(Path.of("/proc/cpuinfo")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // no cpuinfo to read: OpenBLAS detects the CPU itself
        }
    }

    /** The kernel family for the first "flags" line of a /proc/cpuinfo text, or empty when it has neither AVX2 nor AVX-512. */
    static Optional<String> forCpuinfo(String cpuinfo) {
        Set<String> flags = cpuinfo.lines().filter(l -> l.startsWith("flags")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).trim())
                .map(s -> Arrays.stream(s.split("\\s+")).collect(Collectors.toSet())).orElse(Set.of());
        if (flags.containsAll(AVX512)) {
            return Optional.of("SkylakeX");
        }
        if (flags.containsAll(AVX2)) {
            return Optional.of("Haswell");
        }
        return Optional.empty();
    }

    /** The first {@value #MAX_CPUINFO_BYTES} bytes of {@code file} (/proc files report no size, so read to a bound). */
    private static String readHead(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(MAX_CPUINFO_BYTES), StandardCharsets.US_ASCII);
        }
    }
}
