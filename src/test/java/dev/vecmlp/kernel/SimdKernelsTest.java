package dev.vecmlp.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every kernel of {@link SimdKernels} against its twin in {@link ScalarKernels}, within the
 * float32 rounding bounds of {@link Tolerance}.
 *
 * <p>Sizes come from {@link #EDGES}, the values around the vector length (16 floats with 512-bit
 * vectors, 8 with 256), the 4-row tiles and the 64-column panels, where masks and edge tiles take
 * over. The O(mnk) products cannot afford the whole cube, so each edge size is tried in each
 * dimension with the other two from {@link #SMALL}, plus a seeded sample of the cube and the
 * shapes of network A (784-512-512-10) at batch 1, 32 and 256.
 *
 * <p>Every operand sits at a nonzero offset in its own allocation with a leading dimension that
 * is tight, rounded up to 16 or odd (cols + 3), chosen per operand so that each case mixes them;
 * the segment handed to the kernel ends right after the operand's last element, so a read past
 * it throws. Everything in the allocation outside the operand (the offset before it, the padding
 * of each row) and, before the call, the output itself holds a NaN sentinel: an output element
 * left unwritten compares as NaN, a write outside the rectangle changes a sentinel, and a read of
 * input padding turns a result into NaN.
 */
class SimdKernelsTest {
    private static final Kernels SIMD = new SimdKernels();
    private static final Kernels REF = ScalarKernels.INSTANCE;

    /** Around the lane counts (8, 16), the 4- and 6-row tiles and the 64-float panel, and three larger sizes. */
    private static final int[] EDGES = {1, 2, 4, 5, 6, 7, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 255, 257};
    /**
     * The other dimensions while one runs through {@link #EDGES}: under one 4-row tile, two tiles
     * and a rest, a vector and a tile.
     */
    private static final int[] SMALL = {3, 9, 20};
    /** Seeded random combinations of {@link #EDGES} in all three dimensions, per product. */
    private static final int SAMPLED = 24;
    private static final int[] BATCHES = {1, 32, 256};

    /** A quiet NaN with a payload no kernel computes: what every float outside an operand holds. */
    static final int SENTINEL = 0x7fc0_5e17;

    static final Pointwise[] NN_DERIVATIVES = {null, Pointwise.LINEAR, Pointwise.RELU, Pointwise.SOFTPLUS,
            Pointwise.STEP, Pointwise.LOGISTIC, Pointwise.TANH};

    /**
     * A product shape; {@code index} numbers the case. The variant (activation, bias, lambda)
     * rotates with it; the leading dimensions, offsets and value range are drawn from it by
     * {@link #pick}, so that they do not move in step with the variant.
     */
    record Shape(int m, int n, int k, int index) {
        @Override
        public String toString() {
            return "m=" + m + " n=" + n + " k=" + k + " #" + index;
        }

        long seed() {
            return 0x5eedL * 1_000_003 + index * 7919L + m * 31L + n * 17L + k;
        }

        /** One case in four draws values spanning 2^-12 to 2^12 instead of [-1, 1]. */
        boolean wide() {
            return pick(index, -1, 4) == 0;
        }
    }

    /** A choice in {@code [0, bound)} for case {@code index} and {@code slot}: fixed, but unrelated to index mod anything. */
    static int pick(int index, int slot, int bound) {
        return new SplittableRandom(index * 1_000_003L + slot).nextInt(bound);
    }

    // -----------------------------------------------------------------------------------------
    // Shapes

    private static Stream<Shape> edgeShapes(long seed) {
        List<Shape> out = new ArrayList<>();
        for (int dim = 0; dim < 3; dim++) {
            for (int e : EDGES) {
                for (int s1 : SMALL) {
                    for (int s2 : SMALL) {
                        int[] d = dim == 0 ? new int[] {e, s1, s2} : dim == 1 ? new int[] {s1, e, s2} : new int[] {s1, s2, e};
                        out.add(new Shape(d[0], d[1], d[2], out.size()));
                    }
                }
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < SAMPLED; i++) {
            out.add(new Shape(EDGES[rnd.nextInt(EDGES.length)], EDGES[rnd.nextInt(EDGES.length)],
                    EDGES[rnd.nextInt(EDGES.length)], out.size()));
        }
        return out.stream();
    }

    static Stream<Shape> ntShapes() {
        return edgeShapes(1);
    }

    static Stream<Shape> nnShapes() {
        return edgeShapes(2);
    }

    static Stream<Shape> tnShapes() {
        return edgeShapes(3);
    }

    /** Forward products of network A: Z[batch][out] = X[batch][in]·W[out][in]ᵀ + b. */
    static Stream<Arguments> networkForward() {
        List<Arguments> out = new ArrayList<>();
        for (int batch : BATCHES) {
            out.add(Arguments.of(new Shape(batch, 512, 784, 1), Pointwise.RELU));
            out.add(Arguments.of(new Shape(batch, 512, 512, 2), Pointwise.RELU));
            out.add(Arguments.of(new Shape(batch, 10, 512, 3), Pointwise.LINEAR));
        }
        return out.stream();
    }

    /** Input gradients of network A: X̄[batch][in] = (Z̄[batch][out]·W[out][in]) ∘ relu'(Zprev). */
    static Stream<Shape> networkInputGradient() {
        List<Shape> out = new ArrayList<>();
        for (int batch : BATCHES) {
            out.add(new Shape(batch, 512, 512, 4));
            out.add(new Shape(batch, 512, 10, 5));
            out.add(new Shape(batch, 784, 512, 6));
        }
        return out.stream();
    }

    /** Weight gradients of network A: W̄[out][in] = Z̄[batch][out]ᵀ·X[batch][in] (+ λW). */
    static Stream<Shape> networkWeightGradient() {
        List<Shape> out = new ArrayList<>();
        for (int batch : BATCHES) {
            out.add(new Shape(512, 784, batch, 7));
            out.add(new Shape(512, 512, batch, 8));
            out.add(new Shape(10, 512, batch, 9));
        }
        return out.stream();
    }

    // -----------------------------------------------------------------------------------------
    // The vector width (the operands with sentinels are in Region)

    /** The build runs this class at each vector width; make sure the width asked for is the one used. */
    @Test
    void runsAtTheRequestedVectorWidth() {
        String bits = System.getProperty("vecmlp.vectorBits", "").trim();
        String expected = bits.isEmpty() ? "simd-" + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize()
                : "simd-" + bits;
        assertEquals(expected, SIMD.name());
    }

    /** The build runs this class with each wide tile too; make sure the tile asked for is the one used, and said. */
    @Test
    void runsTheRequestedWideTile() {
        String tile = System.getProperty("vecmlp.wideTile", "").trim();
        if (SimdShape.LANES != 16) {
            assertEquals(SimdShape.MR, SimdShape.MR_WIDE, "below 16 lanes the wide tile is the 4-row one");
        } else if (!tile.isEmpty()) {
            assertEquals(Integer.parseInt(tile.substring(0, tile.indexOf('x'))), SimdShape.MR_WIDE);
            assertEquals("wide tile " + tile + " (-Dvecmlp.wideTile)", SIMD.tuning());
        }
        assertTrue(KernelProvider.describe().contains(SIMD.tuning()), KernelProvider.describe());
    }

    // -----------------------------------------------------------------------------------------
    // Values and checks

    static float[] values(SplittableRandom rnd, int count, boolean wide) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = wide
                    ? (float) ((rnd.nextBoolean() ? 1 : -1) * Math.scalb(1.0 + rnd.nextDouble(), rnd.nextInt(-12, 12)))
                    : (float) rnd.nextDouble(-1, 1);
        }
        return v;
    }

    static float[] uniform(SplittableRandom rnd, int count, double lo, double hi) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) rnd.nextDouble(lo, hi);
        }
        return v;
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = x[r * cols + c];
            }
        }
        return t;
    }

    private static float[] apply(Pointwise f, float[] z) {
        float[] h = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            h[i] = f.apply(z[i]);
        }
        return h;
    }

    /**
     * Fails unless {@code |simd[e] − ref[e]| ≤ bound[e]} for every element, naming the first
     * offender by row and column and counting the rest. Where either side is not finite they
     * must be the same infinity, or both NaN: a bound relative to an infinite value would
     * otherwise accept anything.
     */
    static void assertWithin(String what, float[] simd, float[] ref, double[] bound, int cols) {
        int bad = 0;
        String first = null;
        for (int e = 0; e < ref.length; e++) {
            boolean ok = Float.isFinite(simd[e]) && Float.isFinite(ref[e])
                    ? Math.abs((double) simd[e] - ref[e]) <= bound[e]
                    : simd[e] == ref[e] || Float.isNaN(simd[e]) && Float.isNaN(ref[e]);
            if (!ok) {
                if (bad++ == 0) {
                    first = String.format("[%d][%d]: simd %s, scalar %s, |diff| %s > bound %s", e / cols, e % cols,
                            simd[e], ref[e], Math.abs((double) simd[e] - ref[e]), bound[e]);
                }
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + ref.length + " elements outside the bound; first " + first);
        }
    }

    static void assertBitwiseEqual(String what, float[] simd, float[] ref, int cols) {
        assertSameBits(what, "simd", simd, "scalar", ref, cols);
    }

    static void assertSameBits(String what, String name, float[] actual, String refName, float[] ref, int cols) {
        for (int e = 0; e < ref.length; e++) {
            if (Float.floatToIntBits(actual[e]) != Float.floatToIntBits(ref[e])) {
                fail(what + " [" + e / cols + "][" + e % cols + "]: " + name + " " + actual[e] + ", " + refName + " "
                        + ref[e] + " (the same float operations on both sides must give the same bits)");
            }
        }
    }

    private static double[] sumBounds(int terms, double[] absSums) {
        double[] b = new double[absSums.length];
        for (int e = 0; e < b.length; e++) {
            b[e] = Tolerance.sum(terms, absSums[e]);
        }
        return b;
    }

    // -----------------------------------------------------------------------------------------
    // NT: Z = A·Bᵀ + bias, H = f(Z)

    @ParameterizedTest(name = "{0}")
    @MethodSource("ntShapes")
    void matmulNT(Shape s) {
        // Six activations times bias or not, rotating with the case number; scratch on every other
        // case, so that shapes of 128 rows and more run both the packed and the dot-tile path.
        checkNT(s, Pointwise.of(s.index() % 6), (s.index() / 6) % 2 == 0, s.index() % 2 == 0);
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("networkForward")
    void matmulNTNetworkA(Shape s, Pointwise f) {
        checkNT(s, f, true, true);
        checkNT(s, f, true, false);
    }

    /** One shape with full 4x4 tiles, edge rows and edge columns, under every activation. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Pointwise.class)
    void matmulNTEveryActivationWithAndWithoutBias(Pointwise f) {
        checkNT(new Shape(7, 66, 47, 0), f, true, false);
        checkNT(new Shape(7, 66, 47, 1), f, false, false);
        // 130 rows: over the packing threshold, with edge panels and a k tail.
        checkNT(new Shape(130, 70, 47, 2), f, true, true);
    }

    /**
     * The operands of one NT case, each in a {@link Region} of its own (see the class comment),
     * and scratch at an odd offset, full of NaN so that a kernel must write what it reads, or none.
     */
    record NtCase(Arena arena, Shape shape, float[] a, float[] b, float[] bias, Region ra, Region rb, Region rbias,
                  MemorySegment scratch) {
        static NtCase of(Arena arena, Shape s, boolean withBias, boolean withScratch) {
            int m = s.m(), n = s.n(), k = s.k(), ix = s.index();
            SplittableRandom rnd = new SplittableRandom(s.seed());
            float[] a = values(rnd, m * k, s.wide()), b = values(rnd, n * k, s.wide());
            float[] bias = withBias ? values(rnd, n, s.wide()) : null;
            MemorySegment scratch = null;
            if (withScratch) {
                scratch = arena.allocate(4L * (SIMD.scratchFloatsNT(m, n, k) + 3), 4);
                scratch.fill((byte) 0xFF);
            }
            return new NtCase(arena, s, a, b, bias, Region.of(arena, m, k, ix, 0).write(a),
                    Region.of(arena, n, k, ix, 1).write(b), withBias ? Region.of(arena, 1, n, ix, 2).write(bias) : null,
                    scratch);
        }

        /** Z and H of the product on {@code kernels}, in regions of their own, the memory around them untouched. */
        Region[] run(ForwardKernels kernels, Pointwise f) {
            int m = shape.m(), n = shape.n(), ix = shape.index();
            Region z = Region.of(arena, m, n, ix, 3), h = Region.of(arena, m, n, ix, 4);
            kernels.matmulNT(m, n, shape.k(), ra.seg, ra.off, ra.ld, rb.seg, rb.off, rb.ld,
                    rbias == null ? null : rbias.seg, rbias == null ? 0 : rbias.off, f,
                    z.seg, z.off, z.ld, h.seg, h.off, h.ld, scratch, 3);
            z.assertSentinels("Z");
            h.assertSentinels("H");
            return new Region[] {z, h};
        }
    }

    static void checkNT(Shape s, Pointwise f, boolean withBias, boolean withScratch) {
        int m = s.m(), n = s.n(), k = s.k();
        try (Arena arena = Arena.ofConfined()) {
            NtCase c = NtCase.of(arena, s, withBias, withScratch);
            Region[] simd = c.run(SIMD, f), ref = c.run(REF, f);
            float[] a = c.a(), b = c.b(), bias = c.bias();
            Region zs = simd[0], hs = simd[1], zr = ref[0], hr = ref[1];

            double[] abs = Tolerance.absProducts(a, b, m, n, k);
            if (withBias) {
                for (int e = 0; e < abs.length; e++) {
                    abs[e] += Math.abs(bias[e % n]);
                }
            }
            double[] zBound = sumBounds(k + (withBias ? 1 : 0), abs);
            float[] zS = zs.read(), zR = zr.read(), hS = hs.read(), hR = hr.read();
            assertWithin("Z", zS, zR, zBound, n);

            // The epilogue must apply f to the very Z it stored...
            float[] fOfZ = apply(f, zS);
            assertActivation(f + " of the Z of the same call", f, hS, fOfZ, n);
            // ...and end to end, H is as close as sup|f'| and the function's ulps allow.
            double[] hBound = new double[hS.length];
            for (int e = 0; e < hS.length; e++) {
                hBound[e] = Tolerance.activation(f, zR[e], zBound[e], hS[e], hR[e]);
            }
            assertWithin("H", hS, hR, hBound, n);
        }
    }

    /**
     * A row of a product of 4 rows or more has the same bits whatever tile it lands in: rows
     * {@code [s, m)} of an m-row product, computed as a product of their own, equal the rows of
     * the whole one. A split batch (Predictor) relies on it, and so does the last tile of the
     * broadcast products, which moves up over rows already done. NT takes the dot tiles under
     * 128 rows and the packed path from 128 at 16 lanes; n = 100 gives a full panel and a narrow
     * one at every width.
     */
    @ParameterizedTest
    @ValueSource(strings = {"NT", "NN", "TN"})
    void aRowHasTheSameBitsInEveryTile(String form) {
        int n = 100, k = 130;
        int[] sizes = {4, 5, 6, 7, 9, 13, 16, 17, 20, 23, 33, 63, 64, 65, 70, 127, 128, 129, 130, 131, 133, 134, 137, 140};
        SplittableRandom rnd = new SplittableRandom(form.hashCode());
        try (Arena arena = Arena.ofConfined()) {
            int mMax = sizes[sizes.length - 1];
            // A is m x k for NT and NN, k x m for TN (C's rows are A's columns there).
            MemorySegment a = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values(rnd, mMax * k, false));
            MemorySegment b = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values(rnd, n * k, false));
            MemorySegment z = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values(rnd, mMax * n, false));
            MemorySegment bias = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values(rnd, n, false));
            MemorySegment scratch = arena.allocate(4L * Math.max(1, SIMD.scratchFloatsNT(mMax, n, k)), 64);
            for (int m : sizes) {
                // A part stays on the side of the size where the order of the sums changes that its
                // whole product is on: from 16 rows NT sums each row in p order, one FMA a step
                // (swapped from 16, packed from 128: the same bits); NN and TN take the wide tile
                // (with k = 130) from 128.
                int least = form.equals("NT") ? (m >= 16 ? 16 : 4) : (m >= 128 ? 128 : 4);
                float[] whole = rowsOf(form, m, 0, n, k, a, b, z, bias, scratch, arena);
                for (int s = 1; m - s >= least && s <= 6; s++) {
                    float[] part = rowsOf(form, m, s, n, k, a, b, z, bias, scratch, arena);
                    float[] expected = Arrays.copyOfRange(whole, s * n, m * n);
                    assertSameBits(form + ": rows " + s + " to " + (m - 1) + " of " + m + ", row counted in the part",
                            "alone", part, "in the whole product", expected, n);
                }
            }
        }
    }

    /**
     * {@link Kernels#uniformRowsNT}: from that many rows on, a row of NT has the same bits in a
     * product of any size, whichever path (dot tiles, swapped, packed) the size takes; a caller
     * that pads small batches to it (predict's last batch, a Spark partition's) gets a row's bits
     * independent of the batching. Each row is computed in a product of exactly that many rows
     * beginning with it, then in products of every size here; n = 10 is narrower than 16 lanes.
     */
    @ParameterizedTest
    @ValueSource(ints = {100, 10})
    void fromUniformRowsOnNTGivesARowTheSameBitsInEveryProduct(int n) {
        int k = 130, u = SIMD.uniformRowsNT();
        int[] sizes = {u, u + 1, u + 3, 2 * u + 5, 33, 64, 127, 128, 129, 200};
        int mMax = 200;
        SplittableRandom rnd = new SplittableRandom(n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values(rnd, (mMax + u) * k, false));
            MemorySegment b = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values(rnd, n * k, false));
            MemorySegment bias = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values(rnd, n, false));
            MemorySegment scratch = arena.allocate(4L * Math.max(1, SIMD.scratchFloatsNT(mMax + u, n, k)), 64);
            MemorySegment c = arena.allocate(4L * (mMax + u) * n, 64);
            float[] alone = new float[mMax * n];
            for (int r = 0; r < mMax; r++) {
                SIMD.matmulNT(u, n, k, a, (long) r * k, k, b, 0, k, bias, 0, Pointwise.TANH, c, 0, n, c, 0, n, scratch, 0);
                MemorySegment.copy(c, ValueLayout.JAVA_FLOAT, 0, alone, r * n, n);
            }
            for (int m : sizes) {
                SIMD.matmulNT(m, n, k, a, 0, k, b, 0, k, bias, 0, Pointwise.TANH, c, 0, n, c, 0, n, scratch, 0);
                float[] whole = c.asSlice(0, 4L * m * n).toArray(ValueLayout.JAVA_FLOAT);
                assertSameBits("NT, " + u + " uniform rows: each row of a product of " + m, "in it", whole,
                        "first of a product of " + u, Arrays.copyOf(alone, m * n), n);
            }
        }
    }

    /** Rows {@code [s, m)} of the product of one of the three forms, computed as a product of m − s rows. */
    private static float[] rowsOf(String form, int m, int s, int n, int k, MemorySegment a, MemorySegment b,
                                  MemorySegment z, MemorySegment bias, MemorySegment scratch, Arena arena) {
        int rows = m - s;
        MemorySegment c = arena.allocate(4L * rows * n, 64);
        switch (form) {
            case "NT" -> SIMD.matmulNT(rows, n, k, a, (long) s * k, k, b, 0, k, bias, 0, Pointwise.TANH,
                    c, 0, n, c, 0, n, scratch, 0);
            case "NN" -> SIMD.matmulNN(rows, n, k, a, (long) s * k, k, b, 0, n, Pointwise.LOGISTIC,
                    z, (long) s * n, n, z, (long) s * n, n, c, 0, n);
            default -> SIMD.matmulTN(rows, n, k, a, s, m, b, 0, n, 0.25f, z, (long) s * n, n, c, 0, n);
        }
        return c.toArray(ValueLayout.JAVA_FLOAT);
    }

    /** The documented aliasing: {@code h} may be the memory of {@code z}; then it holds f(Z). */
    @Test
    void matmulNTWithHInPlaceOfZ() {
        int m = 9, n = 37, k = 40;
        SplittableRandom rnd = new SplittableRandom(11);
        float[] a = values(rnd, m * k, false), b = values(rnd, n * k, false), bias = values(rnd, n, false);
        try (Arena arena = Arena.ofConfined()) {
            Region ra = Region.of(arena, m, k, 0, 0).write(a), rb = Region.of(arena, n, k, 0, 1).write(b);
            Region rbias = Region.of(arena, 1, n, 0, 2).write(bias);
            Region hs = Region.of(arena, m, n, 0, 3), hr = Region.of(arena, m, n, 0, 3);
            SIMD.matmulNT(m, n, k, ra.seg, ra.off, ra.ld, rb.seg, rb.off, rb.ld, rbias.seg, rbias.off, Pointwise.TANH,
                    hs.seg, hs.off, hs.ld, hs.seg, hs.off, hs.ld, null, 0);
            REF.matmulNT(m, n, k, ra.seg, ra.off, ra.ld, rb.seg, rb.off, rb.ld, rbias.seg, rbias.off, Pointwise.TANH,
                    hr.seg, hr.off, hr.ld, hr.seg, hr.off, hr.ld, null, 0);
            hs.assertSentinels("H");
            double[] abs = Tolerance.absProducts(a, b, m, n, k);
            float[] hS = hs.read(), hR = hr.read();
            double[] bound = new double[abs.length];
            for (int e = 0; e < abs.length; e++) {
                double zBound = Tolerance.sum(k + 1, abs[e] + Math.abs(bias[e % n]));
                // Z was overwritten, but only STEP would need it.
                bound[e] = Tolerance.activation(Pointwise.TANH, Float.NaN, zBound, hS[e], hR[e]);
            }
            assertWithin("H (aliasing Z)", hS, hR, bound, n);
        }
    }

    // -----------------------------------------------------------------------------------------
    // NN: C = (A·B) ∘ f'(Z, H)

    @ParameterizedTest(name = "{0}")
    @MethodSource("nnShapes")
    void matmulNN(Shape s) {
        checkNN(s, NN_DERIVATIVES[s.index() % NN_DERIVATIVES.length]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networkInputGradient")
    void matmulNNNetworkA(Shape s) {
        checkNN(s, Pointwise.RELU);
    }

    /** {@code null} means no derivative; LINEAR must behave the same. */
    static Stream<Arguments> nnDerivatives() {
        return Stream.of(NN_DERIVATIVES).map(f -> Arguments.of(f));
    }

    @ParameterizedTest(name = "f = {0}")
    @MethodSource("nnDerivatives")
    void matmulNNEveryDerivative(Pointwise f) {
        checkNN(new Shape(7, 70, 33, 0), f);
        checkNN(new Shape(5, 64, 17, 1), f);
    }

    static void checkNN(Shape s, Pointwise f) {
        int m = s.m(), n = s.n(), k = s.k(), ix = s.index();
        SplittableRandom rnd = new SplittableRandom(s.seed());
        float[] a = values(rnd, m * k, s.wide()), b = values(rnd, k * n, s.wide());
        // Without a derivative (null or LINEAR) the kernel must not read Z and H: they are null.
        boolean derivative = f != null && f != Pointwise.LINEAR;
        // Pre-activations over the range where the derivatives vary; wide cases saturate them.
        float[] z = derivative ? uniform(rnd, m * n, s.wide() ? -30 : -4, s.wide() ? 30 : 4) : null;
        float[] h = derivative ? apply(f, z) : null;
        try (Arena arena = Arena.ofConfined()) {
            Region ra = Region.of(arena, m, k, ix, 0).write(a), rb = Region.of(arena, k, n, ix, 1).write(b);
            Region rz = derivative ? Region.of(arena, m, n, ix, 2).write(z) : null;
            Region rh = derivative ? Region.of(arena, m, n, ix, 3).write(h) : null;
            Region cs = Region.of(arena, m, n, ix, 4), cr = Region.of(arena, m, n, ix, 4);
            MemorySegment zSeg = derivative ? rz.seg : null, hSeg = derivative ? rh.seg : null;
            long zOff = derivative ? rz.off : 0, hOff = derivative ? rh.off : 0;
            int ldz = derivative ? rz.ld : 0, ldh = derivative ? rh.ld : 0;
            SIMD.matmulNN(m, n, k, ra.seg, ra.off, ra.ld, rb.seg, rb.off, rb.ld, f, zSeg, zOff, ldz, hSeg, hOff, ldh,
                    cs.seg, cs.off, cs.ld);
            REF.matmulNN(m, n, k, ra.seg, ra.off, ra.ld, rb.seg, rb.off, rb.ld, f, zSeg, zOff, ldz, hSeg, hOff, ldh,
                    cr.seg, cr.off, cr.ld);
            cs.assertSentinels("C");

            double[] abs = Tolerance.absProducts(a, transpose(b, k, n), m, n, k);
            float[] cS = cs.read(), cR = cr.read();
            double[] bound = sumBounds(k, abs);
            if (derivative) {
                for (int e = 0; e < bound.length; e++) {
                    float dRef = f.derivative(z[e], h[e]);
                    double dBound = Tolerance.derivative(f, h[e], dRef);
                    bound[e] = Tolerance.timesDerivative(bound[e], abs[e], dRef, dBound, cS[e], cR[e]);
                }
            }
            assertWithin("C", cS, cR, bound, n);
        }
    }

    // -----------------------------------------------------------------------------------------
    // TN: C = Aᵀ·B + λW

    @ParameterizedTest(name = "{0}")
    @MethodSource("tnShapes")
    void matmulTN(Shape s) {
        float[] lambdas = {0f, 1e-3f, -0.375f};
        checkTN(s, lambdas[s.index() % 3]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networkWeightGradient")
    void matmulTNNetworkA(Shape s) {
        // Weight decay on the batch-32 cases, none on the others.
        checkTN(s, s.k() == 32 ? 1e-4f : 0f);
    }

    static void checkTN(Shape s, float lambda) {
        int m = s.m(), n = s.n(), k = s.k(), ix = s.index();
        SplittableRandom rnd = new SplittableRandom(s.seed());
        float[] a = values(rnd, k * m, s.wide()), b = values(rnd, k * n, s.wide());
        // With lambda 0 the weights must not be read: they are null.
        float[] w = lambda != 0f ? values(rnd, m * n, s.wide()) : null;
        try (Arena arena = Arena.ofConfined()) {
            Region ra = Region.of(arena, k, m, ix, 0).write(a), rb = Region.of(arena, k, n, ix, 1).write(b);
            Region rw = lambda != 0f ? Region.of(arena, m, n, ix, 2).write(w) : null;
            Region cs = Region.of(arena, m, n, ix, 3), cr = Region.of(arena, m, n, ix, 3);
            MemorySegment wSeg = rw == null ? null : rw.seg;
            long wOff = rw == null ? 0 : rw.off;
            int ldw = rw == null ? 0 : rw.ld;
            SIMD.matmulTN(m, n, k, ra.seg, ra.off, ra.ld, rb.seg, rb.off, rb.ld, lambda, wSeg, wOff, ldw,
                    cs.seg, cs.off, cs.ld);
            REF.matmulTN(m, n, k, ra.seg, ra.off, ra.ld, rb.seg, rb.off, rb.ld, lambda, wSeg, wOff, ldw,
                    cr.seg, cr.off, cr.ld);
            cs.assertSentinels("C");

            double[] abs = Tolerance.absProducts(transpose(a, k, m), transpose(b, k, n), m, n, k);
            if (w != null) {
                for (int e = 0; e < abs.length; e++) {
                    abs[e] += Math.abs((double) lambda * w[e]);
                }
            }
            assertWithin("C", cs.read(), cr.read(), sumBounds(k + (w != null ? 1 : 0), abs), n);
        }
    }

    // -----------------------------------------------------------------------------------------
    // outer: C = x ⊗ y + λW

    static Stream<Arguments> outerShapes() {
        List<Arguments> out = new ArrayList<>();
        for (int e : EDGES) {
            for (int s : SMALL) {
                out.add(Arguments.of(e, s, out.size()));
                out.add(Arguments.of(s, e, out.size()));
            }
        }
        out.add(Arguments.of(512, 784, out.size()));
        out.add(Arguments.of(512, 512, out.size()));
        out.add(Arguments.of(10, 512, out.size()));
        return out.stream();
    }

    @ParameterizedTest(name = "m={0} n={1} #{2}")
    @MethodSource("outerShapes")
    void outer(int m, int n, int ix) {
        float lambda = ix % 2 == 0 ? 0f : 0.01f;
        SplittableRandom rnd = new SplittableRandom(ix * 31L + m * 7L + n);
        boolean wide = ix % 4 == 3;
        float[] x = values(rnd, m, wide), y = values(rnd, n, wide);
        float[] w = lambda != 0f ? values(rnd, m * n, wide) : null;
        try (Arena arena = Arena.ofConfined()) {
            Region rx = Region.of(arena, 1, m, ix, 0).write(x), ry = Region.of(arena, 1, n, ix, 1).write(y);
            Region rw = w != null ? Region.of(arena, m, n, ix, 2).write(w) : null;
            Region cs = Region.of(arena, m, n, ix, 3), cr = Region.of(arena, m, n, ix, 3);
            MemorySegment wSeg = rw == null ? null : rw.seg;
            long wOff = rw == null ? 0 : rw.off;
            int ldw = rw == null ? 0 : rw.ld;
            SIMD.outer(m, n, rx.seg, rx.off, ry.seg, ry.off, lambda, wSeg, wOff, ldw, cs.seg, cs.off, cs.ld);
            REF.outer(m, n, rx.seg, rx.off, ry.seg, ry.off, lambda, wSeg, wOff, ldw, cr.seg, cr.off, cr.ld);
            cs.assertSentinels("C");
            double[] bound = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double abs = Math.abs((double) x[i] * y[j]) + (w == null ? 0 : Math.abs((double) lambda * w[i * n + j]));
                    bound[i * n + j] = Tolerance.sum(w == null ? 1 : 2, abs);
                }
            }
            assertWithin("C", cs.read(), cr.read(), bound, n);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Elementwise

    static Stream<Arguments> elementwiseShapes() {
        List<Arguments> out = new ArrayList<>();
        for (Pointwise f : Pointwise.values()) {
            for (int cols : EDGES) {
                out.add(Arguments.of(f, cols % 3 + 1, cols, out.size()));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} rows={1} cols={2} #{3}")
    @MethodSource("elementwiseShapes")
    void activate(Pointwise f, int rows, int cols, int ix) {
        float[] z = uniform(new SplittableRandom(ix), rows * cols, -12, 12);
        try (Arena arena = Arena.ofConfined()) {
            Region rz = Region.of(arena, rows, cols, ix, 0).write(z);
            Region hs = Region.of(arena, rows, cols, ix, 1), hr = Region.of(arena, rows, cols, ix, 1);
            SIMD.activate(f, rows, cols, rz.seg, rz.off, rz.ld, hs.seg, hs.off, hs.ld);
            REF.activate(f, rows, cols, rz.seg, rz.off, rz.ld, hr.seg, hr.off, hr.ld);
            hs.assertSentinels("H");
            assertActivation(f.toString(), f, hs.read(), hr.read(), cols);

            // In place: h aliases z.
            Region inPlace = Region.of(arena, rows, cols, ix, 2).write(z);
            SIMD.activate(f, rows, cols, inPlace.seg, inPlace.off, inPlace.ld, inPlace.seg, inPlace.off, inPlace.ld);
            inPlace.assertSentinels("H in place");
            assertActivation(f.toString(), f, inPlace.read(), hr.read(), cols);
        }
    }

    /**
     * LINEAR, RELU and STEP are exact in float, so SIMD and scalar agree to the bit; the
     * transcendental ones within {@link Tolerance#ACTIVATION_ULPS}.
     */
    private static void assertActivation(String what, Pointwise f, float[] simd, float[] ref, int cols) {
        if (f == Pointwise.LINEAR || f == Pointwise.RELU || f == Pointwise.STEP) {
            assertBitwiseEqual(what, simd, ref, cols);
            return;
        }
        double[] bound = new double[ref.length];
        for (int e = 0; e < ref.length; e++) {
            bound[e] = Tolerance.ulps(Tolerance.ACTIVATION_ULPS, simd[e], ref[e]);
        }
        assertWithin(what, simd, ref, bound, cols);
    }

    /**
     * A dense sweep of [-100, 100] plus the special values, where SIMD must give exactly what
     * the scalar definition gives (the table is in {@code PointwiseTest}): the same infinities,
     * 0 or ±1 at ±∞, NaN for NaN except STEP (0). Which implementation of EXP, LOG1P
     * and TANH this checks depends on the JIT: interpreted and C1 code runs the Vector API's Java
     * fallback (Math in double, narrowed), C2 calls the SVML stubs. The sweep is repeated and
     * every pass is checked, so that the later passes, by then compiled, are covered too.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Pointwise.class)
    void activateSweepMatchesScalar(Pointwise f) {
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -1e-40f, Float.MIN_NORMAL,
                -Float.MIN_NORMAL, 1e-30f, -1e-30f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.MAX_VALUE, -Float.MAX_VALUE, 88.72f, -88.72f, 89f, -89f, -103.9f, -104f, Float.NaN};
        int sweep = 20_001;
        float[] z = new float[special.length + sweep];
        System.arraycopy(special, 0, z, 0, special.length);
        for (int i = 0; i < sweep; i++) {
            z[special.length + i] = (float) (-100 + 200.0 * i / (sweep - 1));
        }
        float[] ref = apply(f, z);
        try (Arena arena = Arena.ofConfined()) {
            Region rz = new Region(arena, 1, z.length, z.length, 5).write(z);
            Region rh = new Region(arena, 1, z.length, z.length, 5);
            for (int pass = 0; pass < 12; pass++) {
                SIMD.activate(f, 1, z.length, rz.seg, rz.off, rz.ld, rh.seg, rh.off, rh.ld);
                assertActivation(f.toString(), f, rh.read(), ref, z.length);
            }
            rh.assertSentinels("H");
        }
    }

    /** NaN propagates through RELU (so that divergence shows) on the SIMD path as on the scalar one. */
    @Test
    void reluPropagatesNaN() {
        float[] z = new float[37];
        Arrays.fill(z, 1f);
        z[3] = Float.NaN;
        z[20] = Float.NaN;
        z[36] = Float.NaN;
        try (Arena arena = Arena.ofConfined()) {
            Region rz = new Region(arena, 1, z.length, z.length, 3).write(z);
            Region rh = new Region(arena, 1, z.length, z.length, 3);
            SIMD.activate(Pointwise.RELU, 1, z.length, rz.seg, rz.off, rz.ld, rh.seg, rh.off, rh.ld);
            float[] h = rh.read();
            for (int i = 0; i < z.length; i++) {
                assertEquals(Float.isNaN(z[i]), Float.isNaN(h[i]), "relu(" + z[i] + ") = " + h[i]);
            }
        }
    }

    @ParameterizedTest(name = "{0} rows={1} cols={2} #{3}")
    @MethodSource("elementwiseShapes")
    void multiplyDerivative(Pointwise f, int rows, int cols, int ix) {
        SplittableRandom rnd = new SplittableRandom(ix);
        float[] z = uniform(rnd, rows * cols, -6, 6), h = apply(f, z), g = values(rnd, rows * cols, ix % 2 == 1);
        try (Arena arena = Arena.ofConfined()) {
            Region rz = Region.of(arena, rows, cols, ix, 0).write(z), rh = Region.of(arena, rows, cols, ix, 1).write(h);
            Region gs = Region.of(arena, rows, cols, ix, 2).write(g), gr = Region.of(arena, rows, cols, ix, 2).write(g);
            SIMD.multiplyDerivative(f, rows, cols, rz.seg, rz.off, rz.ld, rh.seg, rh.off, rh.ld, gs.seg, gs.off, gs.ld);
            REF.multiplyDerivative(f, rows, cols, rz.seg, rz.off, rz.ld, rh.seg, rh.off, rh.ld, gr.seg, gr.off, gr.ld);
            gs.assertSentinels("G");
            float[] gS = gs.read(), gR = gr.read();
            double[] bound = new double[g.length];
            for (int e = 0; e < g.length; e++) {
                float dRef = f.derivative(z[e], h[e]);
                double dBound = Tolerance.derivative(f, h[e], dRef);
                // Where the derivatives agree exactly, so must fl(g·d).
                bound[e] = dBound == 0 ? 0 : Tolerance.timesDerivative(0, Math.abs(g[e]), dRef, dBound, gS[e], gR[e]);
            }
            assertWithin("G", gS, gR, bound, cols);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Losses

    static Stream<Arguments> lossShapes() {
        List<Arguments> out = new ArrayList<>();
        for (int rows : new int[] {1, 3, 17}) {
            for (int cols : EDGES) {
                out.add(Arguments.of(rows, cols, out.size()));
            }
        }
        out.add(Arguments.of(256, 10, out.size()));
        out.add(Arguments.of(32, 10, out.size()));
        return out.stream();
    }

    /** The targets a classifier sees: one-hot, a soft distribution, and soft targets not summing to 1. */
    private enum Targets { ONE_HOT, SOFT, UNNORMALIZED }

    @ParameterizedTest(name = "rows={0} cols={1} #{2}")
    @MethodSource("lossShapes")
    void softmaxCrossEntropy(int rows, int cols, int ix) {
        for (Targets kind : Targets.values()) {
            checkSoftmax(rows, cols, ix, kind, 5, 1f / rows);
        }
    }

    /** Logits of ±80 (and ±1000): exp would overflow float without the max shift; results must be finite. */
    @ParameterizedTest(name = "rows={0} cols={1} #{2}")
    @MethodSource("lossShapes")
    void softmaxCrossEntropyLargeLogits(int rows, int cols, int ix) {
        checkSoftmax(rows, cols, ix, Targets.ONE_HOT, 80, 1f);
        checkSoftmax(rows, cols, ix + 1, Targets.SOFT, 80, 0.5f);
        checkSoftmax(rows, cols, ix + 2, Targets.ONE_HOT, 1000, 1f / rows);
    }

    private static void checkSoftmax(int rows, int cols, int ix, Targets kind, float magnitude, float scale) {
        SplittableRandom rnd = new SplittableRandom(ix * 1009L + kind.ordinal());
        float[] z = uniform(rnd, rows * cols, -magnitude, magnitude);
        if (magnitude >= 80) {
            // Push a third of the logits to the extremes exactly.
            for (int e = 0; e < z.length; e += 3) {
                z[e] = rnd.nextBoolean() ? magnitude : -magnitude;
            }
        }
        float[] t = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            if (kind == Targets.ONE_HOT) {
                t[r * cols + rnd.nextInt(cols)] = 1f;
            } else {
                double sum = 0;
                double[] raw = new double[cols];
                for (int j = 0; j < cols; j++) {
                    raw[j] = rnd.nextDouble();
                    sum += raw[j];
                }
                double total = kind == Targets.SOFT ? 1.0 : 0.6;
                for (int j = 0; j < cols; j++) {
                    t[r * cols + j] = (float) (raw[j] / sum * total);
                }
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            Region rz = Region.of(arena, rows, cols, ix, 0).write(z), rt = Region.of(arena, rows, cols, ix, 1).write(t);
            Region gs = Region.of(arena, rows, cols, ix, 2), gr = Region.of(arena, rows, cols, ix, 2);
            double lossS = SIMD.softmaxCrossEntropy(rows, cols, rz.seg, rz.off, rz.ld, rt.seg, rt.off, rt.ld, scale,
                    gs.seg, gs.off, gs.ld);
            double lossR = REF.softmaxCrossEntropy(rows, cols, rz.seg, rz.off, rz.ld, rt.seg, rt.off, rt.ld, scale,
                    gr.seg, gr.off, gr.ld);
            gs.assertSentinels("G");
            float[] gS = gs.read(), gR = gr.read();
            assertTrue(Double.isFinite(lossS), () -> "loss " + lossS);
            double lossBound = 0;
            double[] gBound = new double[gS.length];
            for (int r = 0; r < rows; r++) {
                float[] zr = Arrays.copyOfRange(z, r * cols, (r + 1) * cols);
                float[] tr = Arrays.copyOfRange(t, r * cols, (r + 1) * cols);
                Tolerance.Softmax b = Tolerance.softmax(zr, tr, scale);
                lossBound += b.loss();
                System.arraycopy(b.gradient(), 0, gBound, r * cols, cols);
            }
            for (int e = 0; e < gS.length; e++) {
                assertTrue(Float.isFinite(gS[e]), "gradient element " + e + " = " + gS[e]);
            }
            double lb = lossBound;
            assertTrue(Math.abs(lossS - lossR) <= lossBound,
                    () -> kind + " loss: simd " + lossS + ", scalar " + lossR + ", bound " + lb);
            assertWithin(kind + " gradient", gS, gR, gBound, cols);
        }
    }

    @ParameterizedTest(name = "rows={0} cols={1} #{2}")
    @MethodSource("lossShapes")
    void squaredError(int rows, int cols, int ix) {
        SplittableRandom rnd = new SplittableRandom(ix);
        boolean wide = ix % 2 == 1;
        float[] y = values(rnd, rows * cols, wide), t = values(rnd, rows * cols, wide);
        float scale = 1f / rows;
        try (Arena arena = Arena.ofConfined()) {
            Region ry = Region.of(arena, rows, cols, ix, 0).write(y), rt = Region.of(arena, rows, cols, ix, 1).write(t);
            Region gs = Region.of(arena, rows, cols, ix, 2), gr = Region.of(arena, rows, cols, ix, 2);
            double lossS = SIMD.squaredError(rows, cols, ry.seg, ry.off, ry.ld, rt.seg, rt.off, rt.ld, scale,
                    gs.seg, gs.off, gs.ld);
            double lossR = REF.squaredError(rows, cols, ry.seg, ry.off, ry.ld, rt.seg, rt.off, rt.ld, scale,
                    gr.seg, gr.off, gr.ld);
            gs.assertSentinels("G");
            // G = scale·(y − t): the same two float operations on both sides.
            assertBitwiseEqual("G", gs.read(), gr.read(), cols);
            // Each row's Σ d² is a float sum of cols squares (d = y − t is the same float on both sides).
            double bound = 0;
            for (int r = 0; r < rows; r++) {
                double sq = 0;
                for (int j = 0; j < cols; j++) {
                    float d = y[r * cols + j] - t[r * cols + j];
                    sq += 0.5 * d * d;
                }
                bound += Tolerance.sum(cols, sq);
            }
            double b = bound;
            assertTrue(Math.abs(lossS - lossR) <= bound, () -> "loss: simd " + lossS + ", scalar " + lossR + ", bound " + b);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Reductions and vector updates

    static Stream<Arguments> columnSumShapes() {
        List<Arguments> out = new ArrayList<>();
        for (int rows : EDGES) {
            for (int cols : EDGES) {
                out.add(Arguments.of(rows, cols, out.size()));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "rows={0} cols={1} #{2}")
    @MethodSource("columnSumShapes")
    void columnSums(int rows, int cols, int ix) {
        SplittableRandom rnd = new SplittableRandom(ix);
        float[] a = values(rnd, rows * cols, ix % 4 == 3);
        try (Arena arena = Arena.ofConfined()) {
            Region ra = Region.of(arena, rows, cols, ix, 0).write(a);
            Region os = Region.of(arena, 1, cols, ix, 1), or = Region.of(arena, 1, cols, ix, 1);
            SIMD.columnSums(rows, cols, ra.seg, ra.off, ra.ld, os.seg, os.off);
            REF.columnSums(rows, cols, ra.seg, ra.off, ra.ld, or.seg, or.off);
            os.assertSentinels("out");
            double[] bound = new double[cols];
            for (int j = 0; j < cols; j++) {
                double abs = 0;
                for (int i = 0; i < rows; i++) {
                    abs += Math.abs(a[i * cols + j]);
                }
                bound[j] = Tolerance.sum(rows, abs);
            }
            assertWithin("column sums", os.read(), or.read(), bound, cols);
        }
    }

    /** The edge sizes, and one that spans several of sumOfSquares' 4096-vector flush blocks. */
    static Stream<Arguments> vectorLengths() {
        List<Arguments> out = new ArrayList<>();
        for (int n : EDGES) {
            out.add(Arguments.of(n, out.size()));
        }
        out.add(Arguments.of(3 * 4096 * SimdShape.LANES + 5, out.size()));
        return out.stream();
    }

    @ParameterizedTest(name = "n={0} #{1}")
    @MethodSource("vectorLengths")
    void axpy(int n, int ix) {
        SplittableRandom rnd = new SplittableRandom(ix);
        boolean wide = ix % 2 == 1;
        float[] x = values(rnd, n, wide), y = values(rnd, n, wide);
        float alpha = ix % 2 == 0 ? -0.75f : 3.1f;
        try (Arena arena = Arena.ofConfined()) {
            Region rx = Region.vector(arena, n, 1 + ix % 5).write(x);
            Region ys = Region.vector(arena, n, 3 + ix % 7).write(y), yr = Region.vector(arena, n, 3 + ix % 7).write(y);
            SIMD.axpy(n, alpha, rx.seg, rx.off, ys.seg, ys.off);
            REF.axpy(n, alpha, rx.seg, rx.off, yr.seg, yr.off);
            ys.assertSentinels("y");
            double[] bound = new double[n];
            for (int i = 0; i < n; i++) {
                bound[i] = Tolerance.sum(2, Math.abs((double) alpha * x[i]) + Math.abs(y[i]));
            }
            assertWithin("y", ys.read(), yr.read(), bound, n);
        }
    }

    @ParameterizedTest(name = "n={0} #{1}")
    @MethodSource("vectorLengths")
    void scale(int n, int ix) {
        float[] x = values(new SplittableRandom(ix), n, ix % 2 == 1);
        float alpha = ix % 2 == 0 ? 0.999f : -7.5f;
        try (Arena arena = Arena.ofConfined()) {
            Region xs = Region.vector(arena, n, 2 + ix % 9).write(x), xr = Region.vector(arena, n, 2 + ix % 9).write(x);
            SIMD.scale(n, alpha, xs.seg, xs.off);
            REF.scale(n, alpha, xr.seg, xr.off);
            xs.assertSentinels("x");
            // One float multiplication per element on both sides.
            assertBitwiseEqual("x", xs.read(), xr.read(), n);
        }
    }

    @ParameterizedTest(name = "n={0} #{1}")
    @MethodSource("vectorLengths")
    void sumOfSquares(int n, int ix) {
        float[] x = values(new SplittableRandom(ix), n, ix % 2 == 1);
        try (Arena arena = Arena.ofConfined()) {
            Region rx = Region.vector(arena, n, 1 + ix % 6).write(x);
            double simd = SIMD.sumOfSquares(n, rx.seg, rx.off);
            double ref = REF.sumOfSquares(n, rx.seg, rx.off);
            double abs = 0;
            for (float v : x) {
                abs += (double) v * v;
            }
            // The kernel flushes its float lanes into double every 4096 vectors, so no float
            // partial sum takes more than 4096 terms plus the L-lane reduction.
            double bound = Tolerance.sum(Math.min(n, 4096 + SimdShape.LANES), abs);
            assertTrue(Math.abs(simd - ref) <= bound, () -> "simd " + simd + ", scalar " + ref + ", bound " + bound);
        }
    }
}
