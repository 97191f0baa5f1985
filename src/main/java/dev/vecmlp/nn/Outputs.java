package dev.vecmlp.nn;

/**
 * What a caller makes of a network's outputs, row by row, in one place so that every front end
 * (the command line's {@code predict}, the Spark transformer) gives the same bits: the softmax
 * that turns a softmax model's scores into class probabilities, and the predicted class.
 *
 * <p>The network itself stops at the scores: {@link Loss#SOFTMAX_CROSS_ENTROPY} folds the softmax
 * into the loss, so {@link Predictor#predict} returns the scores before it.
 */
public final class Outputs {
    private Outputs() {
    }

    /**
     * Replaces the {@code n} scores at {@code y[at..at+n)} by their softmax, computed in double
     * after subtracting the largest score and rounded to float once.
     */
    public static void softmaxInPlace(float[] y, int at, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            max = Math.max(max, y[at + c]);
        }
        double sum = 0;
        for (int c = 0; c < n; c++) {
            sum += Math.exp(y[at + c] - max);
        }
        for (int c = 0; c < n; c++) {
            y[at + c] = (float) (Math.exp(y[at + c] - max) / sum);
        }
    }

    /**
     * The class that the {@code n} outputs at {@code y[at..at+n)} predict: with one output,
     * 1 when it is above 0.5 (a logistic output), else 0; with several, the index of the largest
     * (the first of equals).
     */
    public static int predictedClass(float[] y, int at, int n) {
        if (n == 1) {
            return y[at] > 0.5f ? 1 : 0;
        }
        int best = 0;
        for (int c = 1; c < n; c++) {
            if (y[at + c] > y[at + best]) {
                best = c;
            }
        }
        return best;
    }
}
