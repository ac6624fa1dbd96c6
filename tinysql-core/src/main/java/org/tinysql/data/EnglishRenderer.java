package org.tinysql.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Renders the English instruction of a {@link QuerySpec} from many templates.
 *
 * <p>The template choices come from a {@code phrasingSeed}. Every element draws the same number of random
 * numbers whatever its value, so re-rendering a corrupted spec with the same seed keeps every other
 * word of the instruction identical: that is what makes clean/corrupt pairs differ in one element only.
 */
public final class EnglishRenderer {

    private static final String[] VERBS = {
        "Show me", "List", "Get", "Display", "Retrieve", "Find", "Give me", "Fetch", "Return", "Pull up",
        "I need", "What are", "Select", "Can you show", "Report", "Extract"
    };
    private static final String[] FROM = {
        "from the %s table", "from %s", "in the %s table", "from the table %s", "stored in %s", "for %s",
        "out of %s", "from the %s records"
    };
    private static final String[] JOIN = {
        "joined with %2$s on %3$s matching %4$s", "combined with %2$s on %3$s equal to %4$s",
        "joined to %2$s using %3$s and %4$s", "linked with %2$s through %3$s and %4$s",
        "together with %2$s matched on %3$s and %4$s"
    };
    private static final String[] WHERE_INTRO = {
        "where", "only where", "for rows where", "but only if", "filtered to rows where", "when"
    };
    private static final String[] GROUP = {"grouped by %s", "for each %s", "per %s", "broken down by %s"};
    private static final String[] ORDER_INTRO = {"sorted by", "ordered by", "arranged by", "ranked by"};
    private static final String[] ORDER_ASC = {
        "in ascending order", "from lowest to highest", "from smallest to largest", "ascending", "in increasing order"
    };
    private static final String[] ORDER_DESC = {
        "in descending order", "from highest to lowest", "from largest to smallest", "descending", "in decreasing order"
    };
    private static final String[] ORDER_ASC_DATE = {"from oldest to newest", "from earliest to latest", "in ascending order"};
    private static final String[] ORDER_DESC_DATE = {"from newest to oldest", "from latest to earliest", "in descending order"};
    private static final String[] ORDER_ASC_TEXT = {"alphabetically", "from A to Z", "in ascending order"};
    private static final String[] ORDER_DESC_TEXT = {"in reverse alphabetical order", "from Z to A", "in descending order"};

    private EnglishRenderer() {
    }

    public static String render(QuerySpec q, long phrasingSeed) {
        SplittableRandom r = new SplittableRandom(phrasingSeed);
        StringBuilder sb = new StringBuilder(pick(r, VERBS)).append(' ');
        boolean article = r.nextBoolean();
        List<String> items = new ArrayList<>();
        for (SelectItem s : q.select()) {
            items.add(selectPhrase(r, s));
        }
        if (article && q.select().get(0).aggregate() == null) {
            sb.append("the ");
        }
        sb.append(list(r, items));
        sb.append(' ').append(String.format(pick(r, FROM), q.table().englishName()));
        int joinTemplate = r.nextInt(JOIN.length);
        if (q.join() != null) {
            JoinSpec j = q.join();
            sb.append(' ').append(String.format(JOIN[joinTemplate], q.table().englishName(), j.right().englishName(),
                    j.leftKey().englishName(), j.rightKey().englishName()));
        }
        String whereIntro = pick(r, WHERE_INTRO);
        if (!q.where().isEmpty()) {
            sb.append(' ').append(whereIntro);
            for (int i = 0; i < q.where().size(); i++) {
                if (i > 0) {
                    sb.append(q.whereOr() ? " or" : " and");
                }
                Condition c = q.where().get(i);
                sb.append(' ').append(c.column().englishName()).append(' ').append(conditionPhrase(r, c));
            }
        }
        String group = pick(r, GROUP);
        if (!q.groupBy().isEmpty()) {
            List<String> g = new ArrayList<>();
            q.groupBy().forEach(s -> g.add(s.column().englishName()));
            sb.append(' ').append(String.format(group, String.join(" and ", g)));
        }
        String orderIntro = pick(r, ORDER_INTRO);
        if (!q.orderBy().isEmpty()) {
            sb.append(' ').append(orderIntro);
            for (int i = 0; i < q.orderBy().size(); i++) {
                OrderItem o = q.orderBy().get(i);
                if (i > 0) {
                    sb.append(i == q.orderBy().size() - 1 ? " and then" : ", then");
                }
                sb.append(' ').append(selectPhrase(r, o.target())).append(' ').append(directionPhrase(r, o));
            }
        }
        return sb.toString();
    }

    /** The words for one SELECT item: {@code price} or {@code the average price}. */
    static String selectPhrase(SplittableRandom r, SelectItem s) {
        int k = r.nextInt(3);
        if (s.aggregate() == null) {
            return s.column().englishName();
        }
        return String.format(aggregatePhrases(s.aggregate(), s.column().kind())[k], s.column().englishName());
    }

    static String[] aggregatePhrases(Aggregate a, FieldKind kind) {
        return switch (a) {
            case COUNT -> new String[] {"the number of %s", "the count of %s", "a count of %s"};
            case SUM -> new String[] {"the total %s", "the sum of %s", "the combined %s"};
            case AVG -> new String[] {"the average %s", "the mean %s", "the average of %s"};
            case MIN -> switch (kind) {
                case DATE -> new String[] {"the earliest %s", "the first %s", "the minimum %s"};
                case TEXT -> new String[] {"the minimum %s", "the alphabetically first %s", "the smallest %s"};
                default -> new String[] {"the lowest %s", "the minimum %s", "the smallest %s"};
            };
            case MAX -> switch (kind) {
                case DATE -> new String[] {"the latest %s", "the most recent %s", "the maximum %s"};
                case TEXT -> new String[] {"the maximum %s", "the alphabetically last %s", "the largest %s"};
                default -> new String[] {"the highest %s", "the maximum %s", "the largest %s"};
            };
        };
    }

    private static String directionPhrase(SplittableRandom r, OrderItem o) {
        FieldKind kind = o.target().aggregate() == Aggregate.COUNT ? FieldKind.INT : o.target().column().kind();
        String[] options = switch (kind) {
            case DATE -> o.descending() ? ORDER_DESC_DATE : ORDER_ASC_DATE;
            case TEXT -> o.descending() ? ORDER_DESC_TEXT : ORDER_ASC_TEXT;
            default -> o.descending() ? ORDER_DESC : ORDER_ASC;
        };
        return options[r.nextInt(15) % options.length];
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
