package org.tinysql.model;

import static org.tinysql.tensor.CheckpointFormatException.excerpt;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.tinysql.tensor.CheckpointFormatException;
import org.tinysql.tensor.FileChecks;

/**
 * The small JSON files of a checkpoint folder (config.json, model.safetensors.index.json), read strictly: a regular
 * file of at most {@link #MAX_BYTES}, one JSON object, no duplicate keys, nothing after it.
 */
final class CheckpointJson {
    /** Largest config or index file we read (real ones are a few kB to a few hundred kB). */
    static final long MAX_BYTES = 16L << 20;
    private static final ObjectMapper MAPPER = new ObjectMapper(
            JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private CheckpointJson() {
    }

    static JsonNode read(Path file) throws IOException {
        FileChecks.regularFile(file, MAX_BYTES);
        JsonNode n;
        try {
            n = MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")";
            throw new CheckpointFormatException(file, "not valid JSON: " + excerpt(e.getOriginalMessage()) + at, e);
        }
        if (n == null || !n.isObject()) {
            throw new CheckpointFormatException(file, "not a JSON object");
        }
        return n;
    }
}
