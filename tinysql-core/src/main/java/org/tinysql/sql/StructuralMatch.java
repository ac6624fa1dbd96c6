package org.tinysql.sql;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import net.sf.jsqlparser.expression.Alias;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.operators.conditional.AndExpression;
import net.sf.jsqlparser.expression.operators.conditional.OrExpression;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.select.FromItem;
import net.sf.jsqlparser.statement.select.GroupByElement;
import net.sf.jsqlparser.statement.select.Join;
import net.sf.jsqlparser.statement.select.OrderByElement;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.SelectItem;

/**
 * Parses gold and prediction with JSqlParser and compares them clause by clause: SELECT items, FROM, JOIN, WHERE,
 * GROUP BY, ORDER BY (and anything else such as LIMIT/HAVING/DISTINCT as "other"). Comparison is order-insensitive
 * where SQL is: SELECT items and GROUP BY keys are multisets, WHERE conjuncts (or disjuncts) are multisets,
 * equality sides and mirrored comparisons ({@code 5 < a} vs {@code a > 5}) are normalised; ORDER BY is ordered
 * and a missing direction means ASC. Inner joins compare as a multiset of tables plus one multiset of ON atoms (so
 * the sides of a JOIN and of its ON may be swapped); outer joins keep their sides. Aliases are ignored in SELECT and
 * resolved in ORDER BY; table aliases are resolved to table names, and table qualifiers are dropped when the query
 * reads one table. Text is compared by tokens, so string literals stay whole. Only exactly one SELECT statement within {@link SqlParsing}'s bounds on
 * size and nesting is scored (so no comparison below can recurse deeply); anything else is wrong with the reason.
 */
public final class StructuralMatch implements SqlScorer {
    /** The clause names of the per-clause verdicts in {@link ScoreResult#clauses()}, in SQL order. */
    public static final List<String> CLAUSES = List.of("select", "from", "join", "where", "group_by", "order_by", "other");

    @Override
    public String name() {
        return "structural";
    }

    @Override
    public ScoreResult score(String context, String gold, String predicted) {
        ScoreResult rejected = SqlScorer.rejectUnscorable(predicted);
        if (rejected != null) {
            return rejected;
        }
        Shape g;
        try {
            g = Shape.of(gold);
        } catch (SqlRejectedException | RuntimeException e) {
            return ScoreResult.wrong("gold SQL does not parse: " + ReasonText.firstLine(e));
        }
        Shape p;
        try {
            p = Shape.of(predicted);
        } catch (SqlRejectedException | RuntimeException e) {
            return ScoreResult.wrong("unparsable: " + ReasonText.firstLine(e));
        }
        Map<String, Boolean> clauses = new LinkedHashMap<>();
        clauses.put("select", g.select.equals(p.select));
        clauses.put("from", g.from.equals(p.from));
        clauses.put("join", g.join.equals(p.join));
        clauses.put("where", g.where.equals(p.where));
        clauses.put("group_by", g.groupBy.equals(p.groupBy));
        clauses.put("order_by", g.orderBy.equals(p.orderBy));
        clauses.put("other", g.other.equals(p.other));
        long ok = clauses.values().stream().filter(b -> b).count();
        boolean correct = ok == clauses.size();
        String reason = correct ? "" : "clauses differ: " + clauses.entrySet().stream().filter(e -> !e.getValue())
                .map(Map.Entry::getKey).toList();
        return new ScoreResult((double) ok / clauses.size(), correct, reason, clauses);
    }

    /** The normalised clause structure of one SELECT statement. */
    static final class Shape {
        List<String> select;
        String from;
        List<String> join;
        List<String> where;
        List<String> groupBy;
        List<String> orderBy;
        List<String> other;
        private boolean singleTable;
        private final Map<String, String> aliases = new HashMap<>();
        /** Table alias (upper case) to table name (upper case). */
        private final Map<String, String> tableAliases = new HashMap<>();

