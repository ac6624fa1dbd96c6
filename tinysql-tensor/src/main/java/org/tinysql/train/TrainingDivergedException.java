package org.tinysql.train;

/** The loss or the gradient became NaN/Inf; training stopped and the last good checkpoint is kept. */
public class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(String message) {
        super(message);
    }
}
