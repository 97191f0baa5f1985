package dev.vecmlp.train;

/**
 * A model's figures on a data set.
 *
 * @param loss     mean loss per example (the network's loss function, without the L2 term)
 * @param accuracy share of examples classified right, or NaN for a regression set
 * @param examples how many examples were evaluated
 */
public record Evaluation(double loss, double accuracy, int examples) {
}
