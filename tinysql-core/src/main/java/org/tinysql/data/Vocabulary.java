package org.tinysql.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The hand-written word lists the generator draws from: table names and field names, each with two
 * English synonyms. Loaded from {@code tables.txt} and {@code fields.txt} beside this class.
 */
public final class Vocabulary {

    /**
     * A table name with its two synonyms.
     *
     * @param name     the SQL table name, e.g. {@code products}
     * @param synonym1 the first English synonym
     * @param synonym2 the second English synonym
     */
    public record TableWord(String name, String synonym1, String synonym2) {
        /**
         * One of the two synonyms.
         *
         * @param which 0 for {@code synonym1}, any other value for {@code synonym2}
         * @return the synonym
         */
        public String synonym(int which) {
            return which == 0 ? synonym1 : synonym2;
        }
    }

    /**
     * A field name, its kind and its two synonyms.
     *
     * @param name     the SQL field name, e.g. {@code price}
     * @param kind     the field's value class
     * @param synonym1 the first English synonym
     * @param synonym2 the second English synonym
     */
    public record FieldWord(String name, FieldKind kind, String synonym1, String synonym2) {
        /**
         * One of the two synonyms.
         *
         * @param which 0 for {@code synonym1}, any other value for {@code synonym2}
         * @return the synonym
         */
        public String synonym(int which) {
            return which == 0 ? synonym1 : synonym2;
        }
    }

    private static volatile Vocabulary builtin;

    private final List<TableWord> tables;
    private final List<FieldWord> fields;
    private final Map<FieldKind, List<FieldWord>> fieldsByKind;

    /**
     * A vocabulary of given words.
     *
     * @param tables the table words, copied
     * @param fields the field words, copied and grouped by kind
     */
    public Vocabulary(List<TableWord> tables, List<FieldWord> fields) {
        this.tables = List.copyOf(tables);
        this.fields = List.copyOf(fields);
        Map<FieldKind, List<FieldWord>> byKind = new EnumMap<>(FieldKind.class);
        for (FieldKind k : FieldKind.values()) {
            byKind.put(k, new ArrayList<>());
        }
        for (FieldWord f : fields) {
            byKind.get(f.kind()).add(f);
        }
        byKind.replaceAll((k, v) -> List.copyOf(v));
        this.fieldsByKind = byKind;
    }

    /**
     * The vocabulary shipped with TinySQL-J.
     *
     * @return the vocabulary of {@code tables.txt} and {@code fields.txt}, loaded once
     * @throws IllegalStateException if a resource is missing or malformed
     */
    public static Vocabulary builtin() {
        Vocabulary v = builtin;
        if (v == null) {
            synchronized (Vocabulary.class) {
                if (builtin == null) {
                    builtin = load();
                }
                v = builtin;
            }
        }
        return v;
    }

    /**
     * All table words.
     *
     * @return the table words in file order; unmodifiable
     */
    public List<TableWord> tables() {
        return tables;
    }

    /**
     * All field words.
     *
     * @return the field words in file order; unmodifiable
     */
    public List<FieldWord> fields() {
        return fields;
    }

    /**
     * The field words of one kind.
     *
     * @param kind the value class
     * @return its field words in file order, possibly empty; unmodifiable
     */
    public List<FieldWord> fields(FieldKind kind) {
        return fieldsByKind.get(kind);
    }

    private static Vocabulary load() {
        List<TableWord> tables = new ArrayList<>();
        for (String[] row : readRows("tables.txt", 3)) {
            tables.add(new TableWord(row[0], row[1], row[2]));
        }
        List<FieldWord> fields = new ArrayList<>();
        for (String[] row : readRows("fields.txt", 4)) {
            FieldKind kind;
            try {
                kind = FieldKind.valueOf(row[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("fields.txt: unknown kind '" + row[1] + "' for field " + row[0], e);
            }
            fields.add(new FieldWord(row[0], kind, row[2], row[3]));
        }
        return new Vocabulary(tables, fields);
    }

    private static List<String[]> readRows(String resource, int columns) {
        List<String[]> rows = new ArrayList<>();
        try (InputStream in = Vocabulary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("vocabulary resource missing from the classpath: " + resource);
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\\|", -1);
                if (parts.length != columns) {
                    throw new IllegalStateException(resource + ":" + n + ": expected " + columns
                            + " '|'-separated columns, found " + parts.length);
                }
                rows.add(parts);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading vocabulary " + resource, e);
        }
        return rows;
    }
}
