package dev.vecmlp.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;

/**
 * Each optimizer against steps worked by hand (the numbers in the comments), on both kernel
 * sets, over 37 parameters so the SIMD kernels' tails are covered too.
 */
class OptimizerTest {
    private static final int N = 37;

    static List<Kernels> kernels() {
        return List.of(KernelProvider.scalar(), KernelProvider.simd());
    }

    /** Parameters p, gradients g and two state slabs, every element set to the same value. */
    private record Slabs(MemorySegment p, MemorySegment g, MemorySegment s0, MemorySegment s1) {
        float p(int i) {
            return p.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        }

        void setG(float v) {
            for (int i = 0; i < N; i++) {
                g.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
            }
        }
    }

    private static Slabs slabs(Arena arena, float p, float g) {
        MemorySegment ps = arena.allocate(4L * N, 64), gs = arena.allocate(4L * N, 64);
        for (int i = 0; i < N; i++) {
            ps.setAtIndex(ValueLayout.JAVA_FLOAT, i, p);
            gs.setAtIndex(ValueLayout.JAVA_FLOAT, i, g);
        }
        return new Slabs(ps, gs, arena.allocate(4L * N, 64), arena.allocate(4L * N, 64));
    }

    private static void step(Optimizer o, Kernels k, Slabs s, float lr, long t) {
        o.apply(k, lr, t, 0, N, s.p, s.g, s.s0, s.s1);
    }

