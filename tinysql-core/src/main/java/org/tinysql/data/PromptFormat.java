package org.tinysql.data;

/** The original TinySQL prompt layout. Only the response tokens are trained on. */
public final class PromptFormat {
    public static final String INSTRUCTION = "### Instruction: ";
    public static final String CONTEXT = " ### Context: ";
    public static final String RESPONSE = " ### Response: ";

    private PromptFormat() {
    }

    public static String prompt(String english, String context) {
        return INSTRUCTION + english + CONTEXT + context + RESPONSE;
    }
}
