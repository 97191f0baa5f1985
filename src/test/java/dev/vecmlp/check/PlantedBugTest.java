package dev.vecmlp.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.vecmlp.check.PlantedBugKernels.Bug;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;

/**
 * The checks are not vacuous: each bug planted in the SIMD kernels ({@link PlantedBugKernels}) is
 * caught by verdict 2, in the tensor it corrupts and only there, with the ratio engine/reference
 * that the bug implies; the same networks on the unbugged kernels pass.
 */
class PlantedBugTest {
    private static final Kernels SIMD = KernelProvider.simd();
    private static final int LANES = Integer.parseInt(SIMD.name().substring("simd-".length())) / Float.SIZE;

    private static GradientReport run(Mlp spec, Bug bug, int scaledRows, int scaledColumns) {
        Kernels k = bug == null ? SIMD : new PlantedBugKernels(SIMD, bug, LANES, scaledRows, scaledColumns);
        try (Model model = spec.init(11L, k)) {
            return GradientCheck.check(model, Batch.random(spec, 6, 5L));
        }
    }

    private static GradientReport run(Mlp spec, Bug bug) {
        return run(spec, bug, 0, 0);
    }

    /** Runs {@code spec} clean (must pass) and with {@code bug} (verdict 2 must fail exactly in {@code failing}). */
    private static GradientReport caught(Mlp spec, Bug bug, List<String> failing) {
        return caught(spec, bug, failing, 0, 0);
    }

    private static GradientReport caught(Mlp spec, Bug bug, List<String> failing, int rows, int cols) {
        GradientReport clean = run(spec, null, 0, 0);
        assertTrue(clean.passed(), "the unbugged engine fails:\n" + clean);
        GradientReport report = run(spec, bug, rows, cols);
        assertTrue(report.referencePassed(), "the reference does not use the kernels:\n" + report);
        assertFalse(report.passed(), bug + " not caught:\n" + report);
        for (TensorReport r : report.engine()) {
            assertEquals(failing.contains(r.name()), !r.passed(), bug + ": tensor " + r.name() + "\n" + report);
        }
        return report;
    }

    private static TensorReport engine(GradientReport r, String name) {
        return r.engine(name).orElseThrow();
    }

    @Test
    void tanhDerivativeWithoutTheSquare() {
        Mlp spec = Mlp.input(5).dense(6, Activation.TANH).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        GradientReport r = caught(spec, Bug.TANH_DERIVATIVE_UNSQUARED, List.of("W0", "b0"));
        // 1 − h is off from 1 − h² by h(1 − h), so the ratios leave 1 by far more than rounding.
        assertTrue(Math.abs(engine(r, "W0").medianRatio() - 1) > 1e-2, r::toString);
    }

    @Test
    void logisticDerivativeOffByAFactor() {
        Mlp spec = Mlp.input(5).dense(7, Activation.LOGISTIC).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        GradientReport r = caught(spec, Bug.LOGISTIC_DERIVATIVE_SCALED, List.of("W0", "b0"));
        assertEquals(PlantedBugKernels.LOGISTIC_FACTOR, engine(r, "W0").ratio(), 1e-5, r::toString);
        assertEquals(PlantedBugKernels.LOGISTIC_FACTOR, engine(r, "b0").medianRatio(), 1e-5, r::toString);
    }

    @Test
    void transposedWeightGradient() {
        Mlp spec = Mlp.input(5).dense(6, Activation.TANH).dense(6, Activation.TANH).dense(3, Activation.LINEAR)
                .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        GradientReport r = caught(spec, Bug.TRANSPOSED_WEIGHT_GRADIENT, List.of("W1"));
        TensorReport w1 = engine(r, "W1");
        assertTrue(Math.abs(w1.ratio() - 1) > 0.05, r::toString);
        assertTrue(w1.worstRow() != w1.worstColumn(), "the diagonal of a transpose is right: " + r);
    }

    @Test
    void missingBiasGradient() {
        Mlp spec = Mlp.input(4).dense(5, Activation.SOFTPLUS).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        GradientReport r = caught(spec, Bug.MISSING_BIAS_GRADIENT, List.of("b0", "b1"));
        assertEquals(0.0, engine(r, "b0").ratio(), r::toString);
        assertEquals(0.0, engine(r, "b1").ratio(), r::toString);
    }

    @Test
    void offByOneInTheTailOfAVector() {
        // 7 and 9 inputs leave a tail at 4, 8 and 16 lanes; the wrong column is the last one.
        Mlp spec = Mlp.input(7).dense(9, Activation.TANH).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        GradientReport r = caught(spec, Bug.TAIL_OFF_BY_ONE, List.of("W0", "W1"));
        assertEquals(6, engine(r, "W0").worstColumn(), r::toString);
        assertEquals(8, engine(r, "W1").worstColumn(), r::toString);
    }

    @Test
    void oneTensorScaledByOnePlusTenToTheMinusFour() {
        Mlp spec = Mlp.input(5).dense(6, Activation.TANH).dense(4, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        GradientReport r = caught(spec, Bug.ONE_TENSOR_SCALED, List.of("W1"), 4, 6);
        TensorReport w1 = engine(r, "W1");
        assertEquals(PlantedBugKernels.SCALE, w1.ratio(), 2e-6, r::toString);
        assertTrue(w1.failing() > 0, "a shallow net's worst-case bound sees it coordinate by coordinate: " + r);
        assertFalse(w1.ratioPassed(), r::toString);
    }

    /**
     * In the first layer of a 4-layer, 33-wide net the worst-case bound is far too loose to see
     * 1e-4 coordinate by coordinate; the ratio's simulated-rounding bound sees it.
     */
    @Test
    void oneTensorScaledDeepInANetwork() {
        Mlp spec = Mlp.input(17).dense(33, Activation.TANH).dense(33, Activation.TANH).dense(33, Activation.TANH)
                .dense(5, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        GradientReport r = caught(spec, Bug.ONE_TENSOR_SCALED, List.of("W0"), 33, 17);
        TensorReport w0 = engine(r, "W0");
        assertEquals(PlantedBugKernels.SCALE, w0.ratio(), 2e-6, r::toString);
        assertFalse(w0.ratioPassed(), r::toString);
        assertTrue(w0.ratioBound() < 2e-5, r::toString);
    }

    @Test
    void droppedL2Term() {
        Mlp spec = Mlp.input(5).dense(6, Activation.RELU).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY)
                .l2(0.05).build();
        caught(spec, Bug.L2_DROPPED, List.of("W0", "W1"));
    }
}
