package org.tinysql.model.arch;

import static org.tinysql.model.ConfigValidator.check;
import static org.tinysql.tensor.CheckpointFormatException.excerpt;

import com.fasterxml.jackson.databind.JsonNode;
import org.tinysql.model.ConfigValidator;

/**
 * Typed reads of a HuggingFace config.json tree from a stranger: integers must be JSON integers, numbers finite, flags
 * booleans, names strings; null means "use the default". Errors are {@link IllegalArgumentException}s ("invalid model
 * config: ...") naming the key.
 */
public final class ConfigReader {
    private final JsonNode j;
    /** Prepended to keys in messages ("rope_scaling." inside that object). */
    private final String prefix;

    /**
     * A reader of a whole config.json.
     * @param j the parsed config.json
     */
    public ConfigReader(JsonNode j) {
        this(j, "");
    }

    private ConfigReader(JsonNode j, String prefix) {
        this.j = j;
        this.prefix = prefix;
    }

    /**
     * The tree itself.
     * @return the JSON node this reader reads
     */
    public JsonNode json() {
        return j;
    }

    /**
     * A reader of the object under {@code key} (which must be an object).
     * @param key the key of a nested object, e.g. {@code rope_scaling}
     * @return a reader whose messages name the keys as {@code key.inner}
     */
    public ConfigReader object(String key) {
        check(j.get(key).isObject(), prefix + key + " must be an object");
        return new ConfigReader(j.get(key), prefix + key + ".");
    }

    /**
     * Whether a key is present with a non-null value.
     * @param key the config.json key
     * @return true when the key holds a value other than JSON null
     */
    public boolean present(String key) {
        return j.hasNonNull(key);
    }

    /**
     * A required integer.
     * @param key the config.json key
     * @return the value
     */
    public int integer(String key) {
        check(present(key), "missing integer field '" + prefix + key + "'");
        return intValue(prefix + key, j.get(key));
    }

    /**
     * An optional integer.
     * @param key the config.json key
     * @param dflt the value when the key is absent or null
     * @return the value, or {@code dflt}
     */
    public int integer(String key, int dflt) {
        return present(key) ? intValue(prefix + key, j.get(key)) : dflt;
    }

    /**
     * A count read from {@code key} that must lie in [min, max], checked before anything is sized by it.
     * @param key the config.json key
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return the value
     */
    public int count(String key, int min, int max) {
        int v = integer(key);
        ConfigValidator.range(prefix + key, v, min, max);
        return v;
    }

    /**
     * A JSON value that must be a 32-bit integer.
     * @param key the key to name in the message
     * @param n the value
     * @return the integer
     */
    public static int intValue(String key, JsonNode n) {
        check(n.isIntegralNumber() && n.canConvertToInt(), key + " " + show(n) + " is not a 32-bit integer");
        return n.intValue();
    }

    /**
     * An optional finite number.
     * @param key the config.json key
     * @param dflt the value when the key is absent or null
     * @return the value, or {@code dflt}
     */
    public double number(String key, double dflt) {
        if (!present(key)) {
            return dflt;
        }
        JsonNode n = j.get(key);
        check(n.isNumber() && Double.isFinite(n.doubleValue()), prefix + key + " " + show(n) + " is not a finite number");
        return n.doubleValue();
    }

    /**
     * An optional boolean.
     * @param key the config.json key
     * @param dflt the value when the key is absent or null
     * @return the value, or {@code dflt}
     */
    public boolean bool(String key, boolean dflt) {
        if (!present(key)) {
            return dflt;
        }
        check(j.get(key).isBoolean(), prefix + key + " " + show(j.get(key)) + " is not true or false");
        return j.get(key).booleanValue();
    }

    /**
     * An optional string.
     * @param key the config.json key
     * @param dflt the value when the key is absent or null
     * @return the value, or {@code dflt}
     */
    public String text(String key, String dflt) {
        if (!present(key)) {
            return dflt;
        }
        check(j.get(key).isTextual(), prefix + key + " " + show(j.get(key)) + " is not a string");
        return j.get(key).textValue();
    }

    /**
     * bos_token_id, or -1.
     * @return the bos token id, or -1 when absent
     */
    public int bos() {
        return integer("bos_token_id", -1);
    }

    /**
     * The first of eos_token_id (an id or a list of ids), or -1.
     * @return the eos token id, or -1 when absent or an empty list
     */
    public int eos() {
        JsonNode e = j.get("eos_token_id");
        if (e == null || !e.isArray()) {
            return integer("eos_token_id", -1);
        }
        for (int i = 0; i < e.size(); i++) {
            intValue("eos_token_id[" + i + "]", e.get(i));
        }
        return e.isEmpty() ? -1 : e.get(0).intValue();
    }

    /**
     * A value for a message: numbers as Java prints them (Infinity, not "Infinity"), the rest as JSON, shortened.
     * @param n the JSON value
     * @return its printable excerpt (see {@code CheckpointFormatException.excerpt})
     */
    public static String show(JsonNode n) {
        return excerpt(n.isNumber() ? n.asText() : n.toString());
    }
}
