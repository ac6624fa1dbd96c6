package org.tinysql.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import net.sf.jsqlparser.expression.AnyComparisonExpression;
import net.sf.jsqlparser.expression.BinaryExpression;
import net.sf.jsqlparser.expression.BooleanValue;
import net.sf.jsqlparser.expression.CaseExpression;
import net.sf.jsqlparser.expression.CastExpression;
import net.sf.jsqlparser.expression.DateTimeLiteralExpression;
import net.sf.jsqlparser.expression.DateValue;
import net.sf.jsqlparser.expression.DoubleValue;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.ExtractExpression;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.expression.NotExpression;
import net.sf.jsqlparser.expression.NullValue;
import net.sf.jsqlparser.expression.SignedExpression;
import net.sf.jsqlparser.expression.StringValue;
import net.sf.jsqlparser.expression.TimeKeyExpression;
import net.sf.jsqlparser.expression.TimeValue;
import net.sf.jsqlparser.expression.TimestampValue;
import net.sf.jsqlparser.expression.TrimFunction;
import net.sf.jsqlparser.expression.WhenClause;
import net.sf.jsqlparser.expression.operators.arithmetic.Addition;
import net.sf.jsqlparser.expression.operators.arithmetic.Concat;
import net.sf.jsqlparser.expression.operators.arithmetic.Division;
import net.sf.jsqlparser.expression.operators.arithmetic.IntegerDivision;
import net.sf.jsqlparser.expression.operators.arithmetic.Modulo;
import net.sf.jsqlparser.expression.operators.arithmetic.Multiplication;
import net.sf.jsqlparser.expression.operators.arithmetic.Subtraction;
import net.sf.jsqlparser.expression.operators.conditional.AndExpression;
import net.sf.jsqlparser.expression.operators.conditional.OrExpression;
import net.sf.jsqlparser.expression.operators.relational.Between;
import net.sf.jsqlparser.expression.operators.relational.EqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ExistsExpression;
import net.sf.jsqlparser.expression.operators.relational.ExpressionList;
import net.sf.jsqlparser.expression.operators.relational.GreaterThan;
import net.sf.jsqlparser.expression.operators.relational.GreaterThanEquals;
import net.sf.jsqlparser.expression.operators.relational.InExpression;
import net.sf.jsqlparser.expression.operators.relational.IsBooleanExpression;
import net.sf.jsqlparser.expression.operators.relational.IsDistinctExpression;
import net.sf.jsqlparser.expression.operators.relational.IsNullExpression;
import net.sf.jsqlparser.expression.operators.relational.LikeExpression;
import net.sf.jsqlparser.expression.operators.relational.MinorThan;
import net.sf.jsqlparser.expression.operators.relational.MinorThanEquals;
import net.sf.jsqlparser.expression.operators.relational.NotEqualsTo;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.statement.create.table.ColDataType;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.Select;

/**
 * The expression half of {@link QueryPolicy}: every expression node must be of a kind listed here (anything else,
 * e.g. regular-expression operators, window functions, variables, sequences, arrays, is refused), functions must be
 * in {@link #FUNCTIONS}, and string-building is bounded: few concatenations, short literals, LIKE patterns that are
 * literals with few {@code %}, no CAST to padded CHAR. Subqueries go back to the {@link QueryPolicy}.
 */
