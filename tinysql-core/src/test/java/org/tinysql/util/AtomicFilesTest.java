package org.tinysql.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @Test
    void aFolderIsRefusedBeforeAnyContentIsWritten(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectory(dir.resolve("out"));
        AtomicBoolean wrote = new AtomicBoolean();
        FileSystemException e = assertThrows(FileSystemException.class,
                () -> AtomicFiles.write(folder, (AtomicFiles.StreamWriter) out -> wrote.set(true)));
        assertEquals(folder + ": is a folder, not a file", e.getMessage());
        assertEquals(false, wrote.get(), "the writer never ran");
        try (var left = Files.list(dir)) {
            assertEquals(1, left.count(), "no temporary file left behind");
        }
    }

    @Test
    void aFileIsReplacedWhole(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("sub/a.txt");
        AtomicFiles.writeString(f, "one");
        AtomicFiles.writeString(f, "two");
        assertEquals("two", Files.readString(f));
    }
}
