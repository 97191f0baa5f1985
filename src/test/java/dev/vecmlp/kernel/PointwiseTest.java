package dev.vecmlp.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The scalar definitions in {@link Pointwise}, which every SIMD kernel is measured against. */
class PointwiseTest {
    private static final float LN2 = (float) Math.log(2);

    @Test
    void softplusKnownValues() {
        assertEquals(LN2, Pointwise.SOFTPLUS.apply(0f));
        assertEquals(LN2, Pointwise.SOFTPLUS.apply(-0f));
        // Large arguments must neither overflow (exp(100) is not a float) nor lose the linear part.
        assertEquals(100f, Pointwise.SOFTPLUS.apply(100f));
        // softplus(-100) = log1p(e^-100) ≈ e^-100 ≈ 3.72e-44, a subnormal: the nearest float of it.
        float tiny = Pointwise.SOFTPLUS.apply(-100f);
        assertEquals((float) Math.exp(-100.0), tiny);
        assertEquals(3.72e-44, tiny, Float.MIN_VALUE);
        assertTrue(tiny > 0f);
        assertEquals(Float.MAX_VALUE, Pointwise.SOFTPLUS.apply(Float.MAX_VALUE));
    }

    @Test
    void logisticKnownValues() {
        assertEquals(0.5f, Pointwise.LOGISTIC.apply(0f));
        assertEquals((float) (1 / (1 + Math.exp(2.0))), Pointwise.LOGISTIC.apply(-2f));
        // Symmetry σ(-z) = 1 - σ(z), to float rounding of each side.
        assertEquals(1 - Pointwise.LOGISTIC.apply(1.5f), Pointwise.LOGISTIC.apply(-1.5f), 2 * Math.ulp(1f));
        assertEquals(0.25f, Pointwise.LOGISTIC.derivative(0f, 0.5f));
    }

    @Test
    void tanhKnownValues() {
        assertEquals(0f, Pointwise.TANH.apply(0f));
        assertEquals(1f, Pointwise.TANH.derivative(0f, Pointwise.TANH.apply(0f)));
        assertEquals((float) Math.tanh(0.5), Pointwise.TANH.apply(0.5f));
    }

