package org.tinysql.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The skeleton of an instruction: its words with every table name ({@code <T>}), field name ({@code <F>}) and WHERE
 * value ({@code <V>}) replaced, names and synonyms alike, and lists of fields collapsed to one {@code <F>}. Two
 * instructions with the same skeleton differ only in what they ask for, not in how; the number of distinct skeletons
 * measures phrasing variety (the original TinySQL's CS1 has 57-65 in 5,000 examples).
 */
final class PromptSkeleton {
    private static final Map<String, List<String>> TABLE_SYNONYMS = new HashMap<>();
    private static final Map<String, List<String>> FIELD_SYNONYMS = new HashMap<>();

    static {
        Vocabulary v = Vocabulary.builtin();
        v.tables().forEach(t -> TABLE_SYNONYMS.put(t.name(), List.of(t.synonym1(), t.synonym2())));
        v.fields().forEach(f -> FIELD_SYNONYMS.put(f.name(), List.of(f.synonym1(), f.synonym2())));
    }

    private PromptSkeleton() {
    }

    static String of(TinySqlExample e) {
        Map<String, String> words = new LinkedHashMap<>();
        addTable(words, e.tableName(), e.tableNameSynonym());
        e.tableFields().forEach(f -> addField(words, f));
        if (e.join() != null) {
            addTable(words, e.join().tableName(), e.join().tableNameSynonym());
            e.join().tableFields().forEach(f -> addField(words, f));
        }
        for (TinySqlExample.WhereCondition w : e.where()) {
            if (w.value() != null) {
                String body = w.value().replace("'", "").replace("%", "");
                words.putIfAbsent(body, "<V>");
                words.putIfAbsent("'" + body + "'", "<V>");
            }
        }
        List<String> phrases = new ArrayList<>(words.keySet());
        phrases.sort(Comparator.comparingInt(String::length).reversed());
        String s = e.englishPrompt();
        for (String p : phrases) {
            s = replaceWords(s, p, words.get(p));
        }
        String before;
        do {
            before = s;
            s = s.replace("<F>, <F>", "<F>").replace("<F>, and <F>", "<F>").replace("<F> and <F>", "<F>");
        } while (!s.equals(before));
        return s;
    }

    private static void addTable(Map<String, String> words, String name, String synonym) {
        if (name == null) {
            return;
        }
        put(words, name, "<T>");
        if (synonym != null) {
            put(words, synonym, "<T>");
        }
        TABLE_SYNONYMS.getOrDefault(name, List.of()).forEach(s -> put(words, s, "<T>"));
    }

    private static void addField(Map<String, String> words, String nameAndType) {
        String f = nameAndType.strip();
        int sp = f.indexOf(' ');
        String name = sp < 0 ? f : f.substring(0, sp);
        put(words, name, "<F>");
        put(words, name.replace('_', ' '), "<F>");
        FIELD_SYNONYMS.getOrDefault(name, List.of()).forEach(s -> put(words, s, "<F>"));
    }

    private static void put(Map<String, String> words, String phrase, String placeholder) {
        if (!phrase.isBlank()) {
            words.putIfAbsent(phrase, placeholder);
        }
    }

    /** {@code s} with whole-word occurrences of {@code phrase} replaced. */
    private static String replaceWords(String s, String phrase, String with) {
        int i = s.indexOf(phrase);
        if (i < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        int from = 0;
        while (i >= 0) {
            int end = i + phrase.length();
            boolean whole = (i == 0 || !isWordChar(s.charAt(i - 1))) && (end == s.length() || !isWordChar(s.charAt(end)));
            if (whole) {
                sb.append(s, from, i).append(with);
                from = end;
            }
            i = s.indexOf(phrase, whole ? end : i + 1);
        }
        return sb.append(s, from, s.length()).toString();
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
