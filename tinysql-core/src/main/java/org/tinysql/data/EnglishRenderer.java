package org.tinysql.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Renders the English instruction of a {@link QuerySpec} from the templates and phrase lists of
 * {@link EnglishPhrases}.
 *
 * <p>The template choices come from a {@code phrasingSeed}. Every element draws the same number of random
 * numbers whatever its value, so re-rendering a corrupted spec with the same seed keeps every other
 * word of the instruction identical: that is what makes clean/corrupt pairs differ in one element only.
 */
public final class EnglishRenderer {
    /** Phrase choices draw below this and take it modulo the list's length (divisible by every length up to 16). */
    private static final int CHOICES = 720_720;

    private EnglishRenderer() {
    }

    /**
     * The template family ({@link EnglishPhrases#TEMPLATE_FAMILIES}) an instruction with this phrasing seed uses.
     *
     * @param phrasingSeed the seed given to {@link #render}
     * @return the family's name, a key of {@link EnglishPhrases#TEMPLATE_FAMILIES}
     */
    public static String templateFamily(long phrasingSeed) {
        int t = new SplittableRandom(phrasingSeed).nextInt(EnglishPhrases.TEMPLATES.size());
        for (var e : EnglishPhrases.TEMPLATE_FAMILIES.entrySet()) {
            if (t < e.getValue().size()) {
                return e.getKey();
            }
            t -= e.getValue().size();
        }
        throw new IllegalStateException("template index out of range");
    }

    /**
     * The English instruction for a query, e.g. "Show the name and price of products, most expensive first".
     *
     * @param q            the query; its synonyms, where present, replace table and column names
     * @param phrasingSeed chooses template and phrases; the same seed gives the same wording for specs differing in
     *     one element
     * @return the instruction
     */
    public static String render(QuerySpec q, long phrasingSeed) {
        SplittableRandom r = new SplittableRandom(phrasingSeed);
        String template = EnglishPhrases.TEMPLATES.get(r.nextInt(EnglishPhrases.TEMPLATES.size()));
        String tableForm = pick(r, EnglishPhrases.TABLE_FORMS);
        boolean article = r.nextBoolean();
        List<String> items = new ArrayList<>();
        for (SelectItem s : q.select()) {
            items.add(selectPhrase(r, s));
        }
        // "the name and price", except after a literal SELECT and before an aggregate's own wording
        boolean the = article && q.select().get(0).aggregate() == null && !template.contains("SELECT {F}")
                && !template.contains("select {F}");
        String fields = (the ? "the " : "") + list(r, items);

        StringBuilder table = new StringBuilder(tableName(tableForm, q.table().englishName()));
        int joinTemplate = r.nextInt(EnglishPhrases.JOIN.length);
        if (q.join() != null) {
            JoinSpec j = q.join();
            table.append(' ').append(String.format(EnglishPhrases.JOIN[joinTemplate], q.table().englishName(),
                    j.right().englishName(), j.leftKey().englishName(), j.rightKey().englishName()));
        }

        StringBuilder rest = new StringBuilder();
        String whereIntro = pick(r, EnglishPhrases.WHERE_INTRO);
        if (!q.where().isEmpty()) {
            rest.append(' ').append(whereIntro);
            for (int i = 0; i < q.where().size(); i++) {
                if (i > 0) {
                    rest.append(q.whereOr() ? " or" : " and");
                }
                Condition c = q.where().get(i);
                rest.append(' ').append(c.column().englishName()).append(' ').append(conditionPhrase(r, c));
            }
        }
        String group = pick(r, EnglishPhrases.GROUP);
        if (!q.groupBy().isEmpty()) {
            List<String> g = new ArrayList<>();
            q.groupBy().forEach(s -> g.add(s.column().englishName()));
            String keys = g.size() == 1 ? g.get(0)
                    : String.join(", ", g.subList(0, g.size() - 1)) + " and " + g.get(g.size() - 1);
            rest.append(' ').append(String.format(group, keys));
        }
        orderBy(r, q, rest);

        String t = template.contains("{R}") ? template : template + "{R}";
        return t.replace("{F}", fields).replace("{T}", table).replace("{R}", rest);
    }

    /**
     * The ORDER BY words: either an intro and each key with its direction ("sorted by price in descending order,
     * then name alphabetically"), or, a third of the time when every key is a plain column, each key led by its
     * direction ("in descending order of price, then in alphabetical order of name").
     */
    private static void orderBy(SplittableRandom r, QuerySpec q, StringBuilder rest) {
        String intro = pick(r, EnglishPhrases.ORDER_INTRO);
        boolean lead = r.nextInt(3) == 0 && q.orderBy().stream().allMatch(o -> o.target().aggregate() == null);
        if (q.orderBy().isEmpty()) {
            return;
        }
        rest.append(' ');
        if (!lead) {
            rest.append(intro).append(' ');
        }
        for (int i = 0; i < q.orderBy().size(); i++) {
            OrderItem o = q.orderBy().get(i);
            String target = selectPhrase(r, o.target());
            int choice = r.nextInt(CHOICES);
            if (i > 0) {
                rest.append(i == q.orderBy().size() - 1 ? " and then " : ", then ");
            }
            FieldKind kind = o.target().aggregate() == Aggregate.COUNT ? FieldKind.INT : o.target().column().kind();
            int side = o.descending() ? 1 : 0;
            if (lead) {
                String[] options = (kind == FieldKind.DATE ? EnglishPhrases.LEAD_DATE
                        : kind == FieldKind.TEXT ? EnglishPhrases.LEAD_TEXT : EnglishPhrases.LEAD_NUMBER)[side];
                rest.append(String.format(options[choice % options.length], target));
            } else {
                String[] options = (kind == FieldKind.DATE ? EnglishPhrases.DIRECTION_DATE
                        : kind == FieldKind.TEXT ? EnglishPhrases.DIRECTION_TEXT : EnglishPhrases.DIRECTION_NUMBER)[side];
                rest.append(target).append(' ').append(options[choice % options.length]);
            }
        }
    }