    @Test
    void reluKnownValues() {
        assertEquals(3f, Pointwise.RELU.apply(3f));
        assertEquals(0f, Pointwise.RELU.apply(-3f));
        // +0, not -0: max(0, -0) is +0 in Java.
        assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(Pointwise.RELU.apply(-0f)));
        assertTrue(Float.isNaN(Pointwise.RELU.apply(Float.NaN)), "NaN must stay NaN so divergence is seen");
        assertEquals(0f, Pointwise.RELU.derivative(0f, 0f), "relu'(0) is taken as 0");
        assertEquals(1f, Pointwise.RELU.derivative(1e-30f, 1e-30f));
        assertEquals(0f, Pointwise.RELU.derivative(-1f, 0f));
    }

    @Test
    void stepKnownValues() {
        assertEquals(0f, Pointwise.STEP.apply(0f));
        assertEquals(0f, Pointwise.STEP.apply(-0f));
        assertEquals(1f, Pointwise.STEP.apply(1e-30f));
        assertEquals(1f, Pointwise.STEP.apply(Float.MIN_VALUE));
        assertEquals(0f, Pointwise.STEP.apply(-Float.MIN_VALUE));
        assertEquals(0f, Pointwise.STEP.derivative(0.5f, 1f));
        assertEquals(0f, Pointwise.STEP.derivative(-0.5f, 0f));
    }

    @Test
    void linearIsTheIdentity() {
        for (float z : new float[] {0f, -0f, 1.5f, -7e20f, Float.MIN_VALUE, Float.POSITIVE_INFINITY}) {
            assertEquals(Float.floatToIntBits(z), Float.floatToIntBits(Pointwise.LINEAR.apply(z)));
            assertEquals(1f, Pointwise.LINEAR.derivative(z, z));
        }
    }

    /**
     * The limits, which the SIMD kernels must reproduce: every function is defined at ±∞ (the
     * saturating ones reach their asymptote exactly, softplus(+∞) is +∞) and NaN propagates,
     * except through STEP, whose {@code z > 0} is false for NaN.
     */
    @ParameterizedTest(name = "{0}(+inf) = {1}, {0}(-inf) = {2}, {0}(NaN) = {3}")
    @CsvSource({
            "LINEAR, Infinity, -Infinity, NaN",
            "RELU, Infinity, 0, NaN",
            "SOFTPLUS, Infinity, 0, NaN",
            "STEP, 1, 0, 0",
            "LOGISTIC, 1, 0, NaN",
            "TANH, 1, -1, NaN"})
    void infinitiesAndNaN(Pointwise f, float atPlusInfinity, float atMinusInfinity, float atNaN) {
        assertEquals(atPlusInfinity, f.apply(Float.POSITIVE_INFINITY));
        assertEquals(atMinusInfinity, f.apply(Float.NEGATIVE_INFINITY));
        assertEquals(atNaN, f.apply(Float.NaN));
    }

    @ParameterizedTest
    @EnumSource(Pointwise.class)
    void ofReturnsTheConstantByOrdinal(Pointwise f) {
        assertSame(f, Pointwise.of(f.ordinal()));
    }

    /**
     * {@code f'(z, f(z))} against the central difference {@code (f(z+δ) − f(z−δ)) / 2δ}, computed
     * in double from the float values, with {@code δ = 2⁻⁷} and every {@code z} a multiple of
     * {@code δ}, so {@code z ± δ} are exact floats. The allowed difference is the sum of
     * <ul>
     *   <li>truncation: {@code δ²/6 · sup|f'''|} (tanh 2, logistic 1/8, softplus 0.1 > 0.0962);
     *   <li>the float rounding of {@code f(z±δ)}, half an ulp each, divided by {@code 2δ};
     *   <li>the derivative's own error: it is computed from the rounded {@code h = f(z)} (half
     *       an ulp), scaled by {@code |∂f'/∂h|} ({@code |1 − 2h|} for logistic, {@code 2|h|} for
     *       tanh), plus 2 ulps for its own float operations.
     * </ul>
     */
    @ParameterizedTest
    @EnumSource(value = Pointwise.class, names = {"SOFTPLUS", "LOGISTIC", "TANH", "LINEAR"})
    void derivativeMatchesCentralDifference(Pointwise f) {
        double delta = 0x1p-7;
        double thirdDerivative = switch (f) {
            case TANH -> 2;
            case LOGISTIC -> 0.125;
            case SOFTPLUS -> 0.1;
            default -> 0;
        };
        float[] points = {-8f, -3.5f, -1f, -0.25f, 0f, 0.125f, 0.5f, 0.9921875f, 1.5f, 2.75f, 6f, 9f};
        for (float z : points) {
            float up = f.apply((float) (z + delta)), down = f.apply((float) (z - delta));
            double central = ((double) up - down) / (2 * delta);
            float h = f.apply(z);
            float d = f.derivative(z, h);
            double dByH = switch (f) {
                case LOGISTIC -> Math.abs(1 - 2.0 * h);
                case TANH -> 2 * Math.abs(h);
                default -> 0;
            };
            double tolerance = delta * delta / 6 * thirdDerivative
                    + (Math.ulp(up) + Math.ulp(down)) / 2 / (2 * delta)
                    + dByH * Math.ulp(h) / 2 + 2 * Math.ulp(d);
            assertEquals(central, d, tolerance, f + "'(" + z + ")");
        }
    }

    /** Away from its kink, relu' is the slope of relu exactly. */
    @Test
    void reluDerivativeMatchesDifferenceAwayFromZero() {
        for (float z : new float[] {-5f, -0.5f, 0.5f, 5f}) {
            float up = Pointwise.RELU.apply(z + 0.125f), down = Pointwise.RELU.apply(z - 0.125f);
            assertEquals((up - down) / 0.25f, Pointwise.RELU.derivative(z, Pointwise.RELU.apply(z)));
        }
    }
}
