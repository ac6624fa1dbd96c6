package org.tinysql.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Jackson set up for untrusted JSON: no coercion between strings, numbers and booleans (so {@code 1.5} is not read
 * as {@code 1}), no null for primitives, unknown fields and duplicate keys rejected, one value per document, and
 * bounded nesting, string and number sizes; a document is exactly one JSON object. Errors become
 * {@link DataFormatException}s naming file, line and field.
 */
public final class StrictJson {
    private static final int MAX_NESTING = 64;
    private static final int MAX_NUMBER_CHARS = 64;

    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING)
                            .maxStringLength(TextLines.MAX_LINE_BYTES).maxNumberLength(MAX_NUMBER_CHARS).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_TRAILING_TOKENS,
                    DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(LogicalType.Textual, c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .withCoercionConfigDefaults(c -> c.setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            // An integer is a fine floating-point number ("rate": 0).
            .withCoercionConfig(LogicalType.Float, c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.TryConvert))
            .build();

    private StrictJson() {
    }

    /**
     * The strict mapper (shared; do not reconfigure it).
     *
     * @return the strict mapper
     */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * A strict reader of {@code type} for {@link #readLine} and {@link #readFile}, which check for trailing values
     * themselves, with a clearer message than Jackson's.
     *
     * @param type the class to read, e.g. a record with Jackson annotations
     * @return the reader
     */
    public static ObjectReader reader(Class<?> type) {
        return MAPPER.readerFor(type).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /**
     * Reads one line of a JSON Lines file with a {@link #reader}: exactly one JSON object.
     *
     * @param <T>    the type {@code reader} reads
     * @param reader a reader from {@link #reader(Class)}
     * @param file   the file the line is from, for the message
     * @param line   the line number, 1-based, for the message
     * @param text   the line's text
     * @return the value read
     * @throws DataFormatException if the text is not exactly one valid JSON object of the type
     */
    public static <T> T readLine(ObjectReader reader, Path file, int line, String text) throws DataFormatException {
        try {
            return readOne(reader, text);
        } catch (JsonProcessingException e) {
            throw new DataFormatException(file, line, describe(e, true));
        } catch (IOException e) {
            throw new DataFormatException(file, line, e.getMessage());
        }
    }

    /**
     * Reads a whole JSON file of at most {@code maxBytes} with a {@link #reader}: exactly one JSON object.
     *
     * @param <T>      the type {@code reader} reads
     * @param reader   a reader from {@link #reader(Class)}
     * @param file     the UTF-8 JSON file
     * @param maxBytes the largest accepted file size in bytes
     * @return the value read
     * @throws IOException if the file cannot be read, or a {@link DataFormatException} if it is too large, not UTF-8
     *     or not exactly one valid JSON object of the type
     */
    public static <T> T readFile(ObjectReader reader, Path file, int maxBytes) throws IOException {
        String text = TextLines.readString(file, maxBytes);
        try {
            return readOne(reader, text);
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String what = describe(e, false);
            if (loc == null || loc.getLineNr() < 1) {
                throw new DataFormatException(file, what);
            }
            throw new DataFormatException(file, loc.getLineNr(), what);
        }
    }

    private static <T> T readOne(ObjectReader reader, String text) throws IOException {
        try (JsonParser p = reader.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw new JsonParseException(p, "expected a JSON object, found " + kind(first));
            }
            T value = reader.readValue(p);
            JsonToken extra = p.nextToken();
            if (extra != null) {
                throw new JsonParseException(p, "a second JSON value (" + kind(extra) + ") follows the object");
            }
            return value;
        }
    }

    private static String kind(JsonToken t) {
        if (t == null) {
            return "nothing";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : t.asString();
        };
    }

    /** {@code field.path: what is wrong (column c)}, in words a user can act on. */
    static String describe(JsonProcessingException e, boolean withColumn) {
        String path = e instanceof JsonMappingException m ? path(m) : "";
        String what = e.getOriginalMessage();
        boolean column = withColumn;
        if (e instanceof UnrecognizedPropertyException) {
            what = "unknown field \"" + path + "\"";
        } else if (what.startsWith("Missing required creator property") || what.startsWith("Missing creator property")) {
            what = path + " is missing";
            column = false;
        } else if (e instanceof ValueInstantiationException && e.getCause() != null) {
            // Our records' own checks; their messages name the field.
            what = (path.isEmpty() ? "" : path + ": ") + e.getCause().getMessage();
            column = false;
        } else {
            what = (path.isEmpty() ? "" : path + ": ") + withoutAdvice(what);
        }
        JsonLocation loc = e.getLocation();
        if (column && loc != null && loc.getColumnNr() > 0) {
            what += " (column " + loc.getColumnNr() + ")";
        }
        return what;
    }

    /** Drops Jackson's hints on how to configure it more leniently: not for the user, who cannot. */
    private static String withoutAdvice(String what) {
        for (String advice : new String[] {" (but could if", " (but might if", " (set DeserializationConfig"}) {
            int i = what.indexOf(advice);
            if (i > 0) {
                return what.substring(0, i);
            }
        }
        return what;
    }

    private static String path(JsonMappingException m) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }
}
