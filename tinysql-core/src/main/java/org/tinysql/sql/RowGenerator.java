package org.tinysql.sql;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tinysql.data.FieldKind;
import org.tinysql.data.ValuePools;

/**
 * The rows the execution scorer fills a Context's tables with: seeded random values (half from small pools so that
 * joins and equality tests find partners) plus values that hit the gold query's WHERE literals, so conditions are
 * tested both ways. Deterministic for a (Context, gold) pair.
 */
final class RowGenerator {
    private static final Pattern CONDITION = Pattern.compile(
            "(?i)\\b([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)?)\\s*(<=|>=|!=|<>|=|<|>|\\bLIKE\\b)\\s*('[^']*'|-?\\d+(?:\\.\\d+)?|TRUE|FALSE)");

    private final Map<String, List<String[]>> hits;
    private final SplittableRandom r;

    RowGenerator(String context, String gold) {
        this.hits = literalHits(gold);
        this.r = new SplittableRandom((context + "\u0000" + gold).hashCode() * 0x9E3779B97F4A7C15L);
    }

    /** The next value for a column: a gold literal hit one time in three where the gold compares the column. */
    Object next(ContextSchema.Column column) {
        FieldKind kind = column.type().kind();
        List<String[]> h = hits.get(column.name());
        Object v = h != null && r.nextInt(3) == 0 ? hitValue(h.get(r.nextInt(h.size())), kind) : randomValue(kind);
        int length = column.type().length();
        if (v instanceof String s && kind == FieldKind.TEXT && length > 0 && s.length() > length) {
            v = s.substring(0, length);
        }
        return v;
    }

    private Object randomValue(FieldKind kind) {
        if (r.nextInt(10) == 0) {
            return null;
        }
        boolean pool = r.nextBoolean();
        return switch (kind) {
            case INT -> (long) (pool ? r.nextInt(16) : ValuePools.integer(r));
            case DEC -> pool ? new BigDecimal(r.nextInt(16) + ".50") : new BigDecimal(ValuePools.decimal(r));
            case TEXT -> ValuePools.word(r);
            case DATE -> java.sql.Date.valueOf(pool ? LocalDate.of(2020, 1, 1).plusDays(r.nextInt(16)) : ValuePools.date(r));
            case BOOL -> r.nextBoolean();
        };
    }

    /** A value that sits on the boundary of (or matches) a gold WHERE literal. */
    private Object hitValue(String[] opAndLiteral, FieldKind kind) {
        String lit = opAndLiteral[1];
        String body = lit.startsWith("'") ? lit.substring(1, lit.length() - 1) : lit;
        try {
            return switch (kind) {
                case INT -> Math.round(Double.parseDouble(body)) + (r.nextInt(3) - 1);
                case DEC -> new BigDecimal(body);
                case DATE -> java.sql.Date.valueOf(LocalDate.parse(body.length() > 10 ? body.substring(0, 10) : body)
                        .plusDays(r.nextInt(3) - 1));
                case BOOL -> Boolean.parseBoolean(body);
                case TEXT -> body.contains("%") ? body.replace("%", ValuePools.word(r).substring(0, 2)) : body;
            };
        } catch (RuntimeException e) {
            return randomValue(kind);
        }
    }

    /** Column name (unqualified, upper case) to [operator, literal] of the gold's comparisons. */
    private static Map<String, List<String[]>> literalHits(String gold) {
        Map<String, List<String[]>> hits = new HashMap<>();
        Matcher m = CONDITION.matcher(gold);
        while (m.find()) {
            String col = m.group(1);
            col = col.substring(col.lastIndexOf('.') + 1).toUpperCase(Locale.ROOT);
            hits.computeIfAbsent(col, k -> new ArrayList<>()).add(new String[] {m.group(2), m.group(3)});
        }
        return hits;
    }
}
