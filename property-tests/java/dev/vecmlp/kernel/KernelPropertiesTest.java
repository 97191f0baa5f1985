package dev.vecmlp.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.vecmlp.property.Coverage;
import dev.vecmlp.property.Gen;
import dev.vecmlp.property.Property;

/**
 * Property 3: every kernel of {@link SimdKernels} equals its scalar twin on generated shapes, at
 * whatever vector width this JVM runs ({@code -Dvecmlp.vectorBits}). The comparisons are the ones
 * of {@link SimdKernelsTest} (its NaN-sentinel {@link Region}s, {@link Tolerance}'s rounding
 * bounds), called with shapes drawn here instead of its fixed lists: each dimension 1 to 33 with
 * the lane edges half the time, one case in eight up to 130 (past the 64-float panels and
 * 4-row tiles), and an index that picks the values, leading dimensions and offsets. The kernels
 * {@code SimdKernelsTest} does not cover (addFinite, allFinite and the three optimizer steps)
 * are checked here with bounds of their own.
 *
 * <p>A failure shrinks the shape (each dimension to a smaller size, smallest first:
 * {@link Gen#smallerFirst}), then the variant and the index to 0, and prints the case as a
 * {@link KernelCase} constructor.
 */
class KernelPropertiesTest {
    private static final Kernels SIMD = new SimdKernels();
    private static final Kernels REF = ScalarKernels.INSTANCE;
    private static final int TRIES = 100;

    /** The kernels, one per method of {@link Kernels} that computes something. */
    enum Op {
        MATMUL_NT, MATMUL_NN, MATMUL_TN, OUTER, ACTIVATE, MULTIPLY_DERIVATIVE, SOFTMAX_CROSS_ENTROPY, SQUARED_ERROR,
        COLUMN_SUMS, AXPY, SCALE, SUM_OF_SQUARES, ADD_FINITE, ALL_FINITE, SGD_STEP, MOMENTUM_STEP, ADAM_STEP
    }

    /**
     * One kernel call: the kernel, its dimensions ({@code m x n} with inner {@code k} for the
     * products; rows {@code m} by columns {@code n} for the elementwise kernels; length
     * {@code m·n} for the vector ones), the activation where there is one, a variant (bias,
     * scratch, λ, Nesterov, target kind, large logits: each kernel reads the bits it needs) and
     * the index that seeds values and layouts.
     */
    record KernelCase(Op op, int m, int n, int k, Pointwise f, int variant, int index) {
        String toJava() {
            return "new KernelPropertiesTest.KernelCase(KernelPropertiesTest.Op." + op + ", " + m + ", " + n + ", " + k
                    + ", " + (f == null ? "null" : "Pointwise." + f) + ", " + variant + ", " + index + ")";
        }

        @Override
        public String toString() {
            return op + " m=" + m + " n=" + n + " k=" + k + (f == null ? "" : " " + f) + " variant " + variant
                    + " index " + index;
        }
    }

    static Gen<KernelCase> cases(Op op) {
        Gen<Integer> edge = Gen.laneWidth(1, 33);
        Gen<Integer> dim = r -> r.nextInt(8) == 0 ? r.nextInt(34, 131) : edge.next(r);
        return r -> {
            boolean vector = op.ordinal() >= Op.AXPY.ordinal();
            int m = vector && r.nextBoolean() ? 1 : dim.next(r);
            Pointwise f = switch (op) {
                case MATMUL_NN -> SimdKernelsTest.NN_DERIVATIVES[r.nextInt(SimdKernelsTest.NN_DERIVATIVES.length)];
                case MATMUL_NT, ACTIVATE, MULTIPLY_DERIVATIVE -> Pointwise.of(r.nextInt(Pointwise.values().length));
                default -> null;
            };
            return new KernelCase(op, m, dim.next(r), dim.next(r), f, r.nextInt(8), r.nextInt(1 << 20));
        };
    }