    private static void assertAll(Slabs s, double expected, String what) {
        for (int i = 0; i < N; i++) {
            assertEquals(expected, s.p(i), 1e-6 * Math.max(1, Math.abs(expected)), what + " at element " + i);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void plainSgd(Kernels k) {
        try (Arena a = Arena.ofConfined()) {
            Slabs s = slabs(a, 1.0f, 0.5f);
            Optimizer o = Optimizer.sgd(0.1);
            step(o, k, s, 0.1f, 1);
            assertAll(s, 0.95, "1 - 0.1 * 0.5");
            step(o, k, s, 0.1f, 2);
            assertAll(s, 0.90, "0.95 - 0.1 * 0.5");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void weightDecayIsAddedToTheGradient(Kernels k) {
        try (Arena a = Arena.ofConfined()) {
            Slabs s = slabs(a, 2.0f, 0.5f);
            step(Optimizer.sgd(0.1).weightDecay(0.25), k, s, 0.1f, 1);
            assertAll(s, 2.0 - 0.1 * (0.5 + 0.25 * 2.0), "2 - 0.1 * (0.5 + 0.25 * 2) = 1.9");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void heavyBallMomentum(Kernels k) {
        try (Arena a = Arena.ofConfined()) {
            Slabs s = slabs(a, 1.0f, 0.5f);
            Optimizer o = Optimizer.sgd(0.1).momentum(0.9);
            step(o, k, s, 0.1f, 1);
            assertAll(s, 0.95, "v = 0.5, p = 1 - 0.05");
            s.setG(0.25f);
            step(o, k, s, 0.1f, 2);
            assertAll(s, 0.95 - 0.1 * (0.9 * 0.5 + 0.25), "v = 0.9*0.5 + 0.25 = 0.7, p = 0.95 - 0.07 = 0.88");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void nesterovMomentum(Kernels k) {
        try (Arena a = Arena.ofConfined()) {
            Slabs s = slabs(a, 1.0f, 0.5f);
            Optimizer o = Optimizer.sgd(0.1).momentum(0.9).nesterov();
            step(o, k, s, 0.1f, 1);
            // v = 0.5; step = g + mu*v = 0.5 + 0.45 = 0.95; p = 1 - 0.095
            assertAll(s, 0.905, "nesterov step 1");
            s.setG(0.25f);
            step(o, k, s, 0.1f, 2);
            // v = 0.45 + 0.25 = 0.7; step = 0.25 + 0.63 = 0.88; p = 0.905 - 0.088 = 0.817
            assertAll(s, 0.817, "nesterov step 2");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void adam(Kernels k) {
        try (Arena a = Arena.ofConfined()) {
            Slabs s = slabs(a, 1.0f, 0.5f);
            Optimizer o = Optimizer.adam(0.01);
            step(o, k, s, 0.01f, 1);
            // t=1: m = 0.05, v = 0.00025; m^ = 0.5, v^ = 0.25; p = 1 - 0.01 * 0.5 / (0.5 + 1e-8) = 0.99
            assertAll(s, 0.99, "adam step 1 moves by lr whatever the gradient's scale");
            s.setG(-0.5f);
            step(o, k, s, 0.01f, 2);
            // t=2: m = 0.045 - 0.05 = -0.005, v = 0.00024975 + 0.00025 = 0.00049975;
            // m^ = -0.005/0.19 = -0.0263158, v^ = 0.00049975/0.001999 = 0.25000; p = 0.99 + 0.01*0.0263158/0.5
            double expected = 0.99 + 0.01 * (0.005 / 0.19) / Math.sqrt(0.00049975 / (1 - 0.999 * 0.999));
            assertAll(s, expected, "adam step 2");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void paddingStaysZero(Kernels k) {
        // Padding in the parameter slab has zero parameters and zero gradients; no rule may move it.
        try (Arena a = Arena.ofConfined()) {
            for (Optimizer o : List.of(Optimizer.sgd(0.1).weightDecay(0.1), Optimizer.sgd(0.1).momentum(0.9).nesterov(),
                    Optimizer.adam(0.1).weightDecay(0.1))) {
                Slabs s = slabs(a, 0f, 0f);
                for (int t = 1; t <= 3; t++) {
                    step(o, k, s, 0.1f, t);
                }
                assertAll(s, 0.0, o.toString());
            }
        }
    }

    @Test
    void simdAndScalarAgreeOnRandomSlabs() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        try (Arena a = Arena.ofConfined()) {
            for (Optimizer o : List.of(Optimizer.sgd(0.03).weightDecay(1e-3), Optimizer.sgd(0.03).momentum(0.9),
                    Optimizer.sgd(0.03).momentum(0.5).nesterov(), Optimizer.adam(0.003).weightDecay(1e-2))) {
                Slabs x = slabs(a, 0, 0), y = slabs(a, 0, 0);
                for (int t = 1; t <= 5; t++) {
                    for (int i = 0; i < N; i++) {
                        float p = (float) rng.nextGaussian(), g = (float) rng.nextGaussian();
                        if (t == 1) {
                            x.p.setAtIndex(ValueLayout.JAVA_FLOAT, i, p);
                            y.p.setAtIndex(ValueLayout.JAVA_FLOAT, i, p);
                        }
                        x.g.setAtIndex(ValueLayout.JAVA_FLOAT, i, g);
                        y.g.setAtIndex(ValueLayout.JAVA_FLOAT, i, g);
                    }
                    step(o, KernelProvider.scalar(), x, o.learningRate(), t);
                    step(o, KernelProvider.simd(), y, o.learningRate(), t);
                }
                for (int i = 0; i < N; i++) {
                    assertEquals(x.p(i), y.p(i), 1e-5f * Math.max(1, Math.abs(x.p(i))), o + " element " + i);
                }
            }
        }
    }

    @Test
    void settingsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(0));
        assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(1e-60), "underflows to 0 as a float");
        assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(0.1).momentum(1.0));
        assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(0.1).momentum(-0.1));
        assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(0.1).nesterov());
        assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(0.1).weightDecay(-1));
        assertThrows(IllegalArgumentException.class, () -> Optimizer.adam(0.1).momentum(0.9));
        assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(0.1).betas(0.9, 0.99));
        assertThrows(IllegalArgumentException.class, () -> Optimizer.adam(0.1).epsilon(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Optimizer.adam(0.1).betas(0.9, 1.5));
        assertTrue(e.getMessage().contains("beta2") && e.getMessage().contains("1.5"), e.getMessage());
        assertEquals(0, Optimizer.sgd(0.1).stateSlabs());
        assertEquals(1, Optimizer.sgd(0.1).momentum(0.9).stateSlabs());
        assertEquals(2, Optimizer.adam(0.1).stateSlabs());
    }
}
