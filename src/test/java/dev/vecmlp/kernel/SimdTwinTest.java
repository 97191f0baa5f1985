package dev.vecmlp.kernel;

import static dev.vecmlp.kernel.SimdKernelsTest.assertSameBits;
import static dev.vecmlp.kernel.SimdKernelsTest.values;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.kernel.SimdKernelsTest.Shape;

/**
 * {@link SimdTwin} against {@link SimdKernels}, bit for bit: a predictor switches from the one to
 * the other between two calls, and a caller must not see it. The build runs this class at 512,
 * 256 and 128 bits. Shapes are {@link SimdKernelsTest}'s (every edge of the tiles, the dot, the
 * swapped and the packed products, network A at batch 1, 32 and 256); Z and H are compared, and
 * the memory around them must be untouched.
 */
class SimdTwinTest {
    private static final Kernels SIMD = new SimdKernels();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.vecmlp.kernel.SimdKernelsTest#ntShapes")
    void matmulNTHasTheKernelsBits(Shape s) {
        // Activation and bias rotate with the case; scratch on every other case, so that products
        // of 16 rows and more take the swapped or packed product on one and the dot tiles on the other.
        check(s, Pointwise.of(s.index() % 6), (s.index() / 6) % 2 == 0, s.index() % 2 == 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.vecmlp.kernel.SimdKernelsTest#networkForward")
    void networkAHasTheKernelsBits(Shape s, Pointwise f) {
        check(s, f, true, true);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Pointwise.class)
    void everyActivationWithAndWithoutBias(Pointwise f) {
        check(new Shape(7, 66, 47, 0), f, true, false);
        check(new Shape(20, 70, 47, 1), f, false, true);
        check(new Shape(130, 70, 33, 2), f, true, true);
    }

    /**
     * Each activation of the twin against the kernels' over the float line: values spread over
     * every exponent, both signs, and the edges of its pieces (0, -0, the clamp at -104 and
     * around it, the largest and smallest floats, infinities, NaN).
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Pointwise.class)
    void activationsHaveTheKernelsBitsOverTheFloatLine(Pointwise f) {
        List<Float> v = new ArrayList<>(List.of(0f, -0f, 1f, -1f, 52f, -52f, 104f, -104f, 103.9f, -104.1f, 51.9f, -52.1f,
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN));
        SplittableRandom rnd = new SplittableRandom(f.ordinal());
        for (int i = 0; i < 20_000; i++) {
            v.add(Float.intBitsToFloat(rnd.nextInt()));
            v.add((float) rnd.nextDouble(-120, 120));
        }
        int n = v.size();
        float[] z = new float[n];
        for (int i = 0; i < n; i++) {
            z[i] = v.get(i);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment zs = arena.allocateFrom(ValueLayout.JAVA_FLOAT, z);
            MemorySegment hs = arena.allocate(4L * n, 64);
            SIMD.activate(f, 1, n, zs, 0, n, hs, 0, n);
            float[] twin = new float[n];
            for (int i = 0; i < n; i++) {
                twin[i] = SimdTwin.activate(f, z[i]);
            }
            assertSameBits(f + " of " + n + " values", "twin", twin, "kernels", hs.toArray(ValueLayout.JAVA_FLOAT), n);
        }
    }

    @Test
    void allFiniteAgreesWithTheKernels() {
        ForwardKernels twin = SIMD.forwardTwin();
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {0, 1, 15, 16, 17, 100}) {
                MemorySegment x = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values(new SplittableRandom(n), n + 2, false));
                assertEquals(SIMD.allFinite(n, x, 1), twin.allFinite(n, x, 1), "finite, n=" + n);
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    for (int at = 0; at < n; at += Math.max(1, n / 3)) {
                        float keep = x.getAtIndex(ValueLayout.JAVA_FLOAT, 1 + at);
                        x.setAtIndex(ValueLayout.JAVA_FLOAT, 1 + at, bad);
                        assertEquals(SIMD.allFinite(n, x, 1), twin.allFinite(n, x, 1), bad + " at " + at + ", n=" + n);
                        x.setAtIndex(ValueLayout.JAVA_FLOAT, 1 + at, keep);
                    }
                }
            }
        }
    }

    private static void check(Shape s, Pointwise f, boolean withBias, boolean withScratch) {
        try (Arena arena = Arena.ofConfined()) {
            SimdKernelsTest.NtCase c = SimdKernelsTest.NtCase.of(arena, s, withBias, withScratch);
            Region[] kernels = c.run(SIMD, f), twin = c.run(SIMD.forwardTwin(), f);
            String what = s + " " + f + (withBias ? " with bias" : "") + (withScratch ? ", scratch" : "");
            assertSameBits("Z, " + what, "twin", twin[0].read(), "kernels", kernels[0].read(), s.n());
            assertSameBits("H, " + what, "twin", twin[1].read(), "kernels", kernels[1].read(), s.n());
        }
    }
}
