package org.tinysql.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.tinysql.tokenizer.Tokenizer;

/**
 * Clean/corrupt prompt pairs that differ in exactly one controlled element ({@link CorruptionKind}). The corrupt
 * prompt is re-rendered from a modified {@link QuerySpec} with the clean example's phrasing seed, so every other
 * word is identical. With a tokenizer, pairs are kept only when both prompts have the same token length and the
 * clean and corrupt answers start with different tokens.
 */
public final class CorruptionGenerator {
    private static final int CANDIDATES_PER_EXAMPLE = 8;

    private final DatasetGenerator generator;
    private final Vocabulary vocab;
    private final Tokenizer tokenizer;
    private final long seed;

    /**
     * A generator of pairs from the examples of a {@link DatasetGenerator} with the same arguments.
     *
     * @param commandSet the command set of the clean examples
     * @param variant    literal or synonym instructions
     * @param seed       the dataset seed; also seeds the choice of corruptions
     * @param tokenizer null to skip token-length checks
     */
    public CorruptionGenerator(CommandSet commandSet, Variant variant, long seed, Tokenizer tokenizer) {
        this.generator = new DatasetGenerator(commandSet, variant, seed);
        this.vocab = Vocabulary.builtin();
        this.tokenizer = tokenizer;
        this.seed = seed;
    }

    /**
     * {@code n} pairs of one kind, scanning generated examples in order.
     *
     * @throws IllegalArgumentException when the command set cannot contain the element, or too few examples qualify
     * @param kind the element to corrupt
     * @param n    the number of pairs wanted; at most {@code 200 n + 1000} examples are scanned
     * @return the pairs, in example order
     */
    public List<PromptPair> pairs(CorruptionKind kind, int n) {
        if (kind.minimumCommandSet().level() > generator.commandSet().level()) {
            throw new IllegalArgumentException("corruption " + kind + " needs command set " + kind.minimumCommandSet()
                    + " or higher, this generator makes " + generator.commandSet());
        }
        List<PromptPair> out = new ArrayList<>(n);
        long limit = 200L * n + 1000;
        for (long i = 0; i < limit && out.size() < n; i++) {
            pair(generator.example(i, 0), kind).ifPresent(out::add);
        }
        if (out.size() < n) {
            throw new IllegalArgumentException("only " + out.size() + " of " + n + " " + kind + " pairs found in " + limit
                    + " examples of " + generator.commandSet());
        }
        return out;
    }

    /**
     * A pair of the given kind made from one example, if the example has the element (and token lengths fit).
     *
     * @param g    the clean example
     * @param kind the element to corrupt
     * @return the pair, or empty when the example lacks the element or no candidate qualifies
     */
    public Optional<PromptPair> pair(GeneratedExample g, CorruptionKind kind) {
        SplittableRandom r = new SplittableRandom(DatasetGenerator.mix(seed ^ 0x5DEECE66DL, g.index() * 31 + kind.ordinal()));
        QuerySpec s = g.spec();
        String cleanEnglish = EnglishRenderer.render(s, g.phrasingSeed());
        String cleanContext = s.context();
        String cleanSql = s.sql();
        for (int attempt = 0; attempt < CANDIDATES_PER_EXAMPLE; attempt++) {
            Corrupted c = corrupt(s, kind, r, g.phrasingSeed());
            if (c == null) {
                return Optional.empty();
            }
            String english = c.english != null ? c.english : cleanEnglish;
            String context = c.context != null ? c.context : cleanContext;
            String corruptSql = c.sql != null ? c.sql : cleanSql;
            if (english.equals(cleanEnglish) && context.equals(cleanContext)) {
                continue;
            }
            String[] split = answerSplit(cleanSql, corruptSql);
            if (!cleanSql.equals(corruptSql) && split[1].equals(split[2])) {
                // the SQL differs after the first differing word ('%d' and '%d%'): no answer tells them apart
                continue;
            }
            String cleanPrompt = PromptFormat.prompt(cleanEnglish, cleanContext) + split[0];
            String corruptPrompt = PromptFormat.prompt(english, context) + split[0];
            int index = -1;
            int length = -1;
            if (tokenizer != null) {
                int[] a = tokenizer.encodePrompt(cleanPrompt);
                int[] b = tokenizer.encodePrompt(corruptPrompt);
                if (a.length != b.length || java.util.Arrays.equals(a, b)) {
                    continue; // different lengths, or a change the tokenizer does not see (e.g. ", " and " , ")
                }
                if (!split[1].equals(split[2])) {
                    int[] ca = tokenizer.encode(split[1]);
                    int[] cb = tokenizer.encode(split[2]);
                    if (ca.length == 0 || cb.length == 0 || ca[0] == cb[0]) {
                        continue;
                    }
                }
                index = a.length - 1;
                length = a.length;
            }
            return Optional.of(new PromptPair(kind, cleanPrompt, corruptPrompt, split[1], split[2], cleanSql, corruptSql,
                    index, length, g));
        }
        return Optional.empty();
    }

