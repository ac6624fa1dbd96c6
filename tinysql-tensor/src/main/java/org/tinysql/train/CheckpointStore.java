package org.tinysql.train;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.util.AtomicFiles;

/**
 * The checkpoint folder of a run: {@code step-N/} folders, each written into {@code step-N.tmp/} and renamed when
 * complete, so that a reader sees whole checkpoints only; the newest {@code keep} are kept. Every checkpoint gets the
 * run's tokenizer files (tokenizer.json, and tokenizer_config.json for a fine-tune), captured when the run started, so
 * it stays usable when the dataset goes away.
 */
final class CheckpointStore {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);

    /** Writes a checkpoint's content into a (temporary) folder. */
    @FunctionalInterface
    interface Content {
        void write(Path folder) throws IOException;
    }

    static final String TOKENIZER_JSON = "tokenizer.json";

    private final Path dir;
    private final int keep;
    /** File name to content of the tokenizer files every checkpoint gets. */
    private final Map<String, byte[]> files = new LinkedHashMap<>();

    /**
     * @param dir           the checkpoint folder
     * @param keep          how many checkpoints to keep (at least 1)
     * @param tokenizerJson the tokenizer.json to put into every checkpoint, or null for none
     */
    CheckpointStore(Path dir, int keep, byte[] tokenizerJson) {
        this(dir, keep, tokenizerJson == null ? Map.of() : Map.of(TOKENIZER_JSON, tokenizerJson));
    }

    /** A store whose checkpoints get {@code files} (name to content: tokenizer.json and its companions). */
    CheckpointStore(Path dir, int keep, Map<String, byte[]> files) {
        this.dir = dir;
        this.keep = Math.max(1, keep);
        files.forEach((n, b) -> this.files.put(n, b.clone()));
    }

    Path dir() {
        return dir;
    }

    /**
     * Prepares the folder before step 1: creates it, proves it writable and roomy enough for one more checkpoint
     * whose tensors take {@code tensorBytes}, and removes temporary files and folders ({@code *.tmp}) that an
     * interrupted run left behind.
     */
    void open(long tensorBytes) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            throw (IOException) new java.nio.file.FileSystemException(null, null, "the checkpoint folder " + dir
                    + " is a file, not a folder").initCause(e);
        } catch (IOException e) {
            throw new IOException("cannot create the checkpoint folder " + dir + ": " + e, e);
        }
        try {
            Files.delete(Files.createTempFile(dir, ".write-test", ".tmp"));
        } catch (IOException e) {
            throw (IOException) new java.nio.file.AccessDeniedException(null, null, "the checkpoint folder " + dir
                    + " is not writable: " + e).initCause(e);
        }
        long checkpointBytes = tensorBytes + files.values().stream().mapToLong(b -> b.length).sum() + (1 << 20);
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < checkpointBytes) {
            throw new IOException(String.format(Locale.ROOT, "not enough space for a checkpoint in %s: %s free, a checkpoint takes about %s",
                    dir, mib(free), mib(checkpointBytes)));
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()) {
                deleteTree(p);
                LOG.info("removed {}, left behind by an interrupted run", p);
            }
        }
    }

    /**
     * Writes checkpoint {@code step-N/} (the content, then the tokenizer files) and prunes old checkpoints. An I/O error
     * (a full disk) leaves the earlier checkpoints as they were and names the checkpoint and the free space.
     */
    Path save(long step, Content content) throws IOException {
        String name = String.format(Locale.ROOT, "step-%08d", step);
        Path tmp = dir.resolve(name + ".tmp");
        Path dst = dir.resolve(name);
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            content.write(tmp);
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                AtomicFiles.write(tmp.resolve(f.getKey()), (AtomicFiles.StreamWriter) out -> out.write(f.getValue()));
            }
            deleteTree(dst);
            Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                deleteTree(tmp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new IOException("cannot write checkpoint " + dst + " (" + freeSpace() + "; the earlier checkpoints are kept): "
                    + e.getMessage(), e);
        }
        List<Path> all = list(dir);
        for (int i = 0; i < all.size() - keep; i++) {
            deleteTree(all.get(i));
        }
        LOG.debug("checkpoint written to {}", dst);
        return dst;
    }

    /** The newest complete checkpoint, if any. */
    Optional<Path> latest() throws IOException {
        List<Path> all = list(dir);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** The tokenizer files this store writes (name to content). */
    Map<String, byte[]> files() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        files.forEach((n, b) -> out.put(n, b.clone()));
        return out;
    }

    /** Completed checkpoints (step-N folders) in {@code dir}, oldest first. */
    static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().matches("step-\\d{8}"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    private String freeSpace() {
        try {
            return mib(Files.getFileStore(dir).getUsableSpace()) + " free there";
        } catch (IOException e) {
            return "free space unknown";
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
