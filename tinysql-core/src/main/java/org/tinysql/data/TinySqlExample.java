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
 *
 * @param commandSet       the command set number, 1..5 ({@code command_set})
 * @param tableName        the FROM table's name, or {@code null} when not recorded
 * @param tableNameSynonym the English word the instruction may use for the table, or {@code null}
 * @param useSynonym       whether the instruction uses synonyms (the SYNONYM variant)
 * @param createStatement  the Context: the CREATE statement(s), non-blank
 * @param englishPrompt    the English instruction, non-blank
 * @param sqlStatement     the gold SQL, non-blank
 * @param tableFields      the FROM table's field names (empty if missing)
 * @param select           the SELECT list items as written (empty if missing)
 * @param orderBy          the ORDER BY items as written (empty if missing)
 * @param groupBy          the GROUP BY fields (empty if missing)
 * @param where            the WHERE conditions (empty if missing)
 * @param whereConnector   {@code AND} or {@code OR} between conditions, or {@code null}
 * @param join             the JOIN, or {@code null} for single-table queries
 * @param createStatements the CREATE statements one by one (empty if missing)
 * @param split            the split's name, e.g. {@code train}, or {@code null}
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

    /**
     * Checks the row and replaces missing lists by empty, unmodifiable ones.
     *
     * @param commandSet       the command set number, 1..5
     * @param tableName        the FROM table's name, or {@code null}
     * @param tableNameSynonym the table's English synonym, or {@code null}
     * @param useSynonym       whether the instruction uses synonyms
     * @param createStatement  the Context, non-blank
     * @param englishPrompt    the English instruction, non-blank
     * @param sqlStatement     the gold SQL, non-blank
     * @param tableFields      the FROM table's field names, or {@code null} for none
     * @param select           the SELECT list items, or {@code null} for none
     * @param orderBy          the ORDER BY items, or {@code null} for none
     * @param groupBy          the GROUP BY fields, or {@code null} for none
     * @param where            the WHERE conditions, or {@code null} for none
     * @param whereConnector   {@code AND}, {@code OR} or {@code null}
     * @param join             the JOIN, or {@code null}
     * @param createStatements the CREATE statements one by one, or {@code null} for none
     * @param split            the split's name, or {@code null}
     * @throws IllegalArgumentException if a field is out of range, a text is missing or blank, or a list holds null
     */
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

    /**
     * A WHERE condition: field (qualified in JOIN queries), operator, literal (null for IS [NOT] NULL).
     *
     * @param field    the field, {@code table.field} in JOIN queries; non-blank
     * @param operator the operator as written, e.g. {@code >=} or {@code IS NULL}; non-blank
     * @param value    the SQL literal, or {@code null}
     */
    public record WhereCondition(@JsonProperty("field") String field, @JsonProperty("operator") String operator,
                                 @JsonProperty("value") String value) {
        /**
         * Checks that field and operator are given.
         *
         * @param field    the field, non-blank
         * @param operator the operator, non-blank
         * @param value    the literal, or {@code null}
         * @throws IllegalArgumentException if {@code field} or {@code operator} is missing or blank
         */
        public WhereCondition {
            requireText(field, "field");
            requireText(operator, "operator");
        }
    }

    /**
     * The JOIN: the second table and the key columns (qualified).
     *
     * @param tableName        the joined table's name, non-blank
     * @param tableNameSynonym the joined table's English synonym, or {@code null}
     * @param tableFields      the joined table's field names (empty if missing)
     * @param leftKey          the FROM table's key, qualified, e.g. {@code customers.id}
     * @param rightKey         the joined table's key, qualified
     */
    public record JoinInfo(@JsonProperty("table_name") String tableName,
                           @JsonProperty("table_name_synonym") String tableNameSynonym,
                           @JsonProperty("table_fields") List<String> tableFields,
                           @JsonProperty("left_key") String leftKey,
                           @JsonProperty("right_key") String rightKey) {
        /**
         * Checks the table name and replaces a missing field list by an empty one.
         *
         * @param tableName        the joined table's name, non-blank
         * @param tableNameSynonym the joined table's English synonym, or {@code null}
         * @param tableFields      the joined table's field names, or {@code null} for none
         * @param leftKey          the FROM table's key, qualified
         * @param rightKey         the joined table's key, qualified
         * @throws IllegalArgumentException if {@code tableName} is missing or blank, or a field name is null
         */
        public JoinInfo {
            requireText(tableName, "table_name");
            tableFields = list(tableFields, "table_fields");
        }
    }

    /**
     * The command set as an enum.
     *
     * @return {@link CommandSet} number {@code commandSet}
     */
    public CommandSet commandSetEnum() {
        return CommandSet.values()[commandSet - 1];
    }

    /**
     * {@code ### Instruction: ... ### Context: ... ### Response: }
     *
     * @return the prompt that the model completes with the SQL
     */
    public String prompt() {
        return PromptFormat.prompt(englishPrompt, createStatement);
    }

    /**
     * The full training text: prompt followed by the SQL target (the tokenizer appends EOS).
     *
     * @return the prompt with {@code sqlStatement} appended
     */
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