    /** What a corruption changes: the instruction, the Context and/or the SQL it calls for (null = unchanged). */
    private record Corrupted(String english, String context, String sql) {
    }

    private Corrupted corrupt(QuerySpec s, CorruptionKind kind, SplittableRandom r, long phrasing) {
        switch (kind) {
            case INSTRUCTION_TABLE: {
                String t = freshTable(s, r);
                QuerySpec q = SpecRewriter.renameTable(s, s.table().name(), t, null);
                return new Corrupted(EnglishRenderer.render(q, phrasing), null, q.sql());
            }
            case CONTEXT_TABLE: {
                String t = freshTable(s, r);
                QuerySpec q = SpecRewriter.renameTable(s, s.table().name(), t, s.table().synonym());
                return new Corrupted(null, q.context(), q.sql());
            }
            case JOIN_TABLE: {
                if (s.join() == null) {
                    return null;
                }
                String t = freshTable(s, r);
                QuerySpec q = SpecRewriter.renameTable(s, s.join().right().name(), t, null);
                return new Corrupted(EnglishRenderer.render(q, phrasing), null, q.sql());
            }
            case CONTEXT_JOIN_TABLE: {
                if (s.join() == null) {
                    return null;
                }
                String t = freshTable(s, r);
                QuerySpec q = SpecRewriter.renameTable(s, s.join().right().name(), t, s.join().right().synonym());
                return new Corrupted(null, q.context(), q.sql());
            }
            case JOIN_KEY: {
                if (s.join() == null || references(s, s.join().rightKey()) != 1) {
                    return null;
                }
                Column key = s.join().rightKey();
                Column other = unreferenced(s, s.join().right(), key.kind(), r);
                if (other == null) {
                    return null;
                }
                QuerySpec q = s.withJoin(new JoinSpec(s.join().right(), s.join().leftKey(), other));
                return new Corrupted(EnglishRenderer.render(q, phrasing), null, q.sql());
            }
            case INSTRUCTION_FIELD: {
                List<Integer> idx = new ArrayList<>();
                for (int i = 0; i < s.select().size(); i++) {
                    if (s.select().get(i).aggregate() == null && references(s, s.select().get(i).column()) == 1) {
                        idx.add(i);
                    }
                }
                if (idx.isEmpty()) {
                    return null;
                }
                int i = idx.get(r.nextInt(idx.size()));
                SelectItem item = s.select().get(i);
                Column other = unreferenced(s, tableOf(s, item.table()), null, r);
                if (other == null) {
                    return null;
                }
                List<SelectItem> sel = new ArrayList<>(s.select());
                sel.set(i, item.withColumn(other));
                QuerySpec q = s.withSelect(sel, s.groupBy());
                return new Corrupted(EnglishRenderer.render(q, phrasing), null, q.sql());
            }
            case CONTEXT_FIELD: {
                SelectItem item = s.select().get(r.nextInt(s.select().size()));
                Column c = item.column();
                String fresh = freshField(s, c.kind(), r);
                QuerySpec q = SpecRewriter.mapColumns(s, col -> col.equals(c) ? col.withName(fresh) : col);
                return new Corrupted(null, q.context(), q.sql());
            }
            case CONTEXT_TYPE: {
                TableSchema t = s.table();
                Column c = t.columns().get(r.nextInt(t.columns().size()));
                FieldKind k;
                do {
                    k = FieldKind.values()[r.nextInt(FieldKind.values().length)];
                } while (k == c.kind());
                String type = k.sqlTypes().get(r.nextInt(k.sqlTypes().size()));
                FieldKind kk = k;
                QuerySpec q = SpecRewriter.mapColumns(s, col -> col.equals(c) ? col.withType(type, kk) : col);
                return new Corrupted(null, q.context(), null);
            }
            case CONTEXT_SEPARATOR: {
                String[] seps = {"; ", " , ", " | "};
                String sep = seps[r.nextInt(seps.length)];
                List<String> creates = new ArrayList<>(s.createStatements());
                int i = creates.indexOf(s.table().createStatement());
                creates.set(i, s.table().createStatement(sep));
                return new Corrupted(null, String.join(" ", creates), null);
            }
            case CONTEXT_CREATE: {
                // The original's words, and two SQL keywords that a vocabulary built from the responses has as one token
                // each (MAKE and the others are several tokens there, so their prompts would not keep the token length).
                String[] words = {"MAKE", "BUILD", "GENERATE", "CONSTRUCT", "SELECT", "FROM"};
                String create = s.table().createStatement();
                if (!create.startsWith("CREATE ")) {
                    return null;
                }
                List<String> creates = new ArrayList<>(s.createStatements());
                creates.set(creates.indexOf(create), words[r.nextInt(words.length)] + create.substring("CREATE".length()));
                return new Corrupted(null, String.join(" ", creates), null);
            }
            case ORDER_BY_FIELD: {
                if (s.orderBy().isEmpty() || s.select().stream().anyMatch(x -> x.aggregate() != null)) {
                    return null;
                }
                int j = r.nextInt(s.orderBy().size());
                OrderItem o = s.orderBy().get(j);
                if (references(s, o.target().column()) != 1) {
                    return null;
                }
                Column other = unreferenced(s, tableOf(s, o.target().table()), o.target().column().kind(), r);
                if (other == null) {
                    return null;
                }
                List<OrderItem> ord = new ArrayList<>(s.orderBy());
                ord.set(j, o.withTarget(o.target().withColumn(other)));
                QuerySpec q = s.withOrderBy(ord);
                return new Corrupted(EnglishRenderer.render(q, phrasing), null, q.sql());
            }
            case ORDER_BY_DIRECTION: {
                if (s.orderBy().isEmpty()) {
                    return null;
                }
                int j = r.nextInt(s.orderBy().size());
                List<OrderItem> ord = new ArrayList<>(s.orderBy());
                ord.set(j, ord.get(j).withDescending(!ord.get(j).descending()));
                QuerySpec q = s.withOrderBy(ord);
                return new Corrupted(EnglishRenderer.render(q, phrasing), null, q.sql());
            }
            case AGGREGATE_FUNCTION:
            case AGGREGATE_FIELD: {
                List<Integer> idx = new ArrayList<>();
                for (int i = 0; i < s.select().size(); i++) {
                    SelectItem it = s.select().get(i);
                    if (it.aggregate() != null && references(s, it.column()) == 1) {
                        idx.add(i);
                    }
                }
                if (idx.isEmpty()) {
                    return null;
                }
                int i = idx.get(r.nextInt(idx.size()));
                SelectItem it = s.select().get(i);
                SelectItem changed;
                if (kind == CorruptionKind.AGGREGATE_FUNCTION) {
                    List<Aggregate> aggs = new ArrayList<>(it.column().kind().aggregates());
                    aggs.remove(it.aggregate());
                    if (aggs.isEmpty()) {
                        return null;
                    }
                    changed = it.withAggregate(aggs.get(r.nextInt(aggs.size())));
                } else {
                    Column other = unreferenced(s, tableOf(s, it.table()), it.column().kind(), r);
                    if (other == null) {
                        return null;
                    }
                    changed = it.withColumn(other);
                }
                List<SelectItem> sel = new ArrayList<>(s.select());
                sel.set(i, changed);
                QuerySpec q = s.withSelect(sel, s.groupBy());
                return new Corrupted(EnglishRenderer.render(q, phrasing), null, q.sql());
            }
            case WHERE_FIELD:
            case WHERE_OPERATOR:
            case WHERE_LITERAL: {
                if (s.where().isEmpty()) {
                    return null;
                }
                int k = r.nextInt(s.where().size());
                Condition c = s.where().get(k);
                Condition changed;
                if (kind == CorruptionKind.WHERE_FIELD) {
                    if (references(s, c.column()) != 1) {
                        return null;
                    }
                    Column other = unreferenced(s, tableOf(s, c.table()), c.column().kind(), r);
                    if (other == null) {
                        return null;
                    }
                    changed = c.withColumn(other);
                } else if (kind == CorruptionKind.WHERE_OPERATOR) {
                    // LIKE patterns and equality literals look different, so text swaps only = and !=.
                    if (!c.op().takesLiteral() || c.op() == Operator.LIKE) {
                        return null;
                    }
                    List<Operator> ops = new ArrayList<>(c.column().kind() == FieldKind.TEXT
                            ? List.of(Operator.EQ, Operator.NE) : Operator.forKind(c.column().kind()));
                    ops.removeIf(o -> !o.takesLiteral() || o == c.op());
                    if (ops.isEmpty()) {
                        return null;
                    }
                    changed = c.withOp(ops.get(r.nextInt(ops.size())));
                } else {
                    if (!c.op().takesLiteral()) {
                        return null;
                    }
                    String lit;
                    int guard = 0;
                    do {
                        lit = ValuePools.literal(r, c.column().kind(), c.op());
                    } while (lit.equals(c.literal()) && ++guard < 20);
                    if (lit.equals(c.literal())) {
                        return null;
                    }
                    changed = c.withLiteral(lit);
                }
                List<Condition> w = new ArrayList<>(s.where());
                w.set(k, changed);
                QuerySpec q = s.withWhere(w);
                return new Corrupted(EnglishRenderer.render(q, phrasing), null, q.sql());
            }
            default:
                throw new IllegalStateException("unhandled corruption " + kind);
        }
    }

