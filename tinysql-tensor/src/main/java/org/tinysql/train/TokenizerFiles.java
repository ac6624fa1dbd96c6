package org.tinysql.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.tokenizer.Tokenizer;

/** The tokenizer.json a run copies into its checkpoints, captured when the run starts. */
final class TokenizerFiles {
    /** Largest tokenizer.json taken into a run (large BPE vocabularies are about 10 MiB). */
    static final long MAX_BYTES = 256L << 20;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TokenizerFiles() {
    }

    /** The tokenizer.json of a {@link SqlVocabTokenizer} (as its {@code save} writes it); null for other tokenizers. */
    static byte[] json(Tokenizer tokenizer) {
        if (!(tokenizer instanceof SqlVocabTokenizer s)) {
            return null;
        }
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(s.toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialise the tokenizer", e);
        }
    }

    /** The bytes of {@code file}, a tokenizer.json of at most {@link #MAX_BYTES}. */
    static byte[] read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(null, null, "no tokenizer.json at " + file);
        }
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new org.tinysql.data.DataFormatException(file, size + " bytes, more than the " + MAX_BYTES + " a tokenizer.json may have");
        }
        return Files.readAllBytes(file);
    }

    /** Whether the tokenizer.json at {@code file} exists and differs from {@code json} (false when either is unknown). */
    static boolean differs(Path file, byte[] json) throws IOException {
        if (json == null || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        return Files.size(file) != json.length || !Arrays.equals(Files.readAllBytes(file), json);
    }
}