    /** The table in its form, without doubling a last word ("the stock records records"). */
    private static String tableName(String form, String name) {
        int sp = form.lastIndexOf(' ');
        String last = sp < 0 ? "" : form.substring(sp + 1);
        if (form.endsWith("%s " + last) && (name.endsWith(" " + last) || name.equals(last))) {
            return String.format(form.substring(0, sp), name);
        }
        return String.format(form, name);
    }

    /** The words for one SELECT item: {@code price} or {@code the average price}. */
    static String selectPhrase(SplittableRandom r, SelectItem s) {
        int k = r.nextInt(CHOICES);
        if (s.aggregate() == null) {
            return s.column().englishName();
        }
        String[] options = EnglishPhrases.aggregate(s.aggregate(), s.column().kind());
        return String.format(options[k % options.length], s.column().englishName());
    }

    static String conditionPhrase(SplittableRandom r, Condition c) {
        int k = r.nextInt(12);
        String lit = c.literal();
        String[] options = switch (c.op()) {
            case IS_NULL -> new String[] {"is missing", "is empty", "has no value", "is null"};
            case IS_NOT_NULL -> new String[] {"is present", "is not empty", "has a value", "is not null"};
            default -> switch (c.column().kind()) {
                case DATE -> datePhrases(c.op());
                case TEXT -> textPhrases(c.op(), lit);
                case BOOL -> "TRUE".equals(lit) ? new String[] {"is true", "is set", "is yes"}
                        : new String[] {"is false", "is not set", "is no"};
                default -> numberPhrases(c.op());
            };
        };
        String shown = c.column().kind() == FieldKind.TEXT && lit != null ? textShown(lit)
                : c.column().kind() == FieldKind.DATE && lit != null ? lit.replace("'", "") : lit;
        return String.format(options[k % options.length], shown);
    }

    private static String[] numberPhrases(Operator op) {
        return switch (op) {
            case EQ -> new String[] {"is equal to %s", "equals %s", "is exactly %s"};
            case NE -> new String[] {"is not equal to %s", "is not %s", "differs from %s"};
            case LT -> new String[] {"is less than %s", "is below %s", "is under %s"};
            case GT -> new String[] {"is greater than %s", "is above %s", "exceeds %s", "is more than %s"};
            case LE -> new String[] {"is at most %s", "is no more than %s", "is less than or equal to %s"};
            case GE -> new String[] {"is at least %s", "is no less than %s", "is greater than or equal to %s"};
            default -> throw new IllegalArgumentException("operator " + op + " is not numeric");
        };
    }

    private static String[] datePhrases(Operator op) {
        return switch (op) {
            case EQ -> new String[] {"is on %s", "falls on %s"};
            case NE -> new String[] {"is not on %s", "is other than %s"};
            case LT -> new String[] {"is before %s", "is earlier than %s"};
            case GT -> new String[] {"is after %s", "is later than %s"};
            case LE -> new String[] {"is on or before %s", "is no later than %s"};
            case GE -> new String[] {"is on or after %s", "is no earlier than %s"};
            default -> throw new IllegalArgumentException("operator " + op + " is not valid for dates");
        };
    }

    private static String[] textPhrases(Operator op, String lit) {
        return switch (op) {
            case EQ -> new String[] {"is %s", "equals %s", "is exactly %s"};
            case NE -> new String[] {"is not %s", "does not equal %s"};
            case LIKE -> {
                String body = lit.substring(1, lit.length() - 1);
                if (body.startsWith("%") && body.endsWith("%")) {
                    yield new String[] {"contains %s", "includes %s"};
                } else if (body.endsWith("%")) {
                    yield new String[] {"starts with %s", "begins with %s"};
                } else {
                    yield new String[] {"ends with %s", "finishes with %s"};
                }
            }
            default -> throw new IllegalArgumentException("operator " + op + " is not valid for text");
        };
    }

    /** {@code '%ab%'} is shown as {@code 'ab'} in the English. */
    private static String textShown(String lit) {
        String body = lit.substring(1, lit.length() - 1);
        return "'" + body.replace("%", "") + "'";
    }

    private static String list(SplittableRandom r, List<String> items) {
        boolean oxford = r.nextInt(4) == 0;
        if (items.size() == 1) {
            return items.get(0);
        }
        String head = String.join(", ", items.subList(0, items.size() - 1));
        return head + (oxford && items.size() > 2 ? ", and " : " and ") + items.get(items.size() - 1);
    }

    private static String pick(SplittableRandom r, String[] options) {
        return options[r.nextInt(options.length)];
    }
}