        static Shape of(String sql) throws SqlRejectedException {
            Select st = SqlParsing.parseSingleSelect(sql);
            if (!(st instanceof PlainSelect ps)) {
                throw new SqlRejectedException("not a simple SELECT statement: " + st.getClass().getSimpleName());
            }
            Shape s = new Shape();
            s.singleTable = ps.getJoins() == null || ps.getJoins().isEmpty();
            s.tableAliases(ps);
            List<String> items = new ArrayList<>();
            for (SelectItem<?> item : ps.getSelectItems()) {
                String expr = s.norm(item.getExpression().toString());
                Alias alias = item.getAlias();
                if (alias != null) {
                    s.aliases.put(alias.getName().toUpperCase(Locale.ROOT), expr);
                }
                items.add(expr);
            }
            s.select = sorted(items);
            s.fromAndJoins(ps);
            s.where = ps.getWhere() == null ? List.of() : s.condition(ps.getWhere());
            GroupByElement gb = ps.getGroupBy();
            List<String> groups = new ArrayList<>();
            if (gb != null && gb.getGroupByExpressionList() != null) {
                for (Object e : gb.getGroupByExpressionList()) {
                    groups.add(s.resolve(s.norm(e.toString())));
                }
            }
            s.groupBy = sorted(groups);
            List<String> orders = new ArrayList<>();
            if (ps.getOrderByElements() != null) {
                for (OrderByElement o : ps.getOrderByElements()) {
                    orders.add(s.resolve(s.norm(o.getExpression().toString())) + (o.isAsc() ? " ASC" : " DESC"));
                }
            }
            s.orderBy = orders;
            List<String> other = new ArrayList<>();
            other.add("distinct=" + (ps.getDistinct() != null));
            other.add("having=" + (ps.getHaving() == null ? "" : s.norm(ps.getHaving().toString())));
            other.add("limit=" + Objects.toString(ps.getLimit(), ""));
            other.add("offset=" + Objects.toString(ps.getOffset(), ""));
            s.other = other;
            return s;
        }

        private void tableAliases(PlainSelect ps) {
            List<FromItem> items = new ArrayList<>();
            items.add(ps.getFromItem());
            if (ps.getJoins() != null) {
                ps.getJoins().forEach(j -> items.add(j.getRightItem()));
            }
            for (FromItem f : items) {
                if (f instanceof Table t && t.getAlias() != null) {
                    tableAliases.put(QueryPolicy.unquote(t.getAlias().getName()).toUpperCase(Locale.ROOT),
                            QueryPolicy.unquote(t.getName()).toUpperCase(Locale.ROOT));
                }
            }
        }

        /** A FROM item as text: a table by its name (its alias resolved everywhere else), anything else normalised. */
        private String fromItem(FromItem f) {
            if (f == null) {
                return "";
            }
            return f instanceof Table t ? QueryPolicy.unquote(t.getName()).toUpperCase(Locale.ROOT) : norm(f.toString());
        }

        /**
         * FROM and JOIN. When every join is an inner one (JOIN, INNER JOIN, CROSS JOIN, a comma) the tables are a
         * multiset and all ON conditions one multiset of atoms, so {@code a JOIN b ON x = y} equals
         * {@code b JOIN a ON y = x}; outer joins keep their sides and order.
         */
        private void fromAndJoins(PlainSelect ps) {
            List<Join> js = ps.getJoins() == null ? List.of() : ps.getJoins();
            boolean inner = js.stream().allMatch(j -> !j.isLeft() && !j.isRight() && !j.isFull() && !j.isOuter() && !j.isNatural()
                    && !j.isSemi() && !j.isStraight() && !j.isApply() && noUsing(j));
            if (inner) {
                List<String> tables = new ArrayList<>();
                List<String> on = new ArrayList<>();
                tables.add(fromItem(ps.getFromItem()));
                for (Join j : js) {
                    tables.add(fromItem(j.getRightItem()));
                    onAtoms(j, on);
                }
                from = String.join(", ", sorted(tables));
                join = js.isEmpty() ? List.of() : List.of("INNER ON " + sorted(on));
                return;
            }
            from = fromItem(ps.getFromItem());
            List<String> joins = new ArrayList<>();
            for (Join j : js) {
                List<String> on = new ArrayList<>();
                onAtoms(j, on);
                String kind = j.isLeft() ? "LEFT " : j.isRight() ? "RIGHT " : j.isFull() ? "FULL " : j.isCross() ? "CROSS "
                        : j.isNatural() ? "NATURAL " : "";
                String using = noUsing(j) ? "" : " USING " + norm(j.getUsingColumns().toString());
                joins.add(kind + fromItem(j.getRightItem()) + " ON " + sorted(on) + using);
            }
            join = joins;
        }