    /** Smaller dimensions first (each smallest first), then variant 0, LINEAR (or no derivative) and index 0. */
    static List<KernelCase> shrinks(KernelCase c) {
        List<KernelCase> out = new ArrayList<>();
        int[] d = {c.m(), c.n(), c.k()};
        for (int i = 0; i < 3; i++) {
            for (int smaller : Gen.smallerFirst(d[i], 1)) {
                int[] e = d.clone();
                e[i] = smaller;
                out.add(new KernelCase(c.op(), e[0], e[1], e[2], c.f(), c.variant(), c.index()));
            }
        }
        if (c.variant() != 0) {
            out.add(new KernelCase(c.op(), c.m(), c.n(), c.k(), c.f(), 0, c.index()));
        }
        if (c.f() != null && c.f() != Pointwise.LINEAR) {
            out.add(new KernelCase(c.op(), c.m(), c.n(), c.k(), Pointwise.LINEAR, c.variant(), c.index()));
        }
        if (c.index() != 0) {
            out.add(new KernelCase(c.op(), c.m(), c.n(), c.k(), c.f(), c.variant(), 0));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Op.class)
    void simdKernelEqualsItsScalarTwin(Op op) {
        Property.forAll(SIMD.name() + " " + op + " = scalar", cases(op), KernelPropertiesTest::check)
                .shrinkWith(KernelPropertiesTest::shrinks).printWith(KernelCase::toJava)
                .reproduceWith("KernelPropertiesTest.check(c, Coverage.ignored());").tries(TRIES).check();
    }

    /** The form a failure report prints, pasted: it compiles, and this case passes. */
    @Test
    void aPrintedCaseRunsAsPasted() {
        var c = new KernelPropertiesTest.KernelCase(KernelPropertiesTest.Op.MATMUL_NT, 17, 33, 16, Pointwise.TANH, 3, 12345);
        assertEquals("new KernelPropertiesTest.KernelCase(KernelPropertiesTest.Op.MATMUL_NT, 17, 33, 16, Pointwise.TANH, 3,"
                + " 12345)", c.toJava());
        KernelPropertiesTest.check(c, Coverage.ignored());
        for (KernelCase s : shrinks(c)) {
            assertTrue(s.m() * s.n() * s.k() < c.m() * c.n() * c.k() || s.variant() < c.variant()
                    || s.f() == Pointwise.LINEAR || s.index() == 0, () -> s + " is not simpler than " + c);
        }
    }

    /**
     * A failure at odd row counts only, from 11 rows, shrinks to 1 row. Shrinking that halved
     * first stopped at 5: its half and one less (2, 4) pass.
     */
    @Test
    void aFailureAtOddRowCountsShrinksToOneRow() {
        KernelCase start = new KernelCase(Op.MATMUL_NT, 11, 20, 33, Pointwise.TANH, 3, 12345);
        Property.Result r = Property.forAll("odd rows fail", random -> start,
                        (KernelCase c, Coverage coverage) -> assertTrue(c.m() % 2 == 0, "odd m"))
                .shrinkWith(KernelPropertiesTest::shrinks).tries(1).run();
        assertNotNull(r.failure(), "11 rows fail");
        String message = r.failure().getMessage();
        assertTrue(message.contains("to: MATMUL_NT m=1 n=1 k=1 LINEAR variant 0 index 0\n"), message);
    }

    /** Runs the case on both kernels and fails where they differ by more than rounding allows. */
    static void check(KernelCase c, Coverage coverage) {
        SimdKernelsTest t = new SimdKernelsTest();
        int m = c.m(), n = c.n(), k = c.k(), ix = c.index(), v = c.variant();
        float[] lambdas = {0f, 1e-3f, -0.375f};
        switch (c.op()) {
            case MATMUL_NT -> SimdKernelsTest.checkNT(new SimdKernelsTest.Shape(m, n, k, ix), c.f(), (v & 1) != 0, (v & 2) != 0);
            case MATMUL_NN -> SimdKernelsTest.checkNN(new SimdKernelsTest.Shape(m, n, k, ix), c.f());
            case MATMUL_TN -> SimdKernelsTest.checkTN(new SimdKernelsTest.Shape(m, n, k, ix), lambdas[v % 3]);
            case OUTER -> t.outer(m, n, ix);
            case ACTIVATE -> t.activate(c.f(), m, n, ix);
            case MULTIPLY_DERIVATIVE -> t.multiplyDerivative(c.f(), m, n, ix);
            case SOFTMAX_CROSS_ENTROPY -> {
                if ((v & 1) == 0) {
                    t.softmaxCrossEntropy(m, n, ix);
                } else {
                    t.softmaxCrossEntropyLargeLogits(m, n, ix);
                }
            }
            case SQUARED_ERROR -> t.squaredError(m, n, ix);
            case COLUMN_SUMS -> t.columnSums(m, n, ix);
            case AXPY -> t.axpy(m * n, ix);
            case SCALE -> t.scale(m * n, ix);
            case SUM_OF_SQUARES -> t.sumOfSquares(m * n, ix);
            case ADD_FINITE -> addFinite(m * n, ix, v);
            case ALL_FINITE -> allFinite(m * n, ix, v);
            case SGD_STEP, MOMENTUM_STEP, ADAM_STEP -> optimizerStep(c.op(), m * n, ix, v, coverage);
        }
    }

    /** One float addition per element on both sides: the same bits, and the same verdict on finiteness. */
    private static void addFinite(int n, int ix, int variant) {
        SplittableRandom rnd = new SplittableRandom(ix);
        float[] x = SimdKernelsTest.values(rnd, n, (variant & 1) != 0), y = SimdKernelsTest.values(rnd, n, false);
        if ((variant & 2) != 0) {
            // One overflow or NaN somewhere: the verdict must notice it wherever it is.
            int at = rnd.nextInt(n);
            x[at] = (variant & 4) != 0 ? Float.NaN : Float.MAX_VALUE;
            y[at] = (variant & 4) != 0 ? y[at] : Float.MAX_VALUE;
        }
        try (Arena arena = Arena.ofConfined()) {
            Region rx = Region.vector(arena, n, 1 + ix % 5).write(x);
            Region ys = Region.vector(arena, n, 2 + ix % 7).write(y), yr = Region.vector(arena, n, 2 + ix % 7).write(y);
            boolean s = SIMD.addFinite(n, rx.seg, rx.off, ys.seg, ys.off);
            boolean r = REF.addFinite(n, rx.seg, rx.off, yr.seg, yr.off);
            ys.assertSentinels("y");
            SimdKernelsTest.assertBitwiseEqual("y", ys.read(), yr.read(), n);
            assertEquals(r, s, "addFinite's verdict");
        }
    }

    /** The same verdict, with a NaN or an infinity at a random place in half the cases. */
    private static void allFinite(int n, int ix, int variant) {
        SplittableRandom rnd = new SplittableRandom(ix);
        float[] x = SimdKernelsTest.values(rnd, n, (variant & 1) != 0);
        if ((variant & 2) != 0) {
            x[rnd.nextInt(n)] = (variant & 4) != 0 ? Float.NaN : Float.NEGATIVE_INFINITY;
        }
        try (Arena arena = Arena.ofConfined()) {
            Region rx = Region.vector(arena, n, 1 + ix % 5).write(x);
            assertEquals(REF.allFinite(n, rx.seg, rx.off), SIMD.allFinite(n, rx.seg, rx.off), "allFinite's verdict");
        }
    }

    /**
     * An optimizer step on both sides, compared per element within a first-order rounding bound.
     * SGD and momentum: each side computes its formula with at most six float operations per
     * output (fused or not); each rounding is at most {@code u} times the magnitude sum of what it
     * combines, and every intermediate is bounded by the magnitude sum {@code M} of the formula's
     * terms (with lr and mu at most 1). So each side is within {@code 6u·M} of the exact value
     * and the two within {@code 12u·M}; the bound allows {@code 16u·M}, plus a few subnormals.
     * Adam: {@code m} and {@code v} the same way; {@code v} is a sum of nonnegative terms, so its
     * error is relative, {@code √v} adds half of it and a rounding, the denominator
     * {@code √v·rc + eps} (positive terms) one more, and the quotient and the final step carry
     * those relative errors through explicitly.
     */
    private static void optimizerStep(Op op, int n, int ix, int variant, Coverage coverage) {
        SplittableRandom rnd = new SplittableRandom(ix);
        boolean wide = (variant & 1) != 0;
        float[] p = SimdKernelsTest.values(rnd, n, wide), g = SimdKernelsTest.values(rnd, n, wide);
        float[] m = SimdKernelsTest.values(rnd, n, wide), v = SimdKernelsTest.uniform(rnd, n, 0, wide ? 100 : 1);
        float lr = (float) rnd.nextDouble(1e-3, 1);
        float wd = new float[] {0f, 1e-4f, 0.01f, 0f}[variant >> 1 & 3];
        boolean nesterov = (variant & 4) != 0;
        float mu = 0.9f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
        int step = 1 + rnd.nextInt(1000);
        float stepSize = (float) (lr / (1 - Math.pow(beta1, step)));
        float rc2 = (float) (1 / Math.sqrt(1 - Math.pow(beta2, step)));
        double u = Tolerance.U, tiny = 8 * (double) Float.MIN_VALUE;
        try (Arena arena = Arena.ofConfined()) {
            Region ps = Region.vector(arena, n, 1 + ix % 5).write(p), pr = Region.vector(arena, n, 1 + ix % 5).write(p);
            Region rg = Region.vector(arena, n, 2 + ix % 3).write(g);
            Region ms = Region.vector(arena, n, 3).write(m), mr = Region.vector(arena, n, 3).write(m);
            Region vs = Region.vector(arena, n, 4).write(v), vr = Region.vector(arena, n, 4).write(v);
            double[] pBound = new double[n], mBound = new double[n], vBound = new double[n];
            switch (op) {
                case SGD_STEP -> {
                    SIMD.sgdStep(n, lr, wd, ps.seg, ps.off, rg.seg, rg.off);
                    REF.sgdStep(n, lr, wd, pr.seg, pr.off, rg.seg, rg.off);
                    for (int i = 0; i < n; i++) {
                        double d = Math.abs(g[i]) + Math.abs((double) wd * p[i]);
                        pBound[i] = 16 * u * (Math.abs(p[i]) + lr * d) + tiny;
                    }
                }
                case MOMENTUM_STEP -> {
                    SIMD.momentumStep(n, lr, mu, nesterov, wd, ps.seg, ps.off, rg.seg, rg.off, vs.seg, vs.off);
                    REF.momentumStep(n, lr, mu, nesterov, wd, pr.seg, pr.off, rg.seg, rg.off, vr.seg, vr.off);
                    for (int i = 0; i < n; i++) {
                        double d = Math.abs(g[i]) + Math.abs((double) wd * p[i]);
                        double vel = mu * Math.abs(v[i]) + d;
                        vBound[i] = 16 * u * vel + tiny;
                        pBound[i] = 16 * u * (Math.abs(p[i]) + lr * (nesterov ? d + mu * vel : vel)) + tiny;
                    }
                    vs.assertSentinels("v");
                    SimdKernelsTest.assertWithin("v", vs.read(), vr.read(), vBound, n);
                }
                case ADAM_STEP -> {
                    SIMD.adamStep(n, stepSize, beta1, beta2, rc2, eps, wd, ps.seg, ps.off, rg.seg, rg.off, ms.seg, ms.off,
                            vs.seg, vs.off);
                    REF.adamStep(n, stepSize, beta1, beta2, rc2, eps, wd, pr.seg, pr.off, rg.seg, rg.off, mr.seg, mr.off,
                            vr.seg, vr.off);
                    for (int i = 0; i < n; i++) {
                        double d = (double) g[i] + (double) wd * p[i];
                        double dAbs = Math.abs(g[i]) + Math.abs((double) wd * p[i]);
                        double mExact = beta1 * (double) m[i] + (1 - (double) beta1) * d;
                        double mMag = beta1 * Math.abs((double) m[i]) + (1 - (double) beta1) * dAbs;
                        double vExact = beta2 * (double) v[i] + (1 - (double) beta2) * dAbs * dAbs;
                        double denom = Math.sqrt(vExact) * rc2 + eps;
                        double q = mExact / denom;
                        mBound[i] = 16 * u * mMag + tiny;
                        vBound[i] = 16 * u * vExact + tiny;
                        // Per side: m within 8u·mMag, v within 8u·v (relative), √v 4u + u, denominator +2u,
                        // the quotient +u, the step's product and subtraction 2u of their magnitudes.
                        double side = stepSize * (8 * u * mMag / denom + 9 * u * Math.abs(q))
                                + 2 * u * (Math.abs(p[i]) + stepSize * Math.abs(q));
                        pBound[i] = 2.5 * side + tiny;
                    }
                    ms.assertSentinels("m");
                    vs.assertSentinels("v");
                    SimdKernelsTest.assertWithin("m", ms.read(), mr.read(), mBound, n);
                    SimdKernelsTest.assertWithin("v", vs.read(), vr.read(), vBound, n);
                }
                default -> throw new IllegalArgumentException("optimizerStep: expected an optimizer step, found " + op);
            }
            ps.assertSentinels("p");
            float[] pS = ps.read(), pR = pr.read();
            for (int i = 0; i < n; i++) {
                coverage.boundUsed(Math.abs((double) pS[i] - pR[i]) / pBound[i]);
            }
            SimdKernelsTest.assertWithin("p", pS, pR, pBound, n);
        }
    }
}
