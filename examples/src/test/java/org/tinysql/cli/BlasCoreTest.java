package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BlasCoreTest {
    private static final String HEAD = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 207\n";

    @Test
    void theKernelFamilyFollowsTheFirstCoresFlags() {
        assertEquals(Optional.of("SkylakeX"), BlasCore.forCpuinfo(HEAD
                + "flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16 amx_tile\n"
                + "processor\t: 1\nflags\t\t: fpu sse\n"));
        assertEquals(Optional.of("Haswell"), BlasCore.forCpuinfo(HEAD + "flags\t\t: fpu sse sse2 avx fma avx2 bmi2\n"),
                "AVX2 and FMA (an AMD Zen 3, a Haswell)");
        assertEquals(Optional.of("Haswell"), BlasCore.forCpuinfo(HEAD + "flags\t\t: avx2 fma avx512f\n"),
                "AVX-512 F alone (Knights Landing) is not SkylakeX's set");
        assertEquals(Optional.empty(), BlasCore.forCpuinfo(HEAD + "flags\t\t: fpu sse sse2 sse3 avx\n"), "no AVX2");
        assertEquals(Optional.empty(), BlasCore.forCpuinfo(HEAD + "flags\t\t: avx2\n"), "AVX2 without FMA");
        assertEquals(Optional.empty(), BlasCore.forCpuinfo(HEAD), "no flags line (another architecture's cpuinfo)");
        assertEquals(Optional.empty(), BlasCore.forCpuinfo(""));
    }

    @Test
    void aValueTheEnvironmentSetsIsLeftAlone() {
        assertEquals(Optional.empty(), BlasCore.forChild(Map.of("OPENBLAS_CORETYPE", "Haswell")));
        assertEquals(Optional.empty(), BlasCore.forChild(Map.of("OPENBLAS_CORETYPE", "")), "even an empty one");
    }
}
