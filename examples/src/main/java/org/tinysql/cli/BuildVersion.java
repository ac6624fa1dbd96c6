package org.tinysql.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/**
 * {@code tinysql --version}: the version Maven built (from {@code tinysql-version.properties}, filtered at build time),
 * with the Java runtime it runs on.
 */
public final class BuildVersion implements CommandLine.IVersionProvider {
    static final String RESOURCE = "/org/tinysql/cli/tinysql-version.properties";

    /** The project version of this build, e.g. "0.1.0-SNAPSHOT"; "unknown" when the resource is missing. */
    public static String version() {
        try (InputStream in = BuildVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            // Unfiltered (run from an IDE without Maven's resource processing): say so rather than print "${...}".
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {"TinySQL-J " + version(),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
    }
}
