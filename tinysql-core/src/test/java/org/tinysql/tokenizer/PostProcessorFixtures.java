package org.tinysql.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * tokenizer.json post-processors as HuggingFace's {@code tokenizers} serialises them, for the tests of this module and
 * of the modules that use its test-jar.
 */
public final class PostProcessorFixtures {
    /** Llama-3's beginning-of-sequence token. */
    public static final String BOS = "<|begin_of_text|>";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private PostProcessorFixtures() {
    }

    /**
     * Llama-3.x's post-processor: Sequence[ByteLevel, TemplateProcessing] whose single template is {@code bos $A} and
     * pair template {@code bos $A bos:1 $B:1}, with {@code bos} at {@code id}.
     */
    public static ObjectNode llama3(String bos, int id) {
        ObjectNode seq = F.objectNode().put("type", "Sequence");
        ArrayNode processors = seq.putArray("processors");
        processors.addObject().put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", false)
                .put("use_regex", true);
        ObjectNode template = processors.addObject().put("type", "TemplateProcessing");
        template.putArray("single").add(special(bos, 0)).add(sequence("A", 0));
        template.putArray("pair").add(special(bos, 0)).add(sequence("A", 0)).add(special(bos, 1)).add(sequence("B", 1));
        ObjectNode entry = template.putObject("special_tokens").putObject(bos);
        entry.put("id", bos);
        entry.putArray("ids").add(id);
        entry.putArray("tokens").add(bos);
        return seq;
    }

    /** A template piece {"SpecialToken": {"id": id, "type_id": typeId}}. */
    public static ObjectNode special(String id, int typeId) {
        ObjectNode p = F.objectNode();
        p.putObject("SpecialToken").put("id", id).put("type_id", typeId);
        return p;
    }

    /** A template piece {"Sequence": {"id": "A" or "B", "type_id": typeId}}. */
    public static ObjectNode sequence(String id, int typeId) {
        ObjectNode p = F.objectNode();
        p.putObject("Sequence").put("id", id).put("type_id", typeId);
        return p;
    }

    /**
     * A copy of {@code tokenizerJson} with {@link #BOS} as a special added token (the next free id) and Llama-3's
     * post-processor putting it in front of every sequence.
     */
    public static ObjectNode withBos(JsonNode tokenizerJson) {
        ObjectNode j = tokenizerJson.deepCopy();
        int id = 0;
        for (JsonNode v : j.get("model").get("vocab")) {
            id = Math.max(id, v.asInt() + 1);
        }
        ArrayNode added = j.has("added_tokens") && j.get("added_tokens").isArray() ? (ArrayNode) j.get("added_tokens")
                : j.putArray("added_tokens");
        for (JsonNode t : added) {
            id = Math.max(id, t.get("id").asInt() + 1);
        }
        added.addObject().put("id", id).put("content", BOS).put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
        j.set("post_processor", llama3(BOS, id));
        return j;
    }
}
