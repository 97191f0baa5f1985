package dev.vecmlp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScalingTest {

    @Test
    void standardizeGivesColumnsMeanZeroAndDeviationOneAndOnlyCentresAConstantColumn() {
        float[] x = {1, 7, 10, 3, 7, 20, 5, 7, 60, 7, 7, 10};
        try (Dataset d = Dataset.ofRegression("d", x, 3, new float[4], 1)) {
            Scaling s = Scaling.standardize(d);
            assertArrayEquals(new float[] {4, 7, 25}, s.offsets());
            assertEquals(1 / Math.sqrt(5), s.factors()[0], 1e-7);
            assertEquals(1f, s.factors()[1], "constant column: factor 1");
            s.apply(d);
            for (int c = 0; c < 3; c++) {
                double mean = 0, sq = 0;
                for (int r = 0; r < 4; r++) {
                    mean += d.feature(r, c) / 4.0;
                    sq += d.feature(r, c) * d.feature(r, c) / 4.0;
                }
                assertEquals(0, mean, 1e-6, "column " + c);
                assertEquals(c == 1 ? 0 : 1, sq, 1e-6, "column " + c);
            }
        }
    }

    @Test
    void standardizeKeepsFactorsFiniteForANearlyConstantColumn() {
        // A deviation near Float.MIN_VALUE has a reciprocal beyond float range; an infinite factor
        // would turn the column into NaN and make the scaling impossible to restore with of().
        try (Dataset d = Dataset.ofRegression("tiny", new float[] {0, Float.MIN_VALUE, 0, Float.MIN_VALUE}, 1,
                new float[4], 1)) {
            Scaling s = Scaling.standardize(d);
            assertTrue(Float.isFinite(s.factors()[0]), "factor " + s.factors()[0]);
            s.apply(d);
            assertTrue(Float.isFinite(d.feature(1, 0)), "scaled value " + d.feature(1, 0));
            assertEquals(s, Scaling.of(s.kind(), s.offsets(), s.factors()), "restorable");
        }
    }

    @Test
    void divideAndFitAndTheArrayFormAgreeWithTheDatasetForm() {
        float[] x = {0, 255, 51, 102};
        try (Dataset d = Dataset.ofClassification("img", x, 2, new int[] {0, 1}, 2)) {
            Scaling s = Scaling.fit(Scaling.Kind.DIVIDE, d);
            assertEquals(Scaling.divide(2, 255f), s);
            float[] copy = x.clone();
            s.apply(copy);
            s.apply(d);
            assertArrayEquals(copy, d.featureMatrix().toArray());
            assertArrayEquals(new float[] {0, 1, 0.2f, 0.4f}, copy, 1e-7f);
            assertEquals(Scaling.none(2), Scaling.fit(Scaling.Kind.NONE, d));
            assertEquals(s, Scaling.ofKind(Scaling.Kind.DIVIDE, 2));
            assertEquals(Scaling.none(2), Scaling.ofKind(Scaling.Kind.NONE, 2));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scaling.ofKind(Scaling.Kind.STANDARDIZE, 2));
        assertTrue(e.getMessage().contains("come from the training data"), e.getMessage());
    }

    @Test
    void aPartOfABufferIsScaledAsTheWholeRowsAloneAndTheRestIsLeft() {
        Scaling s = Scaling.of(Scaling.Kind.STANDARDIZE, new float[] {1, 2}, new float[] {0.5f, 4});
        float[] whole = {3, 5, 7, 9}, buffer = {3, 5, 7, 9, 11, 13};
        s.apply(whole);
        s.apply(buffer, 4);
        assertArrayEquals(whole, java.util.Arrays.copyOf(buffer, 4));
        assertArrayEquals(new float[] {11, 13}, java.util.Arrays.copyOfRange(buffer, 4, 6), "rows past the part untouched");
        assertThrows(IllegalArgumentException.class, () -> s.apply(buffer, 3), "not whole rows");
        assertThrows(IllegalArgumentException.class, () -> s.apply(buffer, 8), "past the buffer");
    }

    @Test
    void standardizeFromMomentsIsTheDatasetFormsRule() {
        float[] x = {1, 7, 10, 3, 7, 20, 5, 7, 60, 7, 7, 10};
        try (Dataset d = Dataset.ofRegression("d", x, 3, new float[4], 1)) {
            double[] mean = new double[3], var = new double[3];
            for (int c = 0; c < 3; c++) {
                for (int r = 0; r < 4; r++) {
                    mean[c] += x[r * 3 + c] / 4.0;
                }
                for (int r = 0; r < 4; r++) {
                    var[c] += (x[r * 3 + c] - mean[c]) * (x[r * 3 + c] - mean[c]) / 4.0;
                }
            }
            assertEquals(Scaling.standardize(d), Scaling.standardize(mean, var));
        }
    }

    @Test
    void ofRestoresAndChecksSavedScalings() {
        Scaling s = Scaling.of(Scaling.Kind.STANDARDIZE, new float[] {1, 2}, new float[] {0.5f, 4});
        assertEquals(s, Scaling.of(s.kind(), s.offsets(), s.factors()));
        assertThrows(IllegalArgumentException.class, () -> Scaling.of(Scaling.Kind.DIVIDE, new float[] {0}, new float[] {0, 1}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Scaling.of(Scaling.Kind.STANDARDIZE, new float[] {0, Float.NaN}, new float[] {1, 1}));
        assertTrue(e.getMessage().contains("column 1"), e.getMessage());
        try (Dataset wrongWidth = Generated.xor()) {
            assertThrows(IllegalArgumentException.class, () -> Scaling.none(3).apply(wrongWidth));
        }
        assertEquals(Scaling.Kind.DIVIDE, Scaling.Kind.parse("255"));
        assertThrows(IllegalArgumentException.class, () -> Scaling.Kind.parse("log"));
    }
}
