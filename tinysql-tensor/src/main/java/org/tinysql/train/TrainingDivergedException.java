package org.tinysql.train;

/** The loss or the gradient became NaN/Inf; training stopped and the last good checkpoint is kept. */
public class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A divergence.
     * @param message the step, the non-finite loss or norm, and where the last good checkpoint is
     */
    public TrainingDivergedException(String message) {
        super(message);
    }
}
