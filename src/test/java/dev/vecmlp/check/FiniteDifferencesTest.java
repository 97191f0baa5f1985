package dev.vecmlp.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Central differences of functions whose derivatives are known. */
class FiniteDifferencesTest {

    @Test
    void knownDerivatives() {
        assertEquals(Math.cos(1.0), FiniteDifferences.central(Math::sin, 1.0), 1e-10);
        assertEquals(3 * 4.0, FiniteDifferences.central(x -> x * x * x, 2.0), 1e-9);
        // At 20 the step is 20·ε^(1/3): truncation (20·ε^(1/3))²/6 ≈ 2.4e-9 of the value.
        assertEquals(Math.exp(20), FiniteDifferences.central(Math::exp, 20.0), 5e-9 * Math.exp(20));
        assertEquals(1 / 3e6, FiniteDifferences.central(Math::log, 3e6), 1e-10 / 3e6);
        // Around 0 the step is not scaled down: ε^(1/3), not ε^(1/3)·|w|.
        assertEquals(1.0, FiniteDifferences.central(Math::tanh, 0.0), 1e-10);
    }

    @Test
    void stepsAreTheOnesRepresentable() {
        for (double w : new double[] {0.0, 1.0, -0.1, 0.7, 12345.678, -3e8}) {
            double[] s = FiniteDifferences.steps(w);
            assertEquals(s[0], (w + s[0]) - w, "step up at " + w);
            assertEquals(s[1], w - (w - s[1]), "step down at " + w);
            double h = FiniteDifferences.step(w);
            assertEquals(h, s[0], Math.ulp(w) + Math.ulp(h), "step at " + w);
            assertEquals(FiniteDifferences.STEP_SCALE * Math.max(1, Math.abs(w)), h, 0.0);
        }
        assertTrue(FiniteDifferences.STEP_SCALE > 6e-6 && FiniteDifferences.STEP_SCALE < 6.1e-6);
    }

    @Test
    void nonFinitePointIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FiniteDifferences.step(Double.NaN));
        assertTrue(e.getMessage().contains("expected a finite value, found NaN"), e.getMessage());
    }
}
