package org.tinysql.model;

import static org.tinysql.tensor.CheckpointFormatException.excerpt;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.tinysql.tensor.CheckpointFormatException;
import org.tinysql.tensor.SafeTensors;

/**
 * The open safetensors files of a checkpoint folder and which file holds each tensor: model.safetensors, or the shards
 * that model.safetensors.index.json names. Shard names must stay inside the folder (relative, no "..", no symbolic
 * link leading out) and be regular files; every header is validated when the folder is opened, before any weight is
 * allocated or read.
 */
final class CheckpointTensors implements Closeable {
    private static final String SINGLE = "model.safetensors";
    private static final String INDEX = "model.safetensors.index.json";

    private final Map<String, SafeTensors> byTensor = new TreeMap<>();
    private final List<SafeTensors> files = new ArrayList<>();

    private CheckpointTensors() {
    }

    static CheckpointTensors open(Path dir) throws IOException {
        CheckpointTensors t = new CheckpointTensors();
        try {
            Path index = dir.resolve(INDEX);
            if (Files.exists(index)) {
                t.openShards(dir, index);
            } else if (Files.exists(dir.resolve(SINGLE))) {
                SafeTensors st = t.add(dir.resolve(SINGLE));
                st.entries().keySet().forEach(n -> t.byTensor.put(n, st));
            } else {
                throw new CheckpointFormatException(dir, "no " + SINGLE + " or " + INDEX + " in the checkpoint folder");
            }
            return t;
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    private SafeTensors add(Path file) throws IOException {
        SafeTensors st = SafeTensors.open(file);
        files.add(st);
        return st;
    }

    private void openShards(Path dir, Path index) throws IOException {
        JsonNode wm = CheckpointJson.read(index).get("weight_map");
        if (wm == null || !wm.isObject()) {
            throw new CheckpointFormatException(index, "missing 'weight_map' object");
        }
        Map<String, Set<String>> byShard = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : wm.properties()) {
            if (!e.getValue().isTextual()) {
                throw new CheckpointFormatException(index, "weight_map field '" + excerpt(e.getKey()) + "' is "
                        + excerpt(e.getValue()) + ", not a shard file name");
            }
            byShard.computeIfAbsent(e.getValue().textValue(), k -> new LinkedHashSet<>()).add(e.getKey());
        }
        Path realDir = dir.toRealPath();
        for (Map.Entry<String, Set<String>> e : byShard.entrySet()) {
            SafeTensors st = add(shard(index, dir, realDir, e.getKey()));
            for (String t : e.getValue()) {
                if (!st.contains(t)) {
                    throw new CheckpointFormatException(st.file(), "lacks tensor '" + excerpt(t) + "' that " + INDEX + " assigns to it");
                }
                byTensor.put(t, st);
            }
        }
    }

    /** A shard named by the index, confined to the model folder. */
    private static Path shard(Path index, Path dir, Path realDir, String name) throws IOException {
        String field = "weight_map shard '" + excerpt(name) + "'";
        Path rel;
        try {
            rel = Path.of(name);
        } catch (InvalidPathException e) {
            throw new CheckpointFormatException(index, field + " is not a valid file name");
        }
        if (name.isEmpty() || rel.isAbsolute()) {
            throw new CheckpointFormatException(index, field + " must be a file name relative to the model folder");
        }
        for (Path part : rel) {
            if (part.toString().equals("..")) {
                throw new CheckpointFormatException(index, field + " must not contain '..': shards live in the model folder");
            }
        }
        Path shard = dir.resolve(rel);
        if (!Files.exists(shard)) {
            throw new CheckpointFormatException(index, field + " does not exist in " + dir);
        }
        if (!shard.toRealPath().startsWith(realDir)) {
            throw new CheckpointFormatException(index, field + " is a symbolic link to a file outside the model folder; refusing to read it");
        }
        return shard;
    }

    /** The file holding tensor {@code name}, or null. */
    SafeTensors file(String name) {
        return byTensor.get(name);
    }

    Set<String> names() {
        return Collections.unmodifiableSet(byTensor.keySet());
    }

    @Override
    public void close() throws IOException {
        for (SafeTensors st : files) {
            st.close();
        }
    }
}
