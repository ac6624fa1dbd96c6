package org.tinysql.data;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.nio.file.Path;
import org.tinysql.util.AtomicFiles;

/**
 * A dataset folder's {@code stats.json}: how it was generated (command set, variant, seed), its split sizes and its
 * statistics. Written with a fixed key order, so the same generation gives the same bytes; read strictly.
 *
 * @param commandSet the command set number, 1..5
 * @param variant    {@code literal} or {@code synonym}
 * @param seed       the generation seed
 * @param splits     the split sizes
 * @param stats      the dataset's statistics
 */
@JsonPropertyOrder({"command_set", "variant", "seed", "splits", "stats"})
public record DatasetMeta(@JsonProperty("command_set") int commandSet,
                          @JsonProperty("variant") String variant,
                          @JsonProperty("seed") long seed,
                          @JsonProperty("splits") Splits splits,
                          @JsonProperty("stats") DatasetStats stats) {
    /** stats.json is small; anything larger is not one. */
    private static final int MAX_BYTES = 1 << 20;
    /** Every field, down to the statistics, must be present. */
    private static final ObjectReader READER = StrictJson.reader(DatasetMeta.class)
            .with(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    /**
     * Checks the fields.
     *
     * @param commandSet the command set number, 1..5
     * @param variant    {@code literal} or {@code synonym}, any case
     * @param seed       the generation seed
     * @param splits     the split sizes, not null
     * @param stats      the statistics, not null
     * @throws IllegalArgumentException if {@code commandSet} is out of range, a field is null or the variant unknown
     */
    public DatasetMeta {
        if (commandSet < 1 || commandSet > CommandSet.values().length) {
            throw new IllegalArgumentException("command_set must be 1.." + CommandSet.values().length + ", not " + commandSet);
        }
        if (variant == null || splits == null || stats == null) {
            throw new IllegalArgumentException((variant == null ? "variant" : splits == null ? "splits" : "stats") + " is null");
        }
        Variant.parse(variant);
    }

    /**
     * Split sizes, in split order.
     *
     * @param train      the number of training examples
     * @param validation the number of validation examples
     * @param test       the number of test examples
     */
    @JsonPropertyOrder({"train", "validation", "test"})
    public record Splits(@JsonProperty("train") int train,
                         @JsonProperty("validation") int validation,
                         @JsonProperty("test") int test) {
        /**
         * Checks the sizes.
         *
         * @param train      the number of training examples, at least 0
         * @param validation the number of validation examples, at least 0
         * @param test       the number of test examples, at least 0
         * @throws IllegalArgumentException if a size is negative
         */
        public Splits {
            if (train < 0 || validation < 0 || test < 0) {
                throw new IllegalArgumentException("split sizes must not be negative");
            }
        }

        /**
         * The sizes {@link Split#sizes} gives for {@code n} examples.
         *
         * @param n the dataset size
         * @return the three sizes, summing to {@code n}
         */
        public static Splits of(int n) {
            int[] s = Split.sizes(n);
            return new Splits(s[0], s[1], s[2]);
        }

        /**
         * The number of examples in all splits.
         *
         * @return train + validation + test
         */
        public long total() {
            return (long) train + validation + test;
        }
    }

    /**
     * Writes {@code file} atomically, pretty-printed.
     *
     * @param file the {@code stats.json} to write, replaced if present
     * @throws IOException if it cannot be written
     */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, StrictJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(this));
    }

    /**
     * Reads a stats.json; a problem is a {@link DataFormatException} naming the file, line and field.
     *
     * @param file the {@code stats.json} to read, at most 1 MiB
     * @return the metadata, every field present
     * @throws IOException if the file cannot be read, or a {@link DataFormatException} if its content is invalid
     */
    public static DatasetMeta read(Path file) throws IOException {
        return StrictJson.readFile(READER, file, MAX_BYTES);
    }
}
