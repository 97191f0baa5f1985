package dev.vecmlp.check;

/**
 * One tensor's result in one verdict of a {@link GradientReport}: how a gradient found by one
 * method compares with the gradient expected from another (numeric against the reference's
 * analytic gradient in verdict 1, the engine's against the reference's in verdict 2).
 *
 * <p>The worst coordinate is the one whose error is largest relative to its allowance, given as
 * layer (counted from 0, as in the tensor's name), row (the layer's output unit) and column (its input;
 * 0 for a bias). The ratios found/expected summarise the whole tensor, so a scale bug shows its
 * factor, a sign bug −1 and a transpose something far from 1: {@code ratio} is the least-squares
 * factor {@code Σ found·expected / Σ expected²}, {@code medianRatio} the median of
 * {@code found/expected} over the coordinates where expected is not 0 (NaN when there are none).
 *
 * @param name          {@code W0, b0, W1, ...}
 * @param layer         the tensor's layer, counted from 0
 * @param bias          whether it is a bias
 * @param checked       coordinates compared
 * @param skipped       coordinates not compared because a ReLU or threshold unit changes side
 *                      within the finite-difference step (verdict 1 only)
 * @param failing       coordinates whose error exceeds their allowance
 * @param maxError      the largest |found − expected|
 * @param worstRow      row of the worst coordinate, or −1 when none was checked
 * @param worstColumn   column of the worst coordinate (0 for a bias), or −1
 * @param worstExpected expected value at the worst coordinate
 * @param worstFound    found value at the worst coordinate
 * @param worstAllowed  the allowance at the worst coordinate
 * @param ratio         least-squares ratio found/expected (NaN when every expected value is 0)
 * @param medianRatio   median of found/expected over non-zero expected values
 * @param resolution    verdict 2: the smallest relative scale error of the whole tensor the
 *                      per-coordinate check is sure to catch, min over coordinates of
 *                      allowance/|expected| (NaN in verdict 1 or when every expected value is 0)
 * @param ratioBound    verdict 2: the bound on |ratio − 1| from simulated float32 rounding (see
 *                      {@link RoundingSimulation}); NaN in verdict 1 or when there is no ratio
 * @param zeros         checked coordinates where both gradients are exactly 0: they test nothing
 *                      (a hard-threshold unit passes no gradient back, a dead ReLU none)
 */
public record TensorReport(String name, int layer, boolean bias, int checked, int skipped, int failing,
                           double maxError, int worstRow, int worstColumn, double worstExpected, double worstFound,
                           double worstAllowed, double ratio, double medianRatio, double resolution,
                           double ratioBound, int zeros) {

    /** Whether no checked coordinate fails and the ratio is within its bound. */
    public boolean passed() {
        return failing == 0 && ratioPassed();
    }

    /**
     * Whether this tensor's check tested nothing: no coordinate checked, or every one exactly 0
     * on both sides, so it would pass whatever the code computed there.
     */
    public boolean vacuous() {
        return zeros == checked;
    }

    /** Whether |ratio − 1| is within {@link #ratioBound} (true when there is no bound). */
    public boolean ratioPassed() {
        return Double.isNaN(ratioBound) || Math.abs(ratio - 1) <= ratioBound;
    }

    /** The worst coordinate as {@code W1[3][0]} or {@code b1[3]}, or {@code -} when none was checked. */
    public String worstCoordinate() {
        if (worstRow < 0) {
            return "-";
        }
        return bias ? name + "[" + worstRow + "]" : name + "[" + worstRow + "][" + worstColumn + "]";
    }
}
