package dev.vecmlp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GeneratedTest {
    private static final int N = Generated.RING;

    @Test
    void xorIsTheFourPointsWithTheirParity() {
        try (Dataset d = Generated.xor()) {
            assertEquals(4, d.size());
            assertEquals(2, d.features());
            assertEquals(2, d.classes());
            assertArrayEquals(new float[] {0, 0, 0, 1, 1, 0, 1, 1}, d.featureMatrix().toArray());
            assertArrayEquals(new int[] {0, 1, 1, 0}, labels(d));
        }
    }

    @Test
    void patternsAreAllTranslationsOfTwoPatternsThatAreNotTranslationsOfEachOther() {
        try (Dataset d = Generated.patterns()) {
            assertEquals(2 * N, d.size());
            assertEquals(N, d.features());
            assertEquals(2, d.classes());
            float[][] rows = rows(d);
            for (int s = 0; s < N; s++) {
                assertEquals(0, d.label(s));
                assertEquals(1, d.label(N + s));
                assertArrayEquals(shift(rows[0], s), rows[s], "A shifted by " + s);
                assertArrayEquals(shift(rows[N], s), rows[N + s], "B shifted by " + s);
                assertEquals(4, count(rows[s]), "as many pixels on in A as in B");
                assertEquals(4, count(rows[N + s]));
            }
            for (int i = 0; i < 2 * N; i++) {
                for (int j = i + 1; j < 2 * N; j++) {
                    assertFalse(Arrays.equals(rows[i], rows[j]), "rows " + i + " and " + j + " are the same pattern");
                }
            }
        }
    }

    @Test
    void everyPixelIsOnInAsManyRowsOfEachClassSoTheClassMeansAreEqual() {
        try (Dataset d = Generated.patterns()) {
            float[][] rows = rows(d);
            float[] meanA = new float[N], meanB = new float[N];
            for (int i = 0; i < N; i++) {
                int onA = 0, onB = 0;
                for (int s = 0; s < N; s++) {
                    onA += (int) rows[s][i];
                    onB += (int) rows[N + s][i];
                    meanA[i] += rows[s][i] / N;
                    meanB[i] += rows[N + s][i] / N;
                }
                assertEquals(4, onA, "pixel " + i + " in A rows");
                assertEquals(4, onB, "pixel " + i + " in B rows");
            }
            assertArrayEquals(meanA, meanB, 0f, "class means, exactly");
        }
    }

    @Test
    void anyLinearUnitScoresBothClassesTheSameInTotalSoNoneSeparatesThem() {
        // If w.x + b were < 0 on all 16 A rows and >= 0 on all 16 B rows, the A total would be
        // below the B total. With equal per-pixel counts the totals are equal for every w and b.
        try (Dataset d = Generated.patterns()) {
            float[][] rows = rows(d);
            SplittableRandom rng = new SplittableRandom(7);
            for (int trial = 0; trial < 100; trial++) {
                long[] w = new long[N];
                for (int i = 0; i < N; i++) {
                    w[i] = rng.nextLong(-1000, 1001);
                }
                long b = rng.nextLong(-1000, 1001);
                long totalA = 0, totalB = 0;
                boolean allABelow = true, allBAbove = true;
                for (int s = 0; s < N; s++) {
                    long a = score(w, b, rows[s]), bb = score(w, b, rows[N + s]);
                    totalA += a;
                    totalB += bb;
                    allABelow &= a < 0;
                    allBAbove &= bb >= 0;
                }
                assertEquals(totalA, totalB, "trial " + trial);
                assertFalse(allABelow && allBAbove, "trial " + trial + " separated the classes");
            }
        }
    }

    @Test
    void booleanFunctionRowsAreTheTruthTableInCountingOrder() {
        try (Dataset d = Generated.booleanFunction(3, 42)) {
            assertEquals(8, d.size());
            assertEquals(3, d.features());
            assertEquals(2, d.classes());
            assertArrayEquals(new float[] {0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1},
                    d.featureMatrix().toArray());
        }
    }

    @Test
    void booleanFunctionLabelsAreSeededAndFair() {
        try (Dataset a = Generated.booleanFunction(10, 1);
             Dataset b = Generated.booleanFunction(10, 1);
             Dataset c = Generated.booleanFunction(10, 2)) {
            assertArrayEquals(labels(a), labels(b), "same seed, same function");
            assertNotEquals(Arrays.toString(labels(a)), Arrays.toString(labels(c)), "another seed, another function");
            int ones = Arrays.stream(labels(a)).sum();
            assertTrue(ones > 400 && ones < 624, ones + " of 1024 labels are 1");
        }
    }

    @ParameterizedTest(name = "{0} inputs")
    @ValueSource(ints = {1, 16})
    void booleanFunctionHasTwoToTheInputsRows(int inputs) {
        try (Dataset d = Generated.booleanFunction(inputs, 5)) {
            assertEquals(1 << inputs, d.size());
            assertEquals(inputs, d.features());
            int last = (1 << inputs) - 1;
            for (int j = 0; j < inputs; j++) {
                assertEquals(1f, d.feature(last, j), "the last row is all ones");
                assertEquals(0f, d.feature(0, j), "the first row is all zeros");
            }
        }
    }

    @ParameterizedTest(name = "{0} inputs")
    @ValueSource(ints = {0, -1, 21, Integer.MAX_VALUE})
    void booleanFunctionRejectsInputCountsOutOfRange(int inputs) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Generated.booleanFunction(inputs, 1));
        assertTrue(e.getMessage().contains("expected 1 to 20 inputs") && e.getMessage().contains("found " + inputs),
                e.getMessage());
    }

    private static long score(long[] w, long b, float[] x) {
        long s = b;
        for (int i = 0; i < x.length; i++) {
            s += w[i] * (long) x[i];
        }
        return s;
    }

    private static float[] shift(float[] pattern, int s) {
        float[] out = new float[pattern.length];
        for (int i = 0; i < pattern.length; i++) {
            out[(i + s) % pattern.length] = pattern[i];
        }
        return out;
    }

    private static int count(float[] row) {
        int on = 0;
        for (float v : row) {
            assertTrue(v == 0f || v == 1f, "binary pixels");
            on += (int) v;
        }
        return on;
    }

    private static float[][] rows(Dataset d) {
        float[] all = d.featureMatrix().toArray();
        float[][] rows = new float[d.size()][];
        for (int r = 0; r < d.size(); r++) {
            rows[r] = Arrays.copyOfRange(all, r * d.features(), (r + 1) * d.features());
        }
        return rows;
    }

    private static int[] labels(Dataset d) {
        int[] y = new int[d.size()];
        for (int r = 0; r < y.length; r++) {
            y[r] = d.label(r);
        }
        return y;
    }
}
