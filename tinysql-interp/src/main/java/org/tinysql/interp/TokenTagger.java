package org.tinysql.interp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tinysql.data.PromptFormat;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Vocabulary;
import org.tinysql.tokenizer.Tokenizer;

/**
 * Tags every token of an example's training text (prompt, a space, the SQL, EOS) with its {@link TokenRole}:
 * instruction table/field words (names and their synonyms), Context table/field/type, response keyword/table/field.
 * Characters are labelled first; a token takes the label of its first non-space character. The text is a sequence
 * start ({@link Tokenizer#encodePrompt}): the tokenizer's prefix tokens (Llama-3's {@code <|begin_of_text|>}) come
 * first and are {@link TokenRole#MARKER}s, like the prompt's "###" markers.
 */
public final class TokenTagger {
    /** SQL keywords of the command sets (response words in this set are KEYWORD). */
    public static final Set<String> KEYWORDS = Set.of("SELECT", "FROM", "WHERE", "AND", "OR", "ORDER", "BY", "ASC", "DESC",
            "JOIN", "ON", "AS", "GROUP", "COUNT", "SUM", "AVG", "MIN", "MAX", "IS", "NOT", "NULL", "LIKE", "IN", "DISTINCT",
            "INNER", "LEFT", "LIMIT", "HAVING");
    private static final Pattern WORD = Pattern.compile("[\\p{L}_][\\p{L}\\p{N}_]*");

    private final Tokenizer tokenizer;
    private final Map<String, List<String>> tableSynonyms = new HashMap<>();
    private final Map<String, List<String>> fieldSynonyms = new HashMap<>();

    /**
     * One tagged text. {@code responseStart} is the index of the first response token (in {@code tokens}).
     *
     * @param text          the tagged text, as {@link #trainingText} gives it
     * @param tokens        the token ids: tokenizer prefix, the text's ids, EOS when there is one
     * @param roles         the role of each token, same length as {@code tokens}
     * @param responseStart index in {@code tokens} of the first response token (of EOS when the text has none)
     */
    public record Tagged(String text, int[] tokens, TokenRole[] roles, int responseStart) {
    }

    /**
     * A tagger that knows the synonyms of the built-in vocabulary.
     *
     * @param tokenizer the model's tokenizer
     */
    public TokenTagger(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        Vocabulary v = Vocabulary.builtin();
        for (Vocabulary.TableWord t : v.tables()) {
            tableSynonyms.put(t.name(), List.of(t.synonym1(), t.synonym2()));
        }
        for (Vocabulary.FieldWord f : v.fields()) {
            fieldSynonyms.put(f.name(), List.of(f.synonym1(), f.synonym2()));
        }
    }

    /**
     * The training text of an example: the prompt (trailing space stripped), a space and the SQL.
     *
     * @param ex the example
     * @return the text, without EOS
     */
    public static String trainingText(TinySqlExample ex) {
        return ex.prompt().stripTrailing() + " " + ex.sqlStatement();
    }

    /**
     * Tags {@link #trainingText} of {@code ex}, with EOS appended when the tokenizer has one.
     *
     * @param ex the example
     * @return its tokens and their roles
     */
    public Tagged tag(TinySqlExample ex) {
        String text = trainingText(ex);
        TokenRole[] chars = labelChars(ex, text);
        int[] prefix = tokenizer.promptPrefix();
        int[] ids = tokenizer.encode(text);
        int eos = tokenizer.eosId();
        int p = prefix.length;
        int[] tokens = Arrays.copyOf(prefix, p + ids.length + (eos >= 0 ? 1 : 0));
        System.arraycopy(ids, 0, tokens, p, ids.length);
        if (eos >= 0) {
            tokens[p + ids.length] = eos;
        }
        TokenRole[] roles = new TokenRole[tokens.length];
        Arrays.fill(roles, 0, p, TokenRole.MARKER);
        int responseChar = text.indexOf(PromptFormat.RESPONSE.strip()) + PromptFormat.RESPONSE.strip().length();
        int responseStart = -1;
        int start = 0;
        for (int i = 0; i < ids.length; i++) { // character offsets come from the text's own tokens
            int end = tokenizer.decode(Arrays.copyOf(ids, i + 1)).length();
            int c = start;
            while (c < end - 1 && c < text.length() && Character.isWhitespace(text.charAt(c))) {
                c++;
            }
            roles[p + i] = c < chars.length ? chars[c] : TokenRole.RESPONSE_OTHER;
            if (responseStart < 0 && c >= responseChar) {
                responseStart = p + i;
            }
            start = end;
        }
        if (eos >= 0) {
            roles[p + ids.length] = TokenRole.END;
        }
        return new Tagged(text, tokens, roles, responseStart < 0 ? p + ids.length : responseStart);
    }

