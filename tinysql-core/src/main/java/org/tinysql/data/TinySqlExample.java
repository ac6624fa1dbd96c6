package org.tinysql.data;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One row of the TinySQL dataset, with the HuggingFace dataset's columns plus full WHERE/JOIN metadata.
 *
 * <p>Every instance is valid: {@code command_set} is 1..5; the Instruction, Context and SQL are non-blank; the list
 * columns hold no nulls (a missing list is empty); {@code where_connector} is AND, OR or null. A violation is an
 * {@link IllegalArgumentException} naming the field. In JSON, {@code command_set}, {@code use_synonym} and the three
 * texts are required.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record TinySqlExample(
        @JsonProperty(value = "command_set", required = true) int commandSet,
        @JsonProperty("table_name") String tableName,
        @JsonProperty("table_name_synonym") String tableNameSynonym,
        @JsonProperty(value = "use_synonym", required = true) boolean useSynonym,
        @JsonProperty(value = "create_statement", required = true) String createStatement,
        @JsonProperty(value = "english_prompt", required = true) String englishPrompt,
        @JsonProperty(value = "sql_statement", required = true) String sqlStatement,
        @JsonProperty("table_fields") List<String> tableFields,
        @JsonProperty("select") List<String> select,
        @JsonProperty("order_by") List<String> orderBy,
        @JsonProperty("group_by") List<String> groupBy,
        @JsonProperty("where") List<WhereCondition> where,
        @JsonProperty("where_connector") String whereConnector,
        @JsonProperty("join") JoinInfo join,
        @JsonProperty("create_statements") List<String> createStatements,
        @JsonProperty("split") String split) {

    public TinySqlExample {
        if (commandSet < 1 || commandSet > CommandSet.values().length) {
            throw new IllegalArgumentException("command_set must be 1.." + CommandSet.values().length + ", not " + commandSet);
        }
        requireText(createStatement, "create_statement");
        requireText(englishPrompt, "english_prompt");
        requireText(sqlStatement, "sql_statement");
        tableFields = list(tableFields, "table_fields");
        select = list(select, "select");
        orderBy = list(orderBy, "order_by");
        groupBy = list(groupBy, "group_by");
        where = list(where, "where");
        createStatements = list(createStatements, "create_statements");
        if (whereConnector != null && !whereConnector.equals("AND") && !whereConnector.equals("OR")) {
            throw new IllegalArgumentException("where_connector must be AND, OR or null, not \"" + whereConnector + "\"");
        }
    }

    /** A WHERE condition: field (qualified in JOIN queries), operator, literal (null for IS [NOT] NULL). */
    public record WhereCondition(@JsonProperty("field") String field, @JsonProperty("operator") String operator,
                                 @JsonProperty("value") String value) {
        public WhereCondition {
            requireText(field, "field");
            requireText(operator, "operator");
        }
    }

    /** The JOIN: the second table and the key columns (qualified). */
    public record JoinInfo(@JsonProperty("table_name") String tableName,
                           @JsonProperty("table_name_synonym") String tableNameSynonym,
                           @JsonProperty("table_fields") List<String> tableFields,
                           @JsonProperty("left_key") String leftKey,
                           @JsonProperty("right_key") String rightKey) {
        public JoinInfo {
            requireText(tableName, "table_name");
            tableFields = list(tableFields, "table_fields");
        }
    }

    public CommandSet commandSetEnum() {
        return CommandSet.values()[commandSet - 1];
    }

    /** {@code ### Instruction: ... ### Context: ... ### Response: } */
    public String prompt() {
        return PromptFormat.prompt(englishPrompt, createStatement);
    }

    /** The full training text: prompt followed by the SQL target (the tokenizer appends EOS). */
    public String fullText() {
        return prompt() + sqlStatement;
    }

    private static void requireText(String s, String field) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException(field + " is " + (s == null ? "missing" : "blank"));
        }
    }

    /** An unmodifiable copy; null (a missing column) becomes empty, a null element is an error. */
    private static <T> List<T> list(List<T> items, String field) {
        if (items == null) {
            return List.of();
        }
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i) == null) {
                throw new IllegalArgumentException(field + "[" + i + "] is null");
            }
        }
        return List.copyOf(items);
    }
}
