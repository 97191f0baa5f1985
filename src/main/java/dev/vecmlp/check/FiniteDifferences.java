package dev.vecmlp.check;

import java.util.Objects;
import java.util.function.DoubleUnaryOperator;

/**
 * Central finite differences in float64.
 *
 * <p>The step for a coordinate at {@code w} is {@code h ≈ ε^(1/3)·max(1, |w|)} (ε = 2^-52): it
 * balances the truncation error, O(h²·f'''), against the rounding error of the two evaluations,
 * O(ε·|f|/h), for an error of order ε^(2/3) ≈ 4e-11 relative to the function's scale. The steps
 * used are the ones actually taken in double, {@code h+ = (w + h) − w} and
 * {@code h− = w − (w − h)}, so the representation of {@code w ± h} adds no error:
 * {@code f'(w) ≈ (f(w + h+) − f(w − h−)) / (h+ + h−)}.
 *
 * <pre>{@code
 * double d = FiniteDifferences.central(Math::sin, 1.0);   // cos 1, to about 1e-10
 * }</pre>
 */
public final class FiniteDifferences {
    /** ε^(1/3) for double's ε = 2^-52. */
    public static final double STEP_SCALE = Math.cbrt(Math.ulp(1.0));

    private FiniteDifferences() {
    }

    /** The nominal step at {@code w}: {@code ε^(1/3)·max(1, |w|)}. */
    public static double step(double w) {
        if (!Double.isFinite(w)) {
            throw new IllegalArgumentException("finite-difference point: expected a finite value, found " + w);
        }
        return STEP_SCALE * Math.max(1.0, Math.abs(w));
    }

    /** The two representable steps taken at {@code w}: {@code {(w + h) − w, w − (w − h)}}. */
    public static double[] steps(double w) {
        double h = step(w);
        return new double[] {(w + h) - w, w - (w - h)};
    }

    /** The central difference of {@code f} at {@code x}, with the representable steps of {@link #steps}. */
    public static double central(DoubleUnaryOperator f, double x) {
        Objects.requireNonNull(f, "f");
        double[] s = steps(x);
        return (f.applyAsDouble(x + s[0]) - f.applyAsDouble(x - s[1])) / (s[0] + s[1]);
    }
}