    private TokenRole[] labelChars(TinySqlExample ex, String text) {
        TokenRole[] r = new TokenRole[text.length()];
        Arrays.fill(r, TokenRole.MARKER);
        int instr = text.indexOf(PromptFormat.INSTRUCTION) + PromptFormat.INSTRUCTION.length();
        int ctxMarker = text.indexOf(PromptFormat.CONTEXT, instr);
        int ctx = ctxMarker + PromptFormat.CONTEXT.length();
        String resp = PromptFormat.RESPONSE.strip();
        int respMarker = text.indexOf(resp, ctx);
        int sql = respMarker + resp.length();
        if (ctxMarker < 0 || respMarker < 0) {
            throw new IllegalArgumentException("not a TinySQL prompt (markers missing): " + text);
        }
        Arrays.fill(r, instr, ctxMarker, TokenRole.INSTRUCTION_OTHER);
        Arrays.fill(r, ctx, respMarker - 1, TokenRole.CONTEXT_OTHER);
        Arrays.fill(r, sql, text.length(), TokenRole.RESPONSE_OTHER);

        Set<String> tables = new LinkedHashSet<>();
        Set<String> fields = new LinkedHashSet<>();
        tables.add(ex.tableName());
        ex.tableFields().forEach(f -> fields.add(fieldName(f)));
        if (ex.join() != null) {
            tables.add(ex.join().tableName());
            ex.join().tableFields().forEach(f -> fields.add(fieldName(f)));
        }
        Set<String> tablePhrases = phrases(tables, tableSynonyms, ex.tableNameSynonym(), ex.join() == null ? null : ex.join().tableNameSynonym());
        Set<String> fieldPhrases = phrases(fields, fieldSynonyms, null, null);
        String instruction = text.substring(instr, ctxMarker);
        mark(r, instr, instruction, fieldPhrases, TokenRole.INSTRUCTION_FIELD);
        mark(r, instr, instruction, tablePhrases, TokenRole.INSTRUCTION_TABLE);
        labelContext(r, text.substring(ctx, respMarker), ctx);
        Matcher m = WORD.matcher(text.substring(sql));
        while (m.find()) {
            String w = m.group();
            TokenRole role = KEYWORDS.contains(w) ? TokenRole.RESPONSE_KEYWORD
                    : tables.contains(w) ? TokenRole.RESPONSE_TABLE
                    : fields.contains(w) ? TokenRole.RESPONSE_FIELD : TokenRole.RESPONSE_OTHER;
            Arrays.fill(r, sql + m.start(), sql + m.end(), role);
        }
        return r;
    }

    /** "name TYPE" or "table.name" -> "name". */
    private static String fieldName(String f) {
        String s = f.strip();
        int sp = s.indexOf(' ');
        if (sp > 0) {
            s = s.substring(0, sp);
        }
        int dot = s.indexOf('.');
        return dot >= 0 ? s.substring(dot + 1) : s;
    }

    private static Set<String> phrases(Set<String> names, Map<String, List<String>> synonyms, String extra1, String extra2) {
        Set<String> out = new LinkedHashSet<>();
        for (String n : names) {
            String base = n.contains(".") ? n.substring(n.indexOf('.') + 1) : n;
            out.add(base);
            out.add(base.replace('_', ' '));
            for (String s : synonyms.getOrDefault(base, List.of())) {
                if (s != null && !s.isBlank()) {
                    out.add(s);
                }
            }
        }
        for (String e : new String[] {extra1, extra2}) {
            if (e != null && !e.isBlank()) {
                out.add(e);
            }
        }
        return out;
    }

    /** Marks whole-word, case-insensitive occurrences of each phrase. */
    private static void mark(TokenRole[] r, int offset, String s, Set<String> phrases, TokenRole role) {
        String lower = s.toLowerCase(Locale.ROOT);
        for (String p : phrases) {
            String q = p.toLowerCase(Locale.ROOT);
            int i = lower.indexOf(q);
            while (i >= 0) {
                int end = i + q.length();
                boolean startOk = i == 0 || !isWordChar(lower.charAt(i - 1));
                boolean endOk = end == lower.length() || !isWordChar(lower.charAt(end));
                if (startOk && endOk) {
                    Arrays.fill(r, offset + i, offset + end, role);
                }
                i = lower.indexOf(q, i + 1);
            }
        }
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    /** CREATE TABLE name ( field TYPE, ... ): the word after TABLE is the table, then field / type per column. */
    private static void labelContext(TokenRole[] r, String ctx, int offset) {
        Matcher m = WORD.matcher(ctx);
        List<int[]> words = new ArrayList<>();
        while (m.find()) {
            words.add(new int[] {m.start(), m.end()});
        }
        boolean afterTable = false;
        boolean inColumns = false;
        boolean expectField = false;
        int depth = 0;
        int wi = 0;
        for (int i = 0; i < ctx.length(); i++) {
            char ch = ctx.charAt(i);
            if (wi < words.size() && words.get(wi)[0] == i) {
                int[] w = words.get(wi++);
                String word = ctx.substring(w[0], w[1]);
                TokenRole role = TokenRole.CONTEXT_OTHER;
                if (!inColumns) {
                    if (afterTable) {
                        role = TokenRole.CONTEXT_TABLE;
                        afterTable = false;
                    } else if (word.equals("TABLE")) {
                        afterTable = true;
                    }
                } else if (depth == 1) {
                    role = expectField ? TokenRole.CONTEXT_FIELD : TokenRole.CONTEXT_TYPE;
                    expectField = false;
                } else {
                    role = TokenRole.CONTEXT_TYPE;
                }
                Arrays.fill(r, offset + w[0], offset + w[1], role);
                i = w[1] - 1;
                continue;
            }
            if (ch == '(') {
                depth++;
                if (depth == 1) {
                    inColumns = true;
                    expectField = true;
                }
            } else if (ch == ')') {
                depth--;
                if (depth == 0) {
                    inColumns = false;
                }
            } else if (depth == 1 && (ch == ',' || ch == ';' || ch == '|')) {
                expectField = true;
            } else if (depth > 1 && ch != ' ') {
                r[offset + i] = TokenRole.CONTEXT_TYPE;
            }
        }
    }
}
