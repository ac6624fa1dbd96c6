package org.tinysql.train;

import org.tinysql.model.Transformer;

/**
 * The loss of one training step: a forward pass over the step's batch, then the loss with its gradient ready for
 * {@link Transformer#backward()}. {@link Trainer} takes it through a package-private constructor, the seam where
 * tests make a step diverge.
 */
@FunctionalInterface
interface StepLoss {
    /** The loss of batch {@code batch} at step {@code step} (0-based). */
    double compute(Transformer model, Batch batch, long step);

    /** The model's own loss. */
    StepLoss MODEL = (model, batch, step) -> model.forwardLoss(batch.ids(), batch.mask(), batch.positions(), batch.labels(), true);
}
