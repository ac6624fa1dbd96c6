package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Versions that must move together: the BOM has no parent, and README's dependency blocks name a version. */
class BuildFilesTest {
    private static String firstVersion(Path pom) throws IOException {
        String text = Files.readString(pom, StandardCharsets.UTF_8);
        // the project's own <version>, after <artifactId> at the top level (the parent's, if any, comes first)
        String afterParent = text.contains("</parent>") ? text.substring(text.indexOf("</parent>")) : text;
        Matcher m = Pattern.compile("<version>([^<]+)</version>").matcher(afterParent);
        assertTrue(m.find(), pom.toString());
        return m.group(1);
    }

    @Test
    void bomAndReadmeFollowTheProjectVersion() throws IOException {
        String version = BuildVersion.version();
        assertEquals(version, firstVersion(Path.of("..", "pom.xml")));
        assertEquals(version, firstVersion(Path.of("..", "tinysql-bom", "pom.xml")), "tinysql-bom's version");
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("<artifactId>tinysql-(interp|bom)</artifactId>\\s*<version>([^<]+)</version>").matcher(readme);
        int blocks = 0;
        while (m.find()) {
            assertEquals(version, m.group(2), "README's dependency block for tinysql-" + m.group(1));
            blocks++;
        }
        assertEquals(2, blocks, "README shows the dependency and the BOM import");
    }
}
