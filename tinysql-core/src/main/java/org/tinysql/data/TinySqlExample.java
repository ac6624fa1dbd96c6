package org.tinysql.data;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One row of the TinySQL dataset, with the HuggingFace dataset's columns plus full WHERE/JOIN metadata.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record TinySqlExample(
        @JsonProperty("command_set") int commandSet,
        @JsonProperty("table_name") String tableName,
        @JsonProperty("table_name_synonym") String tableNameSynonym,
        @JsonProperty("use_synonym") boolean useSynonym,
        @JsonProperty("create_statement") String createStatement,
        @JsonProperty("english_prompt") String englishPrompt,
        @JsonProperty("sql_statement") String sqlStatement,
        @JsonProperty("table_fields") List<String> tableFields,
        @JsonProperty("select") List<String> select,
        @JsonProperty("order_by") List<String> orderBy,
        @JsonProperty("group_by") List<String> groupBy,
        @JsonProperty("where") List<WhereCondition> where,
        @JsonProperty("where_connector") String whereConnector,
        @JsonProperty("join") JoinInfo join,
        @JsonProperty("create_statements") List<String> createStatements,
        @JsonProperty("split") String split) {

    /** A WHERE condition: field (qualified in JOIN queries), operator, literal (null for IS [NOT] NULL). */
    public record WhereCondition(@JsonProperty("field") String field, @JsonProperty("operator") String operator,
                                 @JsonProperty("value") String value) {
    }

    /** The JOIN: the second table and the key columns (qualified). */
    public record JoinInfo(@JsonProperty("table_name") String tableName,
                           @JsonProperty("table_name_synonym") String tableNameSynonym,
                           @JsonProperty("table_fields") List<String> tableFields,
                           @JsonProperty("left_key") String leftKey,
                           @JsonProperty("right_key") String rightKey) {
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
}
