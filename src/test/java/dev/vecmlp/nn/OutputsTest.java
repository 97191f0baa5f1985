package dev.vecmlp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The softmax and the predicted class that every front end applies to a network's outputs. */
class OutputsTest {
    @Test
    void softmaxOfOneRowLeavesTheOthersAlone() {
        float[] y = {9, 9, 1, 2, 3, 9};
        Outputs.softmaxInPlace(y, 2, 3);
        double e1 = Math.exp(-2), e2 = Math.exp(-1), sum = e1 + e2 + 1;
        assertEquals((float) (e1 / sum), y[2]);
        assertEquals((float) (e2 / sum), y[3]);
        assertEquals((float) (1 / sum), y[4]);
        assertEquals(9f, y[1]);
        assertEquals(9f, y[5]);
    }

    @Test
    void softmaxOfHugeScoresDoesNotOverflow() {
        float[] y = {3e38f, 3e38f, -3e38f};
        Outputs.softmaxInPlace(y, 0, 3);
        assertEquals(0.5f, y[0]);
        assertEquals(0.5f, y[1]);
        assertEquals(0f, y[2]);
    }

    @Test
    void theClassIsTheFirstLargestOrTheLogisticThreshold() {
        assertEquals(2, Outputs.predictedClass(new float[] {0, 0.1f, 0.7f, 0.7f, 0.2f}, 0, 5));
        assertEquals(0, Outputs.predictedClass(new float[] {0.3f, 0.3f}, 0, 2));
        assertEquals(1, Outputs.predictedClass(new float[] {5, 0.6f}, 1, 1));
        assertEquals(0, Outputs.predictedClass(new float[] {0.5f}, 0, 1));
    }
}
