package org.tinysql.util;

/**
 * Progress of long work. Library code reports through this; the CLI shows a console bar, tests pass {@link #NONE}.
 */
public interface Progress extends AutoCloseable {

    /** Discards all reports. */
    Progress NONE = new Progress() {
        @Override
        public void advance(long steps) {
        }

        @Override
        public void status(String text) {
        }
    };

    /**
     * {@code steps} more units of work are done.
     *
     * @param steps the number of units just finished, added to the count so far
     */
    void advance(long steps);

    /**
     * A short status shown next to the bar (e.g. {@code loss 1.234, 5120 tok/s}).
     *
     * @param text the status; {@code null} or empty for none
     */
    void status(String text);

    @Override
    default void close() {
    }
}
