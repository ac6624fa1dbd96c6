package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class JvmRelaunchTest {

    @Test
    void restartsOnlyWhenTheModuleIsMissingAndNothingForbidsIt() {
        assertTrue(JvmRelaunch.wanted(false, List.of("-Xmx2g"), false, "true", null));
        assertFalse(JvmRelaunch.wanted(true, List.of(), false, "true", null), "module already resolved");
        assertFalse(JvmRelaunch.wanted(false, List.of(), true, "true", null), "already the child");
        assertFalse(JvmRelaunch.wanted(false, List.of(), false, "false", null), "-Dtinysql.relaunch=false");
        assertFalse(JvmRelaunch.wanted(false, List.of(), false, "true", "0"), "TINYSQL_RELAUNCH=0");
        for (String a : new String[] {"-agentlib:jdwp=transport=dt_socket,server=y,address=5005", "-javaagent:x.jar",
                "-XX:StartFlightRecording=filename=a.jfr", "--add-modules=jdk.incubator.foreign"}) {
            assertFalse(JvmRelaunch.wanted(false, List.of(a), false, "true", null), a);
        }
    }

    @Test
    void aJvmWithoutHeapSizingGetsAFixedYoungGeneration() {
        List<String> cmd = JvmRelaunch.command("java", List.of("-Dx=1"), "cp", "Main", new String[] {"train"}, 17);
        assertEquals(List.of("java", "-Dx=1", "-Xmn256m", "--add-modules", "jdk.incubator.vector", "-Dtinysql.relaunched=true", "-cp", "cp",
                "Main", "train"), cmd);
    }

    @Test
    void onJava25TheChildMayUseNativesAndUnsafeWithoutWarnings() {
        List<String> cmd = JvmRelaunch.command("java", List.of("-Xmx1g"), "cp", "Main", new String[] {"eval"}, 25);
        assertEquals(List.of("java", "-Xmx1g", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "--add-modules", "jdk.incubator.vector", "-Dtinysql.relaunched=true", "-cp", "cp", "Main", "eval"), cmd);
        assertEquals(List.of("java", "-Xmx1g", "--add-modules", "jdk.incubator.vector", "-Dtinysql.relaunched=true", "-cp", "cp",
                "Main", "eval"), JvmRelaunch.command("java", List.of("-Xmx1g"), "cp", "Main", new String[] {"eval"}, 17));
    }

    @Test
    void theChildGetsTheSameOptionsTheModuleAndTheArguments() {
        List<String> cmd = JvmRelaunch.command("/jdk/bin/java", List.of("-Xmx2g", "-Dorg.bytedeco.javacpp.maxbytes=20g"), "tinysql.jar",
                "org.tinysql.cli.TinySqlCli", new String[] {"train", "--data", "my data"}, 17);
        assertEquals(List.of("/jdk/bin/java", "-Xmx2g", "-Dorg.bytedeco.javacpp.maxbytes=20g", "--add-modules", "jdk.incubator.vector",
                "-Dtinysql.relaunched=true", "-cp", "tinysql.jar", "org.tinysql.cli.TinySqlCli", "train", "--data", "my data"), cmd);
    }
}
