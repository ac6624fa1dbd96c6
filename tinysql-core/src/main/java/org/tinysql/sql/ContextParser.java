package org.tinysql.sql;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a Context's CREATE TABLE statements into a {@link ContextSchema} (grammar in {@link ContextSchema#parse}).
 * The text is checked for size before anything is allocated, and every name against
 * {@link ContextSchema#IDENTIFIER}; errors name the character offset, the table and the column.
 */
final class ContextParser {
    private enum Kind { WORD, QUOTED, NUMBER, PUNCT, END }

    private record Token(Kind kind, String text, int offset) {
        boolean is(Kind k, String t) {
            return kind == k && text.equalsIgnoreCase(t);
        }
    }

    private static final Set<String> COLUMN_CONSTRAINTS = Set.of("NOT", "NULL", "PRIMARY", "UNIQUE");

    private final String context;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private String table;
    private String column;

    ContextParser(String context) {
        this.context = context;
    }

    ContextSchema parse() throws SqlRejectedException {
        if (context == null || context.isBlank()) {
            throw new SqlRejectedException("Context is empty");
        }
        if (context.length() > ContextSchema.MAX_CONTEXT_CHARS) {
            throw new SqlRejectedException("Context too long (" + context.length() + " chars > "
                    + ContextSchema.MAX_CONTEXT_CHARS + ")");
        }
        lex();
        List<ContextSchema.Table> tables = new ArrayList<>();
        Set<String> names = new HashSet<>();
        while (peek().kind() != Kind.END) {
            Token start = peek();
            if (tables.size() == ContextSchema.MAX_TABLES) {
                throw error(start, "more than " + ContextSchema.MAX_TABLES + " tables");
            }
            ContextSchema.Table t = createTable();
            if (!names.add(t.name())) {
                throw error(start, "table " + t.name() + " is declared twice");
            }
            tables.add(t);
            table = null;
            while (peek().is(Kind.PUNCT, ";")) {
                pos++;
            }
        }
        if (tables.isEmpty()) {
            throw error(peek(), "no CREATE TABLE statement");
        }
        return new ContextSchema(tables);
    }

    private ContextSchema.Table createTable() throws SqlRejectedException {
        expectWord("CREATE");
        expectWord("TABLE");
        if (peek().is(Kind.WORD, "IF")) {
            pos++;
            expectWord("NOT");
            expectWord("EXISTS");
        }
        table = name("a table name");
        expectPunct("(");
        List<ContextSchema.Column> columns = new ArrayList<>();
        Set<String> names = new HashSet<>();
        do {
            Token start = peek();
            if ((start.is(Kind.WORD, "PRIMARY") || start.is(Kind.WORD, "UNIQUE")) && isPunct(pos + 1, "(")
                    || start.is(Kind.WORD, "PRIMARY") && next(pos + 1).is(Kind.WORD, "KEY") && isPunct(pos + 2, "(")) {
                tableConstraint();
                continue;
            }
            if (columns.size() == ContextSchema.MAX_COLUMNS) {
                throw error(start, "more than " + ContextSchema.MAX_COLUMNS + " columns");
            }
            ContextSchema.Column c = column();
            column = null;
            if (!names.add(c.name())) {
                throw error(start, "column " + c.name() + " is declared twice");
            }
            columns.add(c);
        } while (acceptPunct(","));
        expectPunct(")");
        if (columns.isEmpty()) {
            throw error(peek(), "table " + table + " has no columns");
        }
        return new ContextSchema.Table(table, columns);
    }

    /** {@code PRIMARY KEY (a, b)} or {@code UNIQUE (a)}: checked and ignored (the scorer creates no constraints). */
    private void tableConstraint() throws SqlRejectedException {
        if (peek().is(Kind.WORD, "PRIMARY")) {
            pos++;
            expectWord("KEY");
        } else {
            expectWord("UNIQUE");
        }
        expectPunct("(");
        do {
            name("a column name");
        } while (acceptPunct(","));
        expectPunct(")");
    }

    private ContextSchema.Column column() throws SqlRejectedException {
        column = name("a column name");
        Token typeStart = peek();
        if (typeStart.kind() != Kind.WORD) {
            throw error(typeStart, "expected a type, found " + describe(typeStart));
        }
        pos++;
        String typeName = typeStart.text();
        if (typeStart.is(Kind.WORD, "DOUBLE") && peek().is(Kind.WORD, "PRECISION")
                || typeStart.is(Kind.WORD, "CHARACTER") && peek().is(Kind.WORD, "VARYING")) {
            typeName += " " + peek().text();
            pos++;
        }
        List<Integer> params = new ArrayList<>();
        if (acceptPunct("(")) {
            do {
                params.add(number());
            } while (acceptPunct(","));
            expectPunct(")");
        }
        SqlType type;
        try {
            type = SqlType.of(typeName, params);
        } catch (SqlRejectedException e) {
            throw error(typeStart, e.getMessage());
        }
        while (peek().kind() == Kind.WORD && COLUMN_CONSTRAINTS.contains(peek().text().toUpperCase(Locale.ROOT))) {
            Token c = peek();
            pos++;
            if (c.is(Kind.WORD, "NOT")) {
                expectWord("NULL");
            } else if (c.is(Kind.WORD, "PRIMARY")) {
                expectWord("KEY");
            }
        }
        return new ContextSchema.Column(column, type);
    }

    private String name(String what) throws SqlRejectedException {
        Token t = peek();
        if (t.kind() != Kind.WORD && t.kind() != Kind.QUOTED) {
            throw error(t, "expected " + what + ", found " + describe(t));
        }
        if (!ContextSchema.IDENTIFIER.matcher(t.text()).matches()) {
            throw error(t, "name " + ReasonText.quote(t.text())
                    + " is not allowed (letters, digits and underscore only, not starting with a digit, at most 64)");
        }
        pos++;
        return t.text().toUpperCase(Locale.ROOT);
    }

    private int number() throws SqlRejectedException {
        Token t = peek();
        if (t.kind() != Kind.NUMBER || t.text().length() > 9) {
            throw error(t, "expected a type parameter (a number below 10^9), found " + describe(t));
        }
        pos++;
        return Integer.parseInt(t.text());
    }

    private void expectWord(String word) throws SqlRejectedException {
        if (!peek().is(Kind.WORD, word)) {
            throw error(peek(), "expected " + word + ", found " + describe(peek()));
        }
        pos++;
    }

    private void expectPunct(String p) throws SqlRejectedException {
        if (!acceptPunct(p)) {
            throw error(peek(), "expected '" + p + "', found " + describe(peek()));
        }
    }

    private boolean acceptPunct(String p) {
        if (isPunct(pos, p)) {
            pos++;
            return true;
        }
        return false;
    }

    private boolean isPunct(int at, String p) {
        return next(at).is(Kind.PUNCT, p);
    }

    private Token peek() {
        return next(pos);
    }

    private Token next(int at) {
        return tokens.get(Math.min(at, tokens.size() - 1));
    }

    private static String describe(Token t) {
        return t.kind() == Kind.END ? "the end of the Context" : ReasonText.quote(t.text());
    }

    private SqlRejectedException error(Token at, String message) {
        StringBuilder where = new StringBuilder("Context at character ").append(at.offset() + 1);
        if (table != null) {
            where.append(" (table ").append(table).append(column != null ? ", column " + column : "").append(')');
        }
        return new SqlRejectedException(where + ": " + message);
    }

    /** Splits the Context into words, quoted names, numbers and the punctuation {@code ( ) , ;}. */
    private void lex() throws SqlRejectedException {
        int n = context.length();
        int i = 0;
        while (i < n) {
            char c = context.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (isWordChar(c)) {
                int j = i;
                while (j < n && isWordChar(context.charAt(j))) {
                    j++;
                }
                String text = context.substring(i, j);
                tokens.add(new Token(Character.isDigit(c) ? Kind.NUMBER : Kind.WORD, text, i));
                if (Character.isDigit(c) && !text.chars().allMatch(Character::isDigit)) {
                    throw error(tokens.get(tokens.size() - 1), "malformed number or name " + ReasonText.quote(text));
                }
                i = j;
            } else if (c == '"' || c == '`' || c == '[') {
                char close = c == '[' ? ']' : c;
                int end = context.indexOf(close, i + 1);
                if (end < 0) {
                    throw error(new Token(Kind.END, "", i), "unterminated quoted name");
                }
                tokens.add(new Token(Kind.QUOTED, context.substring(i + 1, end), i));
                i = end + 1;
            } else if ("(),;".indexOf(c) >= 0) {
                tokens.add(new Token(Kind.PUNCT, String.valueOf(c), i));
                i++;
            } else {
                throw error(new Token(Kind.END, "", i), "unexpected character " + ReasonText.quote(String.valueOf(c)));
            }
        }
        tokens.add(new Token(Kind.END, "", n));
    }

    private static boolean isWordChar(char c) {
        return c < 128 && (Character.isLetterOrDigit(c) || c == '_');
    }
}
