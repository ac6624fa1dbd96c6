package org.tinysql.tokenizer;

import static org.tinysql.tokenizer.TokenizerFormatException.quote;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reads and checks a tokenizer.json's {@code post_processor} (untrusted, like the rest of the file): the special tokens
 * it puts around one sequence, every id a token of the vocabulary or the added tokens, at most {@value
 * #MAX_TEMPLATE_TOKENS} of them and Sequence processors at most {@value #MAX_PROCESSOR_DEPTH} deep.
 */
final class PostProcessorReader {
    /** Most special tokens a post-processor may put around a sequence (real files: one or two), and its template pieces. */
    static final int MAX_TEMPLATE_TOKENS = 64;
    /** Deepest nesting of Sequence post-processors. */
    static final int MAX_PROCESSOR_DEPTH = 8;

    private final JsonFields f;
    /** Token by id (null where no token has the id): vocabulary entries and added tokens. */
    private final String[] byId;

    PostProcessorReader(JsonFields f, String[] byId) {
        this.f = f;
        this.byId = byId;
    }

    /** The template of the post-processor at {@code field} ({@link HfTokenizer.Template#NONE} when absent). */
    HfTokenizer.Template read(JsonNode n, String field) {
        return postProcessor(n, field, 0);
    }

    /**
     * The special tokens {@code post_processor} puts around a single sequence (HuggingFace's {@code encode(text,
     * add_special_tokens=True)}). ByteLevel changes only offsets: none. TemplateProcessing: the special tokens of its
     * {@code single} template before and after {@code $A}, with the ids its {@code special_tokens} map gives them (the
     * {@code pair} template is not used: we never encode pairs). BertProcessing and RobertaProcessing: {@code cls} before,
     * {@code sep} after. Sequence: its processors in turn (Llama-3: ByteLevel then TemplateProcessing); at most one of
     * them may add tokens, since HuggingFace would apply a second one to the first one's pieces as to a pair. Every id
     * must be a token of model.vocab or added_tokens.
     */
    private HfTokenizer.Template postProcessor(JsonNode n, String field, int depth) {
        if (n == null || n.isNull()) {
            return HfTokenizer.Template.NONE;
        }
        String type = f.requiredText(f.object(n, field), "type", field + ".type");
        switch (type) {
            case "ByteLevel":
                return HfTokenizer.Template.NONE;
            case "TemplateProcessing":
                return template(n, field);
            case "BertProcessing", "RobertaProcessing":
                return new HfTokenizer.Template(new int[] {tupleId(n, "cls", field + ".cls")},
                        new int[] {tupleId(n, "sep", field + ".sep")});
            case "Sequence": {
                if (depth >= MAX_PROCESSOR_DEPTH) {
                    throw f.fail(field, "Sequence post-processors nested more than " + MAX_PROCESSOR_DEPTH + " deep");
                }
                JsonNode list = f.array(n, "processors", field + ".processors");
                HfTokenizer.Template out = HfTokenizer.Template.NONE;
                String adding = null;
                for (int i = 0; i < list.size(); i++) {
                    String item = field + ".processors[" + i + "]";
                    HfTokenizer.Template t = postProcessor(list.get(i), item, depth + 1);
                    if (t.prefix().length + t.suffix().length > 0) {
                        if (adding != null) {
                            throw f.fail(item, "a second post-processor that adds special tokens (after " + adding
                                    + "): HuggingFace would apply it to the first one's pieces as to a pair; unsupported");
                        }
                        adding = item;
                        out = t;
                    }
                }
                return out;
            }
            default:
                throw f.fail(field + ".type", "unsupported post-processor " + quote(type)
                        + " (supported: ByteLevel, TemplateProcessing, BertProcessing, RobertaProcessing, Sequence)");
        }
    }

    /** TemplateProcessing's single template: special tokens before and after exactly one {@code $A}. */
    private HfTokenizer.Template template(JsonNode n, String field) {
        JsonNode single = f.array(n, "single", field + ".single");
        JsonNode specials = f.object(n.get("special_tokens"), field + ".special_tokens");
        if (single.size() > MAX_TEMPLATE_TOKENS) {
            throw f.fail(field + ".single", single.size() + " pieces (at most " + MAX_TEMPLATE_TOKENS + ")");
        }
        HfTokenizer.IntList prefix = new HfTokenizer.IntList(4);
        HfTokenizer.IntList suffix = new HfTokenizer.IntList(4);
        int sequenceAt = -1;
        int added = 0;
        for (int i = 0; i < single.size(); i++) {
            String piece = field + ".single[" + i + "]";
            JsonNode p = f.object(single.get(i), piece);
            if (p.size() == 1 && p.has("Sequence")) {
                JsonNode seq = f.object(p.get("Sequence"), piece + ".Sequence");
                String id = f.requiredText(seq, "id", piece + ".Sequence.id");
                if (!id.equals("A")) {
                    throw f.fail(piece + ".Sequence.id", "expected 'A' (a single sequence has no " + quote(id) + ")");
                }
                if (sequenceAt >= 0) {
                    throw f.fail(piece, "$A appears twice (also " + field + ".single[" + sequenceAt + "]); unsupported");
                }
                sequenceAt = i;
            } else if (p.size() == 1 && p.has("SpecialToken")) {
                JsonNode tok = f.object(p.get("SpecialToken"), piece + ".SpecialToken");
                String id = f.requiredText(tok, "id", piece + ".SpecialToken.id");
                JsonNode entry = specials.get(id);
                if (entry == null) {
                    throw f.fail(piece + ".SpecialToken.id", quote(id) + " is not in " + field + ".special_tokens");
                }
                int[] ids = specialTokenIds(entry, field + ".special_tokens[" + quote(id) + "]");
                added += ids.length;
                if (added > MAX_TEMPLATE_TOKENS) {
                    throw f.fail(field + ".single", "adds more than " + MAX_TEMPLATE_TOKENS + " special tokens");
                }
                (sequenceAt < 0 ? prefix : suffix).addAll(ids);
            } else {
                throw f.fail(piece, "expected {\"Sequence\": {...}} or {\"SpecialToken\": {...}}");
            }
        }
        if (sequenceAt < 0) {
            throw f.fail(field + ".single", "has no {\"Sequence\": {\"id\": \"A\"}}: the text would be left out");
        }
        return new HfTokenizer.Template(prefix.toArray(), suffix.toArray());
    }

    /** The ids of a special_tokens entry: {"id": ..., "ids": [...], "tokens": [...]}, ids and tokens of one length. */
    private int[] specialTokenIds(JsonNode entry, String field) {
        f.object(entry, field);
        JsonNode ids = f.array(entry, "ids", field + ".ids");
        JsonNode tokens = f.array(entry, "tokens", field + ".tokens");
        if (ids.size() != tokens.size()) {
            throw f.fail(field, ids.size() + " ids but " + tokens.size() + " tokens");
        }
        if (ids.size() > MAX_TEMPLATE_TOKENS) {
            throw f.fail(field + ".ids", ids.size() + " ids (at most " + MAX_TEMPLATE_TOKENS + ")");
        }
        int[] out = new int[ids.size()];
        for (int k = 0; k < out.length; k++) {
            if (!tokens.get(k).isTextual()) {
                throw f.fail(field + ".tokens[" + k + "]", "expected a string, found " + quote(tokens.get(k).toString()));
            }
            out[k] = tokenId(ids.get(k), field + ".ids[" + k + "]");
        }
        return out;
    }

    /** BertProcessing's and RobertaProcessing's {@code cls} and {@code sep}: [token, id]. */
    private int tupleId(JsonNode n, String name, String field) {
        JsonNode t = n.get(name);
        if (t == null || !t.isArray() || t.size() != 2 || !t.get(0).isTextual()) {
            throw f.fail(field, "expected [token, id], found " + quote(String.valueOf(t)));
        }
        return tokenId(t.get(1), field + "[1]");
    }

    /** An id that is a token of model.vocab or added_tokens. */
    private int tokenId(JsonNode v, String field) {
        int id = f.id(v, byId.length, field);
        if (byId[id] == null) {
            throw f.fail(field, "id " + id + " is not a token of model.vocab or added_tokens");
        }
        return id;
    }
}
