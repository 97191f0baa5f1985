package dev.vecmlp.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The flat kernels of the optimizers and the shard reduction ({@code sgdStep}, {@code momentumStep}
 * both ways, {@code adamStep}, {@code addFinite}, {@code allFinite}), on both kernel sets, against
 * the formulas of {@link Kernels} evaluated here in double precision: an independent reference,
 * so a mistake in the scalar kernels is caught as surely as one in the SIMD kernels.
 *
 * <p>Lengths straddle the vector length {@link SimdKernels#L}, so both the vector body and the
 * scalar tail run. Each operand sits at its own offset (2 to 7 floats, so that a byte offset
 * {@code 4 * off} is not {@code 4 / off}) with sentinel floats before and after it; a read or
 * write outside the {@code n} elements shows as a NaN result or a changed sentinel.
 *
 * <p>Tolerance: each output is a handful of float32 operations on O(1) values, so it is within
 * {@code 2^-20} (16 roundings) of the sum of the absolute values of the terms that make it; a
 * wrong sign, coefficient or operand moves it by a sizeable fraction of that sum. The constants
 * below are chosen so that every term matters (eps is not negligible next to √v, the weight
 * decay is not small next to the gradient).
 */
class OptimizerKernelsTest {
    private static final double TOL = 0x1p-20;
    /**
     * What every float outside an operand holds, by case: a NaN, so that a read past the operand
     * spoils a result (and allFinite answers false), or, as x86 passes a NaN's bits on through
     * arithmetic, a large finite value, so that a write past the operand changes it.
     */
    private static final int[] SENTINELS = {0x7fc0_0b1e, 0x4e5e_5e17};
    private static final int GUARD = 3;

    private static final float LR = 0.1f;
    private static final float WEIGHT_DECAY = 0.3f;
    private static final float MU = 0.7f;
    private static final float BETA1 = 0.8f;
    private static final float BETA2 = 0.9f;
    private static final float ROOT_CORRECTION2 = 1.5f;
    private static final float EPS = 0.25f;
    private static final float STEP_SIZE = 0.05f;

    static Stream<Arguments> cases() {
        int l = SimdShape.LANES;
        TreeSet<Integer> lengths = new TreeSet<>(List.of(1, 3, l - 1, l, l + 1, 2 * l, 2 * l + 5, 4 * l + 3));
        lengths.remove(0);
        List<Arguments> out = new ArrayList<>();
        for (Kernels k : List.of(new SimdKernels(), ScalarKernels.INSTANCE)) {
            for (int n : lengths) {
                out.add(Arguments.of(k, n, out.size()));
            }
        }
        return out.stream();
    }

    /** {@code n} floats at float offset {@code off} of an allocation with sentinels around them. */
    private record Operand(MemorySegment whole, long off, int n, int sentinel) {
        static Operand of(Arena arena, float[] v, long off, int ix) {
            int sentinel = SENTINELS[ix % 2];
            MemorySegment whole = arena.allocate((off + v.length + GUARD) * Float.BYTES, 64);
            for (long i = 0; i < whole.byteSize() / Float.BYTES; i++) {
                whole.setAtIndex(ValueLayout.JAVA_INT, i, sentinel);
            }
            MemorySegment.copy(v, 0, whole, ValueLayout.JAVA_FLOAT, off * Float.BYTES, v.length);
            return new Operand(whole, off, v.length, sentinel);
        }

        float[] read(String what) {
            for (long i = 0; i < whole.byteSize() / Float.BYTES; i++) {
                if ((i < off || i >= off + n) && whole.getAtIndex(ValueLayout.JAVA_INT, i) != sentinel) {
                    fail(what + ": float " + i + " outside the " + n + " elements at offset " + off + " was overwritten");
                }
            }
            float[] v = new float[n];
            MemorySegment.copy(whole, ValueLayout.JAVA_FLOAT, off * Float.BYTES, v, 0, n);
            return v;
        }
    }

    private static float[] uniform(SplittableRandom rnd, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextDouble(lo, hi);
        }
        return v;
    }

    private static void assertNear(String what, Kernels k, double[] expected, double[] absTerms, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            double bound = TOL * absTerms[i];
            if (!(Math.abs(actual[i] - expected[i]) <= bound)) {
                fail(k.name() + " " + what + "[" + i + "] of " + expected.length + ": expected " + expected[i]
                        + " within " + bound + ", found " + actual[i]);
            }
        }
    }

    @ParameterizedTest(name = "#{2}: n={1}")
    @MethodSource("cases")
    void sgdStep(Kernels k, int n, int ix) {
        SplittableRandom rnd = new SplittableRandom(ix);
        float[] w = uniform(rnd, n, -1, 1), g = uniform(rnd, n, -1, 1);
        double[] expected = new double[n], abs = new double[n];
        for (int i = 0; i < n; i++) {
            double d = g[i] + (double) WEIGHT_DECAY * w[i];
            expected[i] = w[i] - LR * d;
            abs[i] = Math.abs(w[i]) + LR * (Math.abs(g[i]) + WEIGHT_DECAY * Math.abs(w[i]));
        }
        try (Arena arena = Arena.ofConfined()) {
            Operand p = Operand.of(arena, w, 5, ix), gr = Operand.of(arena, g, 2, ix);
            k.sgdStep(n, LR, WEIGHT_DECAY, p.whole(), p.off(), gr.whole(), gr.off());
            assertNear("p", k, expected, abs, p.read("p"));
            assertNear("g (unchanged)", k, toDouble(g), new double[n], gr.read("g"));
        }
    }

    @ParameterizedTest(name = "#{2}: n={1}")
    @MethodSource("cases")
    void momentumStep(Kernels k, int n, int ix) {
        for (boolean nesterov : new boolean[] {false, true}) {
            SplittableRandom rnd = new SplittableRandom(ix * 2L + (nesterov ? 1 : 0));
            float[] w = uniform(rnd, n, -1, 1), g = uniform(rnd, n, -1, 1), v = uniform(rnd, n, -1, 1);
            double[] wExp = new double[n], wAbs = new double[n], vExp = new double[n], vAbs = new double[n];
            for (int i = 0; i < n; i++) {
                double d = g[i] + (double) WEIGHT_DECAY * w[i];
                double dAbs = Math.abs(g[i]) + WEIGHT_DECAY * Math.abs(w[i]);
                vExp[i] = MU * (double) v[i] + d;
                vAbs[i] = MU * Math.abs(v[i]) + dAbs;
                double step = nesterov ? d + MU * vExp[i] : vExp[i];
                double stepAbs = nesterov ? dAbs + MU * vAbs[i] : vAbs[i];
                wExp[i] = w[i] - LR * step;
                wAbs[i] = Math.abs(w[i]) + LR * stepAbs;
            }
            try (Arena arena = Arena.ofConfined()) {
                Operand p = Operand.of(arena, w, 5, ix), gr = Operand.of(arena, g, 6, ix), vel = Operand.of(arena, v, 4, ix);
                k.momentumStep(n, LR, MU, nesterov, WEIGHT_DECAY, p.whole(), p.off(), gr.whole(), gr.off(),
                        vel.whole(), vel.off());
                String how = nesterov ? " (nesterov)" : " (heavy ball)";
                assertNear("v" + how, k, vExp, vAbs, vel.read("v"));
                assertNear("p" + how, k, wExp, wAbs, p.read("p"));
            }
        }
    }

    @ParameterizedTest(name = "#{2}: n={1}")
    @MethodSource("cases")
    void adamStep(Kernels k, int n, int ix) {
        SplittableRandom rnd = new SplittableRandom(ix);
        float[] w = uniform(rnd, n, -1, 1), g = uniform(rnd, n, -1, 1);
        float[] m = uniform(rnd, n, -1, 1), v = uniform(rnd, n, 0, 1);
        double[] wExp = new double[n], wAbs = new double[n];
        double[] mExp = new double[n], mAbs = new double[n], vExp = new double[n], vAbs = new double[n];
        for (int i = 0; i < n; i++) {
            double d = g[i] + (double) WEIGHT_DECAY * w[i];
            double dAbs = Math.abs(g[i]) + WEIGHT_DECAY * Math.abs(w[i]);
            mExp[i] = BETA1 * (double) m[i] + (1 - (double) BETA1) * d;
            mAbs[i] = BETA1 * Math.abs(m[i]) + (1 - (double) BETA1) * dAbs;
            vExp[i] = BETA2 * (double) v[i] + (1 - (double) BETA2) * d * d;
            vAbs[i] = BETA2 * Math.abs(v[i]) + (1 - (double) BETA2) * dAbs * dAbs;
            double denom = Math.sqrt(vExp[i]) * ROOT_CORRECTION2 + EPS;
            wExp[i] = w[i] - STEP_SIZE * mExp[i] / denom;
            // The ratio carries the relative errors of m and of the denominator (eps >= 0.25 keeps
            // it away from 0), each a few roundings: its absolute terms are |m| / denom, scaled up.
            wAbs[i] = Math.abs(w[i]) + STEP_SIZE * 4 * mAbs[i] / denom;
        }
        try (Arena arena = Arena.ofConfined()) {
            Operand p = Operand.of(arena, w, 7, ix), gr = Operand.of(arena, g, 6, ix);
            Operand mo = Operand.of(arena, m, 3, ix), vo = Operand.of(arena, v, 2, ix);
            k.adamStep(n, STEP_SIZE, BETA1, BETA2, ROOT_CORRECTION2, EPS, WEIGHT_DECAY, p.whole(), p.off(),
                    gr.whole(), gr.off(), mo.whole(), mo.off(), vo.whole(), vo.off());
            assertNear("m", k, mExp, mAbs, mo.read("m"));
            assertNear("v", k, vExp, vAbs, vo.read("v"));
            assertNear("p", k, wExp, wAbs, p.read("p"));
        }
    }

    /**
     * Positions to plant a non-finite value at: the first and last element, the last one of the
     * vector body and the first of the tail (when there are both), so each of the two loops is
     * seen to report on its own.
     */
    private static TreeSet<Integer> positions(int n) {
        int full = n - n % SimdShape.LANES;
        TreeSet<Integer> at = new TreeSet<>(List.of(0, n - 1));
        if (full > 0) {
            at.add(full - 1);
        }
        if (full < n) {
            at.add(full);
        }
        return at;
    }

    @ParameterizedTest(name = "#{2}: n={1}")
    @MethodSource("cases")
    void addFinite(Kernels k, int n, int ix) {
        SplittableRandom rnd = new SplittableRandom(ix);
        float[] x = uniform(rnd, n, -1, 1), y = uniform(rnd, n, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Operand xo = Operand.of(arena, x, 2, ix), yo = Operand.of(arena, y, 5, ix);
            assertTrue(k.addFinite(n, xo.whole(), xo.off(), yo.whole(), yo.off()), k.name() + ": finite sums");
            float[] sum = yo.read("y");
            for (int i = 0; i < n; i++) {
                // One float addition on both kernel sets: exact agreement.
                assertEquals(y[i] + x[i], sum[i], k.name() + " y[" + i + "]");
            }
        }
        // A non-finite sum anywhere, from a NaN or an infinity in either operand or from an
        // overflow of two finite values, makes the result false; every sum is still stored.
        float[][] bad = {{Float.NaN, 1f}, {1f, Float.POSITIVE_INFINITY}, {Float.NEGATIVE_INFINITY, 0f},
                {Float.MAX_VALUE, Float.MAX_VALUE}};
        for (int at : positions(n)) {
            for (float[] pair : bad) {
                float[] xb = x.clone(), yb = y.clone();
                xb[at] = pair[0];
                yb[at] = pair[1];
                try (Arena arena = Arena.ofConfined()) {
                    Operand xo = Operand.of(arena, xb, 2, ix), yo = Operand.of(arena, yb, 5, ix);
                    assertFalse(k.addFinite(n, xo.whole(), xo.off(), yo.whole(), yo.off()),
                            k.name() + ": " + pair[0] + " + " + pair[1] + " at " + at + " of " + n);
                    float[] sum = yo.read("y");
                    for (int i = 0; i < n; i++) {
                        assertEquals(yb[i] + xb[i], sum[i], k.name() + " y[" + i + "], bad value at " + at);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "#{2}: n={1}")
    @MethodSource("cases")
    void allFinite(Kernels k, int n, int ix) {
        float[] x = uniform(new SplittableRandom(ix), n, -Float.MAX_VALUE, Float.MAX_VALUE);
        try (Arena arena = Arena.ofConfined()) {
            Operand xo = Operand.of(arena, x, 3, ix);
            assertTrue(k.allFinite(n, xo.whole(), xo.off()), k.name() + ": finite values up to ±MAX_VALUE");
            // In every other case the sentinels are NaN: reading one would have answered false.
            xo.read("x");
        }
        for (int at : positions(n)) {
            for (float v : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float[] xb = x.clone();
                xb[at] = v;
                try (Arena arena = Arena.ofConfined()) {
                    Operand xo = Operand.of(arena, xb, 3, ix);
                    assertFalse(k.allFinite(n, xo.whole(), xo.off()), k.name() + ": " + v + " at " + at + " of " + n);
                }
            }
        }
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
