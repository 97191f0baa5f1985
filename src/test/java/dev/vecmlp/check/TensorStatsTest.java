package dev.vecmlp.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** One tensor's accumulated comparison: worst coordinate, maximum error, ratios, resolution. */
class TensorStatsTest {

    /** The worst coordinate is the largest error relative to its allowance, not the largest error. */
    @Test
    void worstIsLargestErrorOverAllowance() {
        TensorStats s = new TensorStats("W1", 2, false, false);
        s.add(0, 0, 10, 13, 100);     // error 3, score 0.03
        s.add(1, 2, 4, 3.5, 0.1);     // error 0.5, score 5
        s.add(2, 1, -1, -1.2, 0.1);   // error 0.2, score 2
        TensorReport r = s.build();
        assertEquals(1, r.worstRow());
        assertEquals(2, r.worstColumn());
        assertEquals(4, r.worstExpected());
        assertEquals(3.5, r.worstFound());
        assertEquals(0.1, r.worstAllowed());
        assertEquals(3, r.maxError(), 0);
        assertEquals(3, r.checked());
        assertEquals(2, r.failing());
        assertEquals("W1[1][2]", r.worstCoordinate());
        assertEquals(2, r.layer());
        assertFalse(r.bias());
        assertFalse(r.passed());
    }

    /** The first coordinate, at row 0, stays the worst when later ones score lower or the same. */
    @Test
    void firstWorstKeptOnTiesAndLowerScores() {
        TensorStats s = new TensorStats("b0", 1, true, false);
        s.add(0, 0, 1, 1.5, 1);      // score 0.5
        s.add(1, 0, 2, 2.25, 1);     // score 0.25
        s.add(2, 0, 3, 3.5, 1);      // score 0.5, a tie
        TensorReport r = s.build();
        assertEquals(0, r.worstRow());
        assertEquals(1, r.worstExpected());
        assertEquals("b0[0]", r.worstCoordinate());
        assertEquals(0.5, r.maxError(), 0);
        assertEquals(0, r.failing());
        assertTrue(r.passed());
    }

    /** A NaN is the worst of all and fails. */
    @Test
    void nanIsWorst() {
        TensorStats s = new TensorStats("W0", 1, false, false);
        s.add(0, 1, 1, 100, 1);
        s.add(1, 0, 1, Double.NaN, 1);
        TensorReport r = s.build();
        assertEquals(1, r.worstRow());
        assertEquals(2, r.failing());
        assertTrue(Double.isNaN(r.maxError()));
    }

    /** Least-squares ratio, median of an odd and an even count (inserted unsorted), resolution. */
    @Test
    void ratiosAndResolution() {
        TensorStats s = new TensorStats("W0", 1, false, true);
        s.add(0, 0, 2, 6, 1);        // ratio 3, allowance/|expected| 0.5
        s.add(0, 1, -4, -4, 0.1);    // ratio 1, 0.025
        s.add(0, 2, 0, 0.5, 1);      // no ratio
        s.add(1, 0, 1, 2, 0.5);      // ratio 2, 0.5
        TensorReport r = s.build(0.25);
        assertEquals(2, r.medianRatio(), 0);
        assertEquals((12 + 16 + 2) / (4.0 + 16 + 1), r.ratio(), 1e-15);
        assertEquals(0.025, r.resolution(), 1e-17);
        assertEquals(0.25, r.ratioBound());
        s.add(1, 1, 1, 10, 100);     // ratio 10: median of 1, 2, 3, 10
        assertEquals(2.5, s.build().medianRatio(), 0);
        assertTrue(Double.isNaN(s.build().ratioBound()));
    }

    @Test
    void noRatioWhenEveryExpectedIsZero() {
        TensorStats s = new TensorStats("b2", 3, true, true);
        s.add(0, 0, 0, 1e-9, 1e-8);
        TensorReport r = s.build(1e-3);
        assertTrue(Double.isNaN(r.ratio()));
        assertTrue(Double.isNaN(r.medianRatio()));
        assertTrue(Double.isNaN(r.resolution()));
        assertTrue(Double.isNaN(new TensorStats("b2", 3, true, false).build().resolution()));
    }

    @Test
    void resolutionOnlyWhenAsked() {
        TensorStats s = new TensorStats("W0", 1, false, false);
        s.add(0, 0, 2, 2, 1);
        assertTrue(Double.isNaN(s.build().resolution()));
    }

    @Test
    void emptyTensorHasNoWorstCoordinate() {
        TensorStats s = new TensorStats("W0", 1, false, false);
        s.skip();
        TensorReport r = s.build();
        assertEquals("-", r.worstCoordinate());
        assertEquals(-1, r.worstRow());
        assertEquals(1, r.skipped());
        assertEquals(0, r.checked());
    }

    /** |ratio − 1| exactly at the bound passes; just past it does not; no bound always passes. */
    @Test
    void ratioPassedAtTheBound() {
        assertTrue(report(1.5, 0.5).ratioPassed());
        assertTrue(report(0.5, 0.5).ratioPassed());
        assertFalse(report(1.5, 0.4999).ratioPassed());
        assertFalse(report(1.5, 0.4999).passed());
        assertTrue(report(7, Double.NaN).ratioPassed());
    }

    @Test
    void worstCoordinateNamesRowAndColumn() {
        assertEquals("W2[0][4]", new TensorReport("W2", 2, false, 1, 0, 0, 0, 0, 4, 0, 0, 0, 1, 1, 0, 0, 0).worstCoordinate());
        assertEquals("b1[5]", new TensorReport("b1", 1, true, 1, 0, 0, 0, 5, 0, 0, 0, 0, 1, 1, 0, 0, 0).worstCoordinate());
    }

    private static TensorReport report(double ratio, double bound) {
        return new TensorReport("W0", 0, false, 1, 0, 0, 0, 0, 0, 1, 1, 1, ratio, ratio, Double.NaN, bound, 0);
    }
}