    /**
     * Splits the clean SQL where the corrupt SQL first differs: [prefix, clean answer, corrupt answer]. The answer is
     * the differing word with its leading space; when the SQL is unchanged the answer is the first SELECT item.
     */
    static String[] answerSplit(String clean, String corrupt) {
        int d = 0;
        int n = Math.min(clean.length(), corrupt.length());
        while (d < n && clean.charAt(d) == corrupt.charAt(d)) {
            d++;
        }
        if (d == clean.length() && d == corrupt.length()) {
            d = "SELECT ".length();
        }
        int start = d;
        while (start > 0 && isWordChar(clean.charAt(start - 1))) {
            start--;
        }
        if (start > 0 && clean.charAt(start - 1) == ' ') {
            start--;
        }
        return new String[] {clean.substring(0, start), word(clean, start), word(corrupt, start)};
    }

    private static String word(String s, int start) {
        int i = start;
        if (i < s.length() && s.charAt(i) == ' ') {
            i++;
        }
        int j = i;
        while (j < s.length() && isWordChar(s.charAt(j))) {
            j++;
        }
        if (j == i) {
            // an operator such as >= or !=, else a single punctuation or quote character
            while (j < s.length() && "<>=!".indexOf(s.charAt(j)) >= 0) {
                j++;
            }
            if (j == i && j < s.length()) {
                j++;
            }
        }
        return s.substring(start, j);
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    private static TableSchema tableOf(QuerySpec s, String qualifier) {
        return qualifier == null || qualifier.equals(s.table().name()) ? s.table() : s.join().right();
    }

    /** How many times a column occurs in the query (SELECT, GROUP BY, WHERE, ORDER BY, JOIN keys). */
    private static int references(QuerySpec s, Column c) {
        int n = 0;
        for (SelectItem i : s.select()) {
            n += i.column().equals(c) ? 1 : 0;
        }
        for (SelectItem i : s.groupBy()) {
            n += i.column().equals(c) ? 1 : 0;
        }
        for (Condition w : s.where()) {
            n += w.column().equals(c) ? 1 : 0;
        }
        for (OrderItem o : s.orderBy()) {
            n += o.target().column().equals(c) ? 1 : 0;
        }
        if (s.join() != null) {
            n += s.join().leftKey().equals(c) || s.join().rightKey().equals(c) ? 1 : 0;
        }
        return n;
    }

    /** A column of {@code t} that the query does not use, of the given kind (any when null); null if none. */
    private static Column unreferenced(QuerySpec s, TableSchema t, FieldKind kind, SplittableRandom r) {
        List<Column> free = new ArrayList<>();
        for (Column c : t.columns()) {
            if (references(s, c) == 0 && (kind == null || c.kind() == kind)) {
                free.add(c);
            }
        }
        return free.isEmpty() ? null : free.get(r.nextInt(free.size()));
    }

    private String freshTable(QuerySpec s, SplittableRandom r) {
        Set<String> used = new HashSet<>();
        s.tables().forEach(t -> used.add(t.name()));
        String name;
        do {
            name = vocab.tables().get(r.nextInt(vocab.tables().size())).name();
        } while (used.contains(name));
        return name;
    }

    private String freshField(QuerySpec s, FieldKind kind, SplittableRandom r) {
        Set<String> used = new HashSet<>();
        s.tables().forEach(t -> t.columns().forEach(c -> used.add(c.name())));
        List<Vocabulary.FieldWord> pool = vocab.fields(kind);
        String name;
        do {
            name = pool.get(r.nextInt(pool.size())).name();
        } while (used.contains(name));
        return name;
    }
}
