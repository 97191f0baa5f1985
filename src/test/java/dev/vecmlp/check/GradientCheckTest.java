package dev.vecmlp.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;

/** Verdict 1 (finite differences), the kinks it skips, the report and its errors. */
class GradientCheckTest {
    private static final Mlp TANH_NET = Mlp.input(3).dense(4, Activation.TANH).dense(4, Activation.LOGISTIC)
            .dense(2, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(0.01).build();

    private static ReferenceNetwork randomNet(Mlp spec, long seed) {
        try (Model m = spec.init(seed, KernelProvider.scalar())) {
            return ReferenceNetwork.of(m);
        }
    }

    @Test
    void referencePassesFiniteDifferences() {
        ReferenceNetwork net = randomNet(TANH_NET, 3L);
        GradientReport r = GradientCheck.checkReference(net, Batch.random(TANH_NET, 5, 4L), GradientCheck.Options.ALL);
        assertTrue(r.passed(), r::format);
        assertEquals(6, r.finiteDifferences().size());
        assertEquals(TANH_NET.parameterCount(), r.checked());
        assertTrue(r.engine().isEmpty());
        for (TensorReport t : r.finiteDifferences()) {
            assertEquals(1.0, t.ratio(), 1e-6, t.name());
        }
    }

    /** Verdict 1 is not vacuous: a wrong gradient is caught, and the ratio says how it is wrong. */
    @Test
    void wrongGradientsAreCaughtWithTheirRatio() {
        ReferenceNetwork net = randomNet(TANH_NET, 3L);
        Batch b = Batch.random(TANH_NET, 5, 4L);
        double[] good = net.gradient(b).parameters();

        double[] sign = good.clone();
        flip(net, sign, 3, -1.0);                        // b1 with the wrong sign
        GradientReport r = GradientCheck.checkGradient(net, b, sign, GradientCheck.Options.ALL);
        assertFalse(r.passed());
        assertEquals(-1.0, r.finiteDifferences("b1").orElseThrow().ratio(), 1e-6, r::format);
        assertTrue(r.finiteDifferences("W1").orElseThrow().passed(), r::format);

        double[] scaled = good.clone();
        flip(net, scaled, 0, 1 + 1e-4);                  // W0 scaled by 1 + 1e-4: 10 x the relative tolerance
        r = GradientCheck.checkGradient(net, b, scaled, GradientCheck.Options.ALL);
        TensorReport w0 = r.finiteDifferences("W0").orElseThrow();
        assertFalse(w0.passed(), r::format);
        assertEquals(1 / (1 + 1e-4), w0.ratio(), 1e-8, r::format);

        double[] transposed = good.clone();              // W1 is 4 x 4
        int o = net.tensorOffset(2);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                transposed[o + i * 4 + j] = good[o + j * 4 + i];
            }
        }
        r = GradientCheck.checkGradient(net, b, transposed, GradientCheck.Options.ALL);
        assertFalse(r.finiteDifferences("W1").orElseThrow().passed(), r::format);
        assertTrue(r.finiteDifferences("b1").orElseThrow().passed(), r::format);
    }

    private static void flip(ReferenceNetwork net, double[] g, int tensor, double factor) {
        for (int i = 0; i < net.tensorSize(tensor); i++) {
            g[net.tensorOffset(tensor) + i] *= factor;
        }
    }

    /**
     * 1-1-1 ReLU net with the hidden unit exactly at its kink (z = 0.5·1 − 0.5 = 0): moving W0 or
     * b0 moves z off 0, so those two are skipped and counted; W1 and b1 leave z alone and are
     * checked. Without the skip the central difference would report half the slope.
     */
    @Test
    void unitsAtAKinkAreSkippedAndCounted() {
        Mlp spec = Mlp.input(1).dense(1, Activation.RELU).dense(1, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        ReferenceNetwork net = ReferenceNetwork.of(spec, new double[] {0.5, -0.5, 2.0, 0.25});
        Batch b = new Batch(1, new float[] {1}, new float[] {1});
        GradientReport r = GradientCheck.checkReference(net, b, GradientCheck.Options.ALL);
        assertEquals(2, r.skipped());
        assertEquals(0.5, r.skippedFraction());
        assertEquals(1, r.finiteDifferences("W0").orElseThrow().skipped());
        assertEquals(0, r.finiteDifferences("W0").orElseThrow().checked());
        assertEquals(1, r.finiteDifferences("W1").orElseThrow().checked());
        assertTrue(r.passed(), r::format);
        assertTrue(r.format().contains("at all 2 coordinates checked (2 skipped at kinks)"), r::format);

        // What the skip protects against: across the kink the difference is half of one side's slope.
        double analytic = net.gradient(b).parameters()[1];
        double numeric = FiniteDifferences.central(v -> ReferenceNetwork.of(spec, new double[] {0.5, v, 2.0, 0.25}).loss(b), -0.5);
        assertEquals(0.0, analytic);
        assertEquals(0.5 * 2.0 * (0.25 - 1), numeric, 1e-4);
    }

    /** A hard-threshold unit within a step of 0: the loss jumps, so the coordinate is skipped. */
    @Test
    void thresholdUnitsNearTheJumpAreSkipped() {
        Mlp spec = Mlp.input(1).dense(1, Activation.HARD_THRESHOLD).dense(1, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build();
        ReferenceNetwork net = ReferenceNetwork.of(spec, new double[] {1.0, -1.0 + 1e-7, 2.0, 0.0});
        Batch b = new Batch(1, new float[] {1}, new float[] {0});
        GradientReport r = GradientCheck.checkReference(net, b, GradientCheck.Options.ALL);
        assertEquals(2, r.skipped(), r::format);
        assertTrue(r.passed(), r::format);
    }

    @Test
    void samplingAndTensorSelection() {
        Mlp spec = Mlp.input(20).dense(30, Activation.TANH).dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
        ReferenceNetwork net = randomNet(spec, 1L);
        GradientCheck.Options o = GradientCheck.Options.ALL.withMaxCoordinatesPerTensor(25).withTensors("W0", "b1");
        GradientReport r = GradientCheck.checkReference(net, Batch.random(spec, 3, 2L), o);
        assertEquals(2, r.finiteDifferences().size());
        assertEquals(25, r.finiteDifferences("W0").orElseThrow().checked());
        assertEquals(3, r.finiteDifferences("b1").orElseThrow().checked());
        int[] s = GradientCheck.sample(600, 25, 7L);
        assertEquals(25, java.util.Arrays.stream(s).distinct().count());
        assertNotEquals(java.util.Arrays.toString(s), java.util.Arrays.toString(GradientCheck.sample(600, 25, 8L)));
    }

    @Test
    void reportTableNamesTensorsAndVerdicts() {
        ReferenceNetwork net = randomNet(TANH_NET, 3L);
        Batch b = Batch.random(TANH_NET, 5, 4L);
        float[] engine = new float[net.parameterCount()];
        double[] g = net.gradient(b).parameters();
        for (int i = 0; i < g.length; i++) {
            engine[i] = (float) g[i];
        }
        int o = net.tensorOffset(4);
        for (int i = 0; i < net.tensorSize(4); i++) {
            engine[o + i] = -engine[o + i];                  // W2 with the wrong sign
        }
        GradientReport r = GradientCheck.check(net, b, engine, "test-engine", GradientCheck.Options.ALL);
        String text = r.format();
        assertTrue(r.referencePassed());
        assertFalse(r.enginePassed());
        assertTrue(text.startsWith("gradient check of 3-4 tanh-4 logistic-2 linear"), text);
        assertTrue(text.contains("(2) the engine's float32 gradient e (test-engine)"), text);
        String w2 = text.lines().filter(l -> l.startsWith("  W2 ") && l.contains("-1.000000")).findFirst().orElse(null);
        assertTrue(w2 != null, text);
        assertTrue(text.contains("verdict 1: PASS") && text.contains("verdict 2: FAIL") && text.endsWith("FAIL\n"), text);
        assertEquals(text, r.toString());
        assertEquals(-1.0, r.engine("W2").orElseThrow().ratio(), 1e-6);
        assertTrue(r.engine("W1").orElseThrow().passed(), "float32 rounding of the reference is within the bound: " + text);
    }

    @Test
    void badOptionsAndShapesAreNamed() {
        ReferenceNetwork net = randomNet(TANH_NET, 3L);
        Batch b = Batch.random(TANH_NET, 2, 4L);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradientCheck.checkReference(net, b, GradientCheck.Options.ALL.withTensors("W8")));
        assertTrue(e.getMessage().contains("expected one of W0, b0, W1, b1, W2, b2") && e.getMessage().contains("'W8'"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GradientCheck.Options.ALL.withMaxCoordinatesPerTensor(0));
        assertTrue(e.getMessage().contains("at least 1, found 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> GradientCheck.check(net, b, new float[3], "x", GradientCheck.Options.ALL));
        assertTrue(e.getMessage().contains("engine gradient: expected " + net.parameterCount()), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> GradientCheck.checkReference(net, Batch.random(Mlp.input(2).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build(), 1, 1L),
                        GradientCheck.Options.ALL));
        assertTrue(e.getMessage().contains("batch inputs: expected 1 x 3"), e.getMessage());
    }
}
