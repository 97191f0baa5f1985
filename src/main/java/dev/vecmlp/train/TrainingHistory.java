package dev.vecmlp.train;

import java.util.List;

/**
 * What {@link Trainer#fit} did.
 *
 * @param epochs       the figures of every epoch run
 * @param stoppedEarly whether early stopping ended the run before its last epoch
 * @param bestEpoch    the epoch (0-based) whose weights the model holds at the end: the last
 *                     one, or with early stopping the one with the lowest validation loss
 * @param seconds      wall time of the training steps, all epochs (validation not included)
 */
public record TrainingHistory(List<EpochStats> epochs, boolean stoppedEarly, int bestEpoch, double seconds) {
    public TrainingHistory {
        epochs = List.copyOf(epochs);
    }

    /** The last epoch's figures. */
    public EpochStats last() {
        return epochs.get(epochs.size() - 1);
    }
}
