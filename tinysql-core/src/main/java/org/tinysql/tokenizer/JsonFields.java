package org.tinysql.tokenizer;

import static org.tinysql.tokenizer.TokenizerFormatException.quote;

import com.fasterxml.jackson.databind.JsonNode;

/** Typed access to the fields of one tokenizer.json: a wrong type is a {@link TokenizerFormatException} naming it. */
final class JsonFields {
    private final String source;

    JsonFields(String source) {
        this.source = source;
    }

    /** A token id: an integer in [0, cap). */
    int id(JsonNode v, int cap, String field) {
        if (v == null || v.isNull()) {
            throw fail(field, "missing id");
        }
        if (!v.isIntegralNumber()) {
            throw fail(field, "id must be an integer, found " + quote(v.toString()));
        }
        if (v.canConvertToLong() && v.longValue() < 0) {
            throw fail(field, "id must not be negative, found " + v.longValue());
        }
        if (!v.canConvertToInt() || v.intValue() >= cap) {
            throw fail(field, "id " + quote(v.asText()) + " is out of range: ids must be below " + cap
                    + " (the number of vocabulary entries plus added tokens)");
        }
        return v.intValue();
    }

    JsonNode object(JsonNode n, String field) {
        if (n == null || !n.isObject()) {
            throw fail(field, "expected an object");
        }
        return n;
    }

    JsonNode array(JsonNode parent, String name, String field) {
        JsonNode n = parent.get(name);
        if (n == null || !n.isArray()) {
            throw fail(field, "expected an array");
        }
        return n;
    }

    /** A string field, or null when absent or null. */
    String text(JsonNode parent, String name, String field) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw fail(field, "expected a string, found " + quote(n.toString()));
        }
        return n.asText();
    }

    String requiredText(JsonNode parent, String name, String field) {
        String s = text(parent, name, field);
        if (s == null) {
            throw fail(field, "missing");
        }
        return s;
    }

    boolean bool(JsonNode parent, String name, boolean dflt, String field) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw fail(field, "expected true or false, found " + quote(n.toString()));
        }
        return n.booleanValue();
    }

    TokenizerFormatException fail(String field, String problem) {
        return new TokenizerFormatException(source, field, problem);
    }
}
