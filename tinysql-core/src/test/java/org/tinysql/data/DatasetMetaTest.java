package org.tinysql.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tinysql.util.Progress;

/** stats.json, which quickstart reads back to decide whether a dataset folder can be reused. */
class DatasetMetaTest {
    @TempDir
    Path dir;

    private String written() throws IOException {
        new DatasetGenerator(CommandSet.CS2, Variant.LITERAL, 5).writeSplits(dir, 100, Progress.NONE);
        return Files.readString(dir.resolve("stats.json"));
    }

    private Path stats(String text) throws IOException {
        Path f = dir.resolve("other.json");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void roundTrips() throws IOException {
        written();
        DatasetMeta m = DatasetMeta.read(dir.resolve("stats.json"));
        assertEquals(2, m.commandSet());
        assertEquals("literal", m.variant());
        assertEquals(5, m.seed());
        assertEquals(new DatasetMeta.Splits(76, 14, 10), m.splits());
        assertEquals(100, m.stats().n());
        // An integer where a fraction is expected is a number all the same.
        String text = Files.readString(dir.resolve("stats.json")).replaceFirst("\"joinRate\" : [0-9.E-]+", "\"joinRate\" : 0");
        assertEquals(0.0, DatasetMeta.read(stats(text)).stats().joinRate());
    }

    @Test
    void malformedStatsNameFileLineAndField() throws IOException {
        String ok = written();
        // Before: quickstart read these leniently ("seed": "5" as 0, a missing split as 0).
        assertError(stats(ok.replace("\"seed\" : 5", "\"seed\" : \"5\"")), ":4: seed");
        assertError(stats(ok.replace("\"seed\" : 5", "\"seed\" : 5.5")), ":4: seed");
        assertError(stats(ok.replace("\"test\" : 10", "\"tests\" : 10")), "splits.test is missing");
        assertError(stats(ok.replace("\"test\" : 10", "\"test\" : 10, \"tests\" : 10")), "unknown field \"splits.tests\"");
        assertError(stats(ok.replace("\"test\" : 10", "\"test\" : -10")), "must not be negative");
        assertError(stats(ok.replace("\"variant\" : \"literal\"", "\"variant\" : \"fancy\"")), "unknown variant");
        assertError(stats(ok + "{}"), "second JSON value");
        assertError(stats(ok.substring(0, ok.length() / 2)), ": ");
        assertError(stats(""), "expected a JSON object");
        Path big = stats(ok.replace("\"literal\"", "\"" + "x".repeat(2 << 20) + "\""));
        assertError(big, "larger than");
        Path bad = dir.resolve("bad.json");
        byte[] bytes = ok.getBytes(StandardCharsets.UTF_8);
        bytes[ok.indexOf("literal")] = (byte) 0xFE;
        Files.write(bad, bytes);
        assertError(bad, ":3: invalid UTF-8");
    }

    private static void assertError(Path f, String expected) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetMeta.read(f));
        assertTrue(e.getMessage().startsWith(f + ":") && e.getMessage().contains(expected), e.getMessage());
    }
}
