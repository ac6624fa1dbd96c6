package org.tinysql.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.tinysql.data.DataFormatException;
import org.tinysql.data.DatasetMeta;

/** Deciding whether a generated folder can be reused, and clearing one that cannot. */
final class DatasetFolders {
    private DatasetFolders() {
    }

    /**
     * The stats.json of a dataset folder generated with this size and seed by this version, else null (a stats.json
     * this version cannot read was written by another generator, whose data differ).
     */
    static DatasetMeta reusable(Path dir, int size, long seed) throws IOException {
        Path stats = dir.resolve("stats.json");
        if (!Files.exists(stats) || !Files.exists(dir.resolve("tokenizer.json"))) {
            return null;
        }
        DatasetMeta meta;
        try {
            meta = DatasetMeta.read(stats);
        } catch (DataFormatException e) {
            System.out.println("== " + stats + " is not this version's (" + e.getMessage() + "); generating again");
            return null;
        }
        return meta.splits().total() == size && meta.seed() == seed ? meta : null;
    }

    /** Deletes a folder and everything in it (links are deleted, not followed). */
    static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
