package dev.vecmlp.train;

/**
 * The figures of one epoch.
 *
 * @param epoch              0-based
 * @param epochs             epochs planned for the run
 * @param trainLoss          mean loss of the epoch's batches, as they were trained (without the L2 term)
 * @param trainAccuracy      share of the epoch's training examples classified right as they were
 *                           trained, NaN for regression
 * @param validation         the validation figures after the epoch, or null without a validation set
 * @param learningRate       the learning rate of the epoch's last step
 * @param seconds            wall time of the epoch's training steps (validation not included)
 * @param examplesPerSecond  training examples per second
 */
public record EpochStats(int epoch, int epochs, double trainLoss, double trainAccuracy, Evaluation validation,
                         double learningRate, double seconds, double examplesPerSecond) {
}
