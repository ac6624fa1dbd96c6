package org.tinysql.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Seeded, deterministic generator of TinySQL examples. Example {@code i} draws from its own random stream, derived
 * from (seed, command set, variant, i): generation parallelises, any example can be regenerated on its own, and
 * datasets of different command sets or variants made with the same seed are independent (a CS3 model evaluated on
 * CS1 prompts never meets its own training tables at the same index).
 *
 * <p>Rates: ORDER BY in {@value #ORDER_BY_RATE} of CS2+, aggregates in {@value #AGGREGATE_RATE} of CS3+,
 * WHERE in {@value #WHERE_RATE} of CS4+, JOIN in {@value #JOIN_RATE} of CS5; tables have 2-12 columns. As in the
 * original TinySQL, a query selects 1..N columns and sorts by 1..N keys, uniformly, N the FROM table's column count
 * (mean 4, at most 12); a grouped query sorts only by its SELECT items.
 */
public final class DatasetGenerator {
    /** Probability that a CS2+ query has ORDER BY. */
    public static final double ORDER_BY_RATE = 0.90;
    /** Probability that a CS3+ query uses aggregates. */
    public static final double AGGREGATE_RATE = 0.80;
    /** Probability that a CS4+ query has WHERE conditions. */
    public static final double WHERE_RATE = 0.80;
    /** Probability that a CS5 query joins a second table. */
    public static final double JOIN_RATE = 0.73;
    /** Probability that a table gets an English synonym in the SYNONYM variant. */
    public static final double TABLE_SYNONYM_RATE = 0.8;
    /** Probability that a column gets an English synonym in the SYNONYM variant. */
    public static final double FIELD_SYNONYM_RATE = 0.5;
    /** Fewest columns a generated table has. */
    public static final int MIN_COLUMNS = 2;
    /** Most columns a generated table has. */
    public static final int MAX_COLUMNS = 12;

    private final Vocabulary vocab;
    private final CommandSet commandSet;
    private final Variant variant;
    private final long seed;
    /** The seed of this (seed, command set, variant): example i draws from {@code mix(stream, i)}. */
    private final long stream;

    /**
     * A generator over the built-in vocabulary ({@link Vocabulary#builtin()}).
     *
     * @param commandSet the command set of every example
     * @param variant    literal or synonym instructions
     * @param seed       the dataset seed; equal arguments give equal datasets
     */
    public DatasetGenerator(CommandSet commandSet, Variant variant, long seed) {
        this(Vocabulary.builtin(), commandSet, variant, seed);
    }

    /**
     * A generator over a given vocabulary.
     *
     * @param vocab      the table and field words to draw from
     * @param commandSet the command set of every example
     * @param variant    literal or synonym instructions
     * @param seed       the dataset seed; equal arguments give equal datasets
     */
    public DatasetGenerator(Vocabulary vocab, CommandSet commandSet, Variant variant, long seed) {
        this.vocab = vocab;
        this.commandSet = commandSet;
        this.variant = variant;
        this.seed = seed;
        this.stream = mix(mix(seed, commandSet.level()), 0x7F4A_7C15L + variant.ordinal());
    }

    /**
     * The command set of the generated examples.
     *
     * @return the command set given at construction
     */
    public CommandSet commandSet() {
        return commandSet;
    }

    /**
     * The variant of the generated examples.
     *
     * @return the variant given at construction
     */
    public Variant variant() {
        return variant;
    }

    /**
     * Examples [0, n) in order, generated in parallel; split labels assume a dataset of size n.
     *
     * @param n the dataset size
     * @return the {@code n} rows, example 0 first; unmodifiable
     */
    public List<TinySqlExample> generate(int n) {
        return IntStream.range(0, n).parallel().mapToObj(i -> example(i, n).row()).toList();
    }

    /**
     * Generates {@code n} examples and writes {@code train.jsonl}, {@code validation.jsonl}, {@code test.jsonl},
     * {@code stats.json} and a {@code tokenizer.json} (a {@link org.tinysql.tokenizer.SqlVocabTokenizer} built from the
     * train split) into {@code dir}, each file atomically. Returns the statistics of the whole dataset.
     *
     * @param dir      the directory to write into, created if missing; files there of the same names are replaced
     * @param n        the number of examples
     * @param progress advanced by the number of examples as they are generated
     * @return the statistics, as also written to {@code stats.json}
     * @throws java.io.IOException if a file cannot be written, or the thread is interrupted
     *     ({@link java.io.InterruptedIOException})
     */
    public DatasetStats writeSplits(java.nio.file.Path dir, int n, org.tinysql.util.Progress progress)
            throws java.io.IOException {
        // Refuse an unusable destination before generating anything (it would fail only at the first write).
        if (java.nio.file.Files.exists(dir) && !java.nio.file.Files.isDirectory(dir)) {
            throw new java.nio.file.FileAlreadyExistsException(dir.toString(), null, "exists and is not a folder");
        }
        java.nio.file.Files.createDirectories(dir);
        List<TinySqlExample> all = new ArrayList<>(n);
        Map<String, Integer> families = new LinkedHashMap<>();
        EnglishPhrases.TEMPLATE_FAMILIES.keySet().forEach(f -> families.put(f, 0));
        int chunk = 5_000;
        for (int start = 0; start < n; start += chunk) {
            int end = Math.min(n, start + chunk);
            for (GeneratedExample g : IntStream.range(start, end).parallel().mapToObj(i -> example(i, n)).toList()) {
                all.add(g.row());
                families.merge(EnglishRenderer.templateFamily(g.phrasingSeed()), 1, Integer::sum);
            }
            progress.advance(end - start);
        }
        int[] sizes = Split.sizes(n);
        // Three independent single-threaded jobs: the split files, the tokenizer (built from the train split) and
        // the statistics run side by side.
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "dataset-writer");
            t.setDaemon(true);
            return t;
        });
        try {
            java.util.concurrent.Future<?> vocab = pool.submit(() -> {
                List<String> trainTexts = all.subList(0, sizes[0]).stream().map(TinySqlExample::fullText).toList();
                org.tinysql.tokenizer.SqlVocabTokenizer.build(trainTexts, 2, 16_000).save(dir.resolve("tokenizer.json"));
                return null;
            });
            java.util.concurrent.Future<DatasetStats> stats = pool.submit(() -> DatasetStats.of(all, DatasetStats.shares(families)));
            int from = 0;
            for (Split s : Split.values()) {
                int to = from + sizes[s.ordinal()];
                DatasetIO.write(dir.resolve(s.fileName()), all.subList(from, to));
                from = to;
            }
            vocab.get();
            DatasetStats st = stats.get();
            new DatasetMeta(commandSet.level(), variant.name().toLowerCase(java.util.Locale.ROOT), seed,
                    DatasetMeta.Splits.of(n), st).write(dir.resolve("stats.json"));
            return st;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while writing " + dir);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof java.io.IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("writing " + dir + " failed", c);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * As the method with a {@code Progress} argument, without progress reporting.
     *
     * @param dir      the directory to write into, created if missing; files there of the same names are replaced
     * @param n        the number of examples
     * @return the statistics, as also written to {@code stats.json}
     * @throws java.io.IOException if a file cannot be written, or the thread is interrupted
     *     ({@link java.io.InterruptedIOException})
     */
    public DatasetStats writeSplits(java.nio.file.Path dir, int n)
            throws java.io.IOException {
        return writeSplits(dir, n, org.tinysql.util.Progress.NONE);
    }

    /**
     * Example {@code index} of a dataset of {@code n} (n only decides the split label).
     *
     * @param index the example's index, 0-based; any non-negative value, also beyond {@code n}
     * @param n     the dataset size; when {@code index} is not below it (or n is 0) the row has no split label
     * @return the example with its spec, phrasing seed and rendered row
     */
    public GeneratedExample example(long index, int n) {
        SplittableRandom r = new SplittableRandom(mix(stream, index));
        QuerySpec spec = spec(r);
        long phrasingSeed = r.nextLong();
        String split = n > 0 && index < n ? Split.of((int) index, n).name().toLowerCase(java.util.Locale.ROOT) : null;
        return new GeneratedExample(index, spec, phrasingSeed, variant, toRow(spec, phrasingSeed, split));
    }

    /**
     * Renders a spec into a dataset row (also used for corrupted specs).
     *
     * @param spec         the query structure
     * @param phrasingSeed chooses the English instruction's wording
     * @param split        the split label, e.g. {@code train}, or {@code null} for none
     * @return the row with instruction, Context, SQL and metadata
     */
    public static TinySqlExample toRow(QuerySpec spec, long phrasingSeed, String split) {
        TableSchema t = spec.table();
        List<TinySqlExample.WhereCondition> where = new ArrayList<>();
        for (Condition c : spec.where()) {
            where.add(new TinySqlExample.WhereCondition(c.reference(), c.op().sql(), c.literal()));
        }
        TinySqlExample.JoinInfo join = null;
        if (spec.join() != null) {
            JoinSpec j = spec.join();
            join = new TinySqlExample.JoinInfo(j.right().name(), j.right().synonym(), fields(j.right()),
                    t.name() + "." + j.leftKey().name(), j.right().name() + "." + j.rightKey().name());
        }
        String english = EnglishRenderer.render(spec, phrasingSeed);
        // An instruction "uses synonyms" when it differs from the same instruction rendered with schema names.
        boolean usesSynonym = !english.equals(EnglishRenderer.render(literal(spec), phrasingSeed));
        return new TinySqlExample(spec.commandSet().level(), t.name(), t.synonym(), usesSynonym,
                spec.context(), english, spec.sql(), fields(t),
                spec.select().stream().map(SelectItem::sql).toList(),
                spec.orderBy().stream().map(OrderItem::sql).toList(),
                spec.groupBy().stream().map(SelectItem::reference).toList(),
                where, spec.where().isEmpty() ? null : (spec.whereOr() ? "OR" : "AND"), join,
                spec.createStatements(), split);
    }

    /**
     * The same spec with every synonym removed: what the literal variant would say.
     *
     * @param spec the query structure
     * @return a spec whose tables and columns have no synonyms
     */
    public static QuerySpec literal(QuerySpec spec) {
        return SpecRewriter.stripSynonyms(spec);
    }

    private static List<String> fields(TableSchema t) {
        return t.columns().stream().map(c -> c.name() + " " + c.sqlType()).toList();
    }

    private QuerySpec spec(SplittableRandom r) {
        TableSchema t1 = table(r, Set.of(), null);
        boolean joined = commandSet.hasJoin() && r.nextDouble() < JOIN_RATE;
        JoinSpec join = joined ? join(r, t1) : null;
        boolean joinFirst = joined && r.nextBoolean();
        String q1 = join == null ? null : t1.name();
        List<SelectItem> columns = new ArrayList<>();
        t1.columns().forEach(c -> columns.add(new SelectItem(q1, c, null)));
        if (join != null) {
            join.right().columns().forEach(c -> columns.add(new SelectItem(join.right().name(), c, null)));
        }

        // SELECT: 1..N distinct columns (of either table when joined), N the FROM table's column count.
        int k = 1 + r.nextInt(t1.columns().size());
        List<SelectItem> select = new ArrayList<>(sample(r, columns, k));
        List<SelectItem> groupBy = new ArrayList<>();
        if (commandSet.hasAggregates() && r.nextDouble() < AGGREGATE_RATE) {
            int forced = r.nextInt(select.size());
            for (int i = 0; i < select.size(); i++) {
                if (i == forced || r.nextBoolean()) {
                    List<Aggregate> aggs = select.get(i).column().kind().aggregates();
                    select.set(i, select.get(i).withAggregate(aggs.get(r.nextInt(aggs.size()))));
                }
            }
            for (SelectItem s : select) {
                if (s.aggregate() == null) {
                    groupBy.add(s);
                }
            }
        }
        boolean aggregated = select.stream().anyMatch(s -> s.aggregate() != null);

        List<Condition> where = new ArrayList<>();
        boolean whereOr = false;
        if (commandSet.hasWhere() && r.nextDouble() < WHERE_RATE) {
            int n = 1 + r.nextInt(3);
            for (SelectItem s : sample(r, columns, Math.min(n, columns.size()))) {
                List<Operator> ops = Operator.forKind(s.column().kind());
                // IS [NOT] NULL are rarer than value comparisons.
                Operator op = r.nextInt(10) == 0 ? ops.get(ops.size() - 1 - r.nextInt(2)) : ops.get(r.nextInt(ops.size() - 2));
                String literal = op.takesLiteral() ? ValuePools.literal(r, s.column().kind(), op) : null;
                where.add(new Condition(s.table(), s.column(), op, literal));
            }
            whereOr = where.size() > 1 && r.nextInt(5) == 0;
        }

        List<OrderItem> orderBy = new ArrayList<>();
        if (commandSet.hasOrderBy() && r.nextDouble() < ORDER_BY_RATE) {
            // In a grouped/aggregated query only the SELECT items are valid sort keys.
            List<SelectItem> candidates = aggregated ? select : columns;
            int n = 1 + r.nextInt(Math.min(candidates.size(), t1.columns().size()));
            for (SelectItem s : sample(r, candidates, n)) {
                orderBy.add(new OrderItem(s, r.nextBoolean()));
            }
        }
        return new QuerySpec(commandSet, t1, select, groupBy, where, whereOr, orderBy, join, joinFirst);
    }

    private JoinSpec join(SplittableRandom r, TableSchema t1) {
        Set<String> used = new HashSet<>();
        t1.columns().forEach(c -> used.add(c.name()));
        TableSchema t2 = table(r, used, t1.name());
        List<Column> leftCandidates = t1.columns().stream().filter(c -> c.kind() == FieldKind.INT).toList();
        if (leftCandidates.isEmpty()) {
            leftCandidates = t1.columns();
        }
        Column left = leftCandidates.get(r.nextInt(leftCandidates.size()));
        List<Column> rightCandidates = t2.columns().stream().filter(c -> c.kind() == left.kind()).toList();
        Column right;
        if (rightCandidates.isEmpty()) {
            // Give the second table a key column of the left key's kind.
            used.addAll(t2.columns().stream().map(Column::name).toList());
            Column fresh = column(r, left.kind(), used);
            Column replaced = t2.columns().get(r.nextInt(t2.columns().size()));
            t2 = t2.withColumn(replaced.name(), fresh);
            right = fresh;
        } else {
            right = rightCandidates.get(r.nextInt(rightCandidates.size()));
        }
        return new JoinSpec(t2, left, right);
    }

    private TableSchema table(SplittableRandom r, Set<String> excludedColumns, String excludedTable) {
        Vocabulary.TableWord tw;
        do {
            tw = vocab.tables().get(r.nextInt(vocab.tables().size()));
        } while (tw.name().equals(excludedTable));
        int n = MIN_COLUMNS + r.nextInt(MAX_COLUMNS - MIN_COLUMNS + 1);
        Set<String> used = new HashSet<>(excludedColumns);
        List<Column> cols = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            cols.add(column(r, null, used));
        }
        String synonym = variant == Variant.SYNONYM && r.nextDouble() < TABLE_SYNONYM_RATE ? tw.synonym(r.nextInt(2)) : null;
        return new TableSchema(tw.name(), synonym, cols);
    }

    /** A fresh column (of the given kind, or any kind when null) whose name is not in {@code used}. */
    private Column column(SplittableRandom r, FieldKind kind, Set<String> used) {
        List<Vocabulary.FieldWord> pool = kind == null ? vocab.fields() : vocab.fields(kind);
        Vocabulary.FieldWord fw;
        do {
            fw = pool.get(r.nextInt(pool.size()));
        } while (used.contains(fw.name()));
        used.add(fw.name());
        String type = fw.kind().randomSqlType(r);
        String synonym = variant == Variant.SYNONYM && r.nextDouble() < FIELD_SYNONYM_RATE ? fw.synonym(r.nextInt(2)) : null;
        return new Column(fw.name(), type, fw.kind(), synonym);
    }

    /** {@code k} distinct elements in random order (partial Fisher-Yates). */
    static <T> List<T> sample(SplittableRandom r, List<T> items, int k) {
        List<T> copy = new ArrayList<>(items);
        for (int i = 0; i < k; i++) {
            int j = i + r.nextInt(copy.size() - i);
            T tmp = copy.get(i);
            copy.set(i, copy.get(j));
            copy.set(j, tmp);
        }
        return new ArrayList<>(copy.subList(0, k));
    }

    /** SplitMix64 finaliser over (seed, index). */
    static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
