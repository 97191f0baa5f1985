package dev.vecmlp.train;

import java.util.List;

/**
 * What {@link Trainer#fit} or {@link Trainer#resume} did.
 *
 * @param epochs       the figures of every epoch this call ran; after a resume they start at the
 *                     state's epoch, and for a finished state there are none
 * @param stoppedEarly whether early stopping ended the run before its last epoch
 * @param bestEpoch    the epoch (0-based, counted from the start of the run) whose weights the
 *                     model holds at the end: the last one, or with early stopping the one with
 *                     the lowest validation loss, which may precede a resume
 * @param seconds      wall time of the training steps, all epochs (validation not included)
 */
public record TrainingHistory(List<EpochStats> epochs, boolean stoppedEarly, int bestEpoch, double seconds) {
    public TrainingHistory {
        epochs = List.copyOf(epochs);
    }

    /** The last epoch's figures; there are none after resuming a finished state. */
    public EpochStats last() {
        return epochs.get(epochs.size() - 1);
    }
}