final class ExpressionPolicy {
    /** Aggregates and simple scalar functions whose results are no longer than their arguments. */
    static final Set<String> FUNCTIONS = Set.of(
            "COUNT", "SUM", "AVG", "MIN", "MAX",
            "ABS", "ROUND", "CEIL", "CEILING", "FLOOR", "MOD", "SIGN",
            "UPPER", "LOWER", "UCASE", "LCASE", "LENGTH", "CHAR_LENGTH", "CHARACTER_LENGTH",
            "LTRIM", "RTRIM", "SUBSTRING", "SUBSTR", "LEFT", "RIGHT", "CONCAT",
            "COALESCE", "IFNULL", "NULLIF", "YEAR", "MONTH", "DAY");
    static final int MAX_CONCATENATIONS = 8;
    /** Total characters over all string literals of the statement. */
    static final int MAX_LITERAL_CHARS = 512;
    static final int MAX_LIKE_WILDCARDS = 3;
    private static final Set<Class<?>> BINARY = Set.of(Addition.class, Subtraction.class, Multiplication.class,
            Division.class, IntegerDivision.class, Modulo.class, AndExpression.class, OrExpression.class, EqualsTo.class,
            NotEqualsTo.class, GreaterThan.class, GreaterThanEquals.class, MinorThan.class, MinorThanEquals.class,
            IsDistinctExpression.class, Concat.class);
    private static final Set<Class<?>> LEAVES = Set.of(Column.class, NullValue.class, BooleanValue.class,
            DateValue.class, TimeValue.class, TimestampValue.class, DateTimeLiteralExpression.class,
            TimeKeyExpression.class);
    /** Numbers of at most 40 characters with at most a two-digit exponent. */
    private static final Pattern NUMBER = Pattern.compile("(?=.{1,40}$)[0-9]*\\.?[0-9]*([eE][+-]?[0-9]{1,2})?");
    private static final int MAX_ROUND_DIGITS = 38;

    private final QueryPolicy query;
    private int concatenations;
    private int literalChars;

    ExpressionPolicy(QueryPolicy query) {
        this.query = query;
    }

    /** Checks an expression (null is fine) found at a subquery depth. */
    void check(Expression e, int depth) throws SqlRejectedException {
        if (e == null || LEAVES.contains(e.getClass())) {
            return;
        }
        if (e instanceof LongValue || e instanceof DoubleValue) {
            number(e.toString());
        } else if (e instanceof StringValue s) {
            literal(s.getValue());
        } else if (e instanceof AllColumns a) {
            allColumns(a);
        } else if (e instanceof SignedExpression s) {
            check(s.getExpression(), depth);
        } else if (e instanceof NotExpression n) {
            check(n.getExpression(), depth);
        } else if (e instanceof LikeExpression l) {
            like(l, depth);
        } else if (e instanceof BinaryExpression b && BINARY.contains(b.getClass())) {
            if (b instanceof Concat) {
                concatenations(1);
            }
            check(b.getLeftExpression(), depth);
            check(b.getRightExpression(), depth);
        } else if (e instanceof Between b) {
            all(depth, b.getLeftExpression(), b.getBetweenExpressionStart(), b.getBetweenExpressionEnd());
        } else if (e instanceof InExpression i) {
            all(depth, i.getLeftExpression(), i.getRightExpression());
        } else if (e instanceof IsNullExpression i) {
            check(i.getLeftExpression(), depth);
        } else if (e instanceof IsBooleanExpression i) {
            check(i.getLeftExpression(), depth);
        } else if (e instanceof ExistsExpression x) {
            check(x.getRightExpression(), depth);
        } else if (e instanceof CaseExpression c) {
            all(depth, c.getSwitchExpression(), c.getElseExpression());
            for (WhenClause w : c.getWhenClauses()) {
                all(depth, w.getWhenExpression(), w.getThenExpression());
            }
        } else if (e instanceof CastExpression c) {
            cast(c, depth);
        } else if (e instanceof ExtractExpression x) {
            check(x.getExpression(), depth);
        } else if (e instanceof TrimFunction t) {
            all(depth, t.getExpression(), t.getFromExpression());
        } else if (e instanceof Function f) {
            function(f, depth);
        } else if (e instanceof ExpressionList<?> list) {
            for (Expression x : list) {
                check(x, depth);
            }
        } else if (e instanceof AnyComparisonExpression a) {
            query.select(a.getSelect(), depth + 1);
        } else if (e instanceof Select s) {
            query.select(s, depth + 1);
        } else {
            throw new SqlRejectedException(e.getClass().getSimpleName() + " is not allowed: " + ReasonText.quote(e.toString()));
        }
    }

    private void all(int depth, Expression... es) throws SqlRejectedException {
        for (Expression x : es) {
            check(x, depth);
        }
    }

    private static void number(String text) throws SqlRejectedException {
        if (!NUMBER.matcher(text).matches()) {
            throw new SqlRejectedException("number " + ReasonText.quote(text) + " is too long or too large");
        }
    }

