package org.tinysql.sql;

/**
 * Untrusted SQL text (a prediction, a gold query or a Context's CREATE statements) that the scorers refuse to parse
 * or run. The message is the reason, fit to show in a report: it names the statement part, table or column at
 * fault.
 */
public final class SqlRejectedException extends Exception {

    /**
     * @param reason why the text is refused, fit to show in a report
     */
    public SqlRejectedException(String reason) {
        super(reason);
    }
}