        private static boolean noUsing(Join j) {
            return j.getUsingColumns() == null || j.getUsingColumns().isEmpty();
        }

        private void onAtoms(Join j, List<String> out) {
            Collection<Expression> ons = j.getOnExpressions();
            if (ons != null) {
                for (Expression e : ons) {
                    atoms(e, out);
                }
            }
        }

        /** WHERE as [connector, sorted atoms...]: AND-only or OR-only trees are order-insensitive. */
        private List<String> condition(Expression e) {
            boolean hasAnd = contains(e, AndExpression.class);
            boolean hasOr = contains(e, OrExpression.class);
            List<String> out = new ArrayList<>();
            if (hasAnd && hasOr) {
                out.add("MIXED");
                out.add(norm(e.toString()));
                return out;
            }
            out.add(hasOr ? "OR" : "AND");
            out.addAll(sorted(atoms(e, new ArrayList<>())));
            return out;
        }

        private static boolean contains(Expression e, Class<?> type) {
            if (type.isInstance(e)) {
                return true;
            }
            if (e instanceof AndExpression a) {
                return contains(a.getLeftExpression(), type) || contains(a.getRightExpression(), type);
            }
            if (e instanceof OrExpression o) {
                return contains(o.getLeftExpression(), type) || contains(o.getRightExpression(), type);
            }
            return false;
        }

        private List<String> atoms(Expression e, List<String> out) {
            if (e instanceof AndExpression a) {
                atoms(a.getLeftExpression(), out);
                atoms(a.getRightExpression(), out);
            } else if (e instanceof OrExpression o) {
                atoms(o.getLeftExpression(), out);
                atoms(o.getRightExpression(), out);
            } else {
                out.add(canonicalComparison(norm(e.toString())));
            }
            return out;
        }

        /** {@code 5 < a} becomes {@code a > 5}; {@code b = a} becomes {@code a = b}. */
        private static String canonicalComparison(String s) {
            List<String> tl = SqlText.tokens(s);
            if (tl.size() != 3) {
                return s;
            }
            String[] t = tl.toArray(new String[0]);
            String flipped = switch (t[1]) {
                case "<" -> ">";
                case ">" -> "<";
                case "<=" -> ">=";
                case ">=" -> "<=";
                case "=", "!=" -> t[1];
                default -> null;
            };
            if (flipped == null) {
                return s;
            }
            boolean leftLiteral = isLiteral(t[0]) && !isLiteral(t[2]);
            boolean symmetricSwap = (t[1].equals("=") || t[1].equals("!=")) && t[0].compareTo(t[2]) > 0
                    && isLiteral(t[0]) == isLiteral(t[2]);
            return leftLiteral || symmetricSwap ? t[2] + " " + flipped + " " + t[0] : s;
        }

        private static boolean isLiteral(String tok) {
            char c = tok.charAt(0);
            return c == '\'' || Character.isDigit(c) || c == '-' || tok.equals("TRUE") || tok.equals("FALSE") || tok.equals("NULL");
        }

        private String resolve(String expr) {
            return aliases.getOrDefault(expr, expr);
        }

        /**
         * Normalised text: single-table queries drop table qualifiers, others name tables instead of their aliases.
         * Works on tokens, so string literals (spaces, dots and parentheses in them) stay as they are.
         */
        private String norm(String text) {
            StringBuilder sb = new StringBuilder();
            String prev = "";
            for (String tok : SqlText.tokens(SqlText.normalize(text))) {
                int dot = tok.lastIndexOf('.');
                boolean qualified = dot > 0 && SqlText.isWord(tok);
                if (qualified && singleTable) {
                    tok = tok.substring(dot + 1);
                } else if (qualified) {
                    String table = tableAliases.get(tok.substring(0, dot));
                    tok = table == null ? tok : table + tok.substring(dot);
                }
                if (sb.length() > 0 && !prev.equals("(") && !tok.equals(")")) {
                    sb.append(' ');
                }
                sb.append(tok);
                prev = tok;
            }
            return sb.toString();
        }

        private static List<String> sorted(List<String> items) {
            List<String> s = new ArrayList<>(items);
            s.sort(null);
            return s;
        }
    }
}