    private void literal(String value) throws SqlRejectedException {
        literalChars += value.length();
        if (literalChars > MAX_LITERAL_CHARS) {
            throw new SqlRejectedException("string literals longer than " + MAX_LITERAL_CHARS + " chars in all");
        }
    }

    private void concatenations(int n) throws SqlRejectedException {
        concatenations += n;
        if (concatenations > MAX_CONCATENATIONS) {
            throw new SqlRejectedException("more than " + MAX_CONCATENATIONS + " concatenations");
        }
    }

    private static void allColumns(AllColumns a) throws SqlRejectedException {
        String s = a.toString();
        if (!s.equals("*") && !s.endsWith(".*")) {
            throw new SqlRejectedException("unsupported column list " + ReasonText.quote(s));
        }
    }

    private void like(LikeExpression l, int depth) throws SqlRejectedException {
        if (l.getLikeKeyWord() != LikeExpression.KeyWord.LIKE && l.getLikeKeyWord() != LikeExpression.KeyWord.ILIKE) {
            throw new SqlRejectedException(l.getLikeKeyWord() + " is not allowed (regular expressions cannot be stopped)");
        }
        check(l.getLeftExpression(), depth);
        if (!(l.getRightExpression() instanceof StringValue pattern)) {
            throw new SqlRejectedException("a LIKE pattern must be a string literal: " + ReasonText.quote(l.toString()));
        }
        literal(pattern.getValue());
        if (pattern.getValue().chars().filter(c -> c == '%').count() > MAX_LIKE_WILDCARDS) {
            throw new SqlRejectedException("LIKE pattern with more than " + MAX_LIKE_WILDCARDS + " '%': "
                    + ReasonText.quote(pattern.getValue()));
        }
        if (l.getEscape() != null && !(l.getEscape() instanceof StringValue)) {
            throw new SqlRejectedException("a LIKE escape must be a string literal");
        }
    }

    private void cast(CastExpression c, int depth) throws SqlRejectedException {
        check(c.getLeftExpression(), depth);
        ColDataType t = c.getColDataType();
        if (t == null || t.getArrayData() != null && !t.getArrayData().isEmpty() || t.getCharacterSet() != null) {
            throw new SqlRejectedException("unsupported CAST " + ReasonText.quote(c.toString()));
        }
        List<Integer> params = new ArrayList<>();
        if (t.getArgumentsStringList() != null) {
            for (String a : t.getArgumentsStringList()) {
                if (!a.matches("[0-9]{1,9}")) {
                    throw new SqlRejectedException("unsupported CAST type parameter " + ReasonText.quote(a));
                }
                params.add(Integer.parseInt(a));
            }
        }
        SqlType type = SqlType.of(t.getDataType(), params);
        if (type.base() == SqlType.Base.CHAR) {
            throw new SqlRejectedException("CAST to CHAR is not allowed (it pads values); use VARCHAR");
        }
    }

    private void function(Function f, int depth) throws SqlRejectedException {
        String name = QueryPolicy.unquote(f.getName() == null ? "" : f.getName()).toUpperCase(Locale.ROOT);
        if (f.getMultipartName() == null || f.getMultipartName().size() != 1 || !FUNCTIONS.contains(name)) {
            throw new SqlRejectedException("function " + ReasonText.quote(String.valueOf(f.getName())) + " is not allowed");
        }
        if (f.getNamedParameters() != null || f.getKeep() != null || f.getAttribute() != null || f.getLimit() != null
                || f.getHavingClause() != null || f.getOrderByElements() != null && !f.getOrderByElements().isEmpty()) {
            throw new SqlRejectedException("unsupported form of " + name + ": " + ReasonText.quote(f.toString()));
        }
        ExpressionList<?> params = f.getParameters();
        if (params == null) {
            return;
        }
        if (name.equals("CONCAT")) {
            concatenations(Math.max(0, params.size() - 1));
        }
        if (name.equals("ROUND") && params.size() > 1 && !(params.get(1) instanceof LongValue d
                && d.getStringValue().length() <= 2 && Integer.parseInt(d.getStringValue()) <= MAX_ROUND_DIGITS)) {
            throw new SqlRejectedException("ROUND digits must be a number in 0.." + MAX_ROUND_DIGITS);
        }
        check(params, depth);
    }
}
