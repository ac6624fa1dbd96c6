package org.tinysql.data;

/** The original TinySQL prompt layout. Only the response tokens are trained on. */
public final class PromptFormat {
    /** Starts the prompt; the English instruction follows. */
    public static final String INSTRUCTION = "### Instruction: ";
    /** Between the instruction and the Context (the CREATE statements). */
    public static final String CONTEXT = " ### Context: ";
    /** Ends the prompt; the SQL response follows. */
    public static final String RESPONSE = " ### Response: ";

    private PromptFormat() {
    }

    /**
     * The prompt a model completes with SQL: {@code ### Instruction: english ### Context: context ### Response: }.
     *
     * @param english the English instruction
     * @param context the CREATE statement(s)
     * @return the prompt, ending with a space
     */
    public static String prompt(String english, String context) {
        return INSTRUCTION + english + CONTEXT + context + RESPONSE;
    }
}
