package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.vecmlp.kernel.SimdShape.E2;
import static dev.vecmlp.kernel.SimdShape.E3;
import static dev.vecmlp.kernel.SimdShape.E4;
import static dev.vecmlp.kernel.SimdShape.E5;
import static dev.vecmlp.kernel.SimdShape.E6;
import static dev.vecmlp.kernel.SimdShape.E7;
import static dev.vecmlp.kernel.SimdShape.F;
import static dev.vecmlp.kernel.SimdShape.LANES;
import static dev.vecmlp.kernel.SimdShape.LN2_HI;
import static dev.vecmlp.kernel.SimdShape.LN2_LO;
import static dev.vecmlp.kernel.SimdShape.LOG2E;
import static dev.vecmlp.kernel.SimdShape.ROUNDER;

/**
 * {@link SimdKernels}' forward product and finiteness check in scalar code, with their bits
 * exactly (see {@link ForwardKernels} for why). Each float operation of the vector code is done
 * here on one lane, in the same order, and every one of them (add, multiply, divide, FMA, max,
 * compare, the integer work on the exponent) is rounded by IEEE 754 lane by lane, so the results
 * are equal bit for bit; {@code SimdTwinTest} holds the two to it at every vector width.
 * <ul>
 *   <li>Where {@link SimdNT#sumsInOrder} (the packed and the swapped products), an element
 *       of Z is one FMA chain over p from 0; four of them run side by side.
 *   <li>Elsewhere (the dot tiles), lane l sums the products at p = l, l + L, ... (one FMA each),
 *       the lanes are summed by the SWAP tree (stage s adds lane l + (L >> (s + 1)) to lane l),
 *       and the last {@code k mod L} products, summed by the same tree over zero-padded lanes,
 *       are added after. At 16 lanes the accumulators are locals, 8 at a time, which the JIT
 *       keeps in registers: a batch-1 pass of network A took 0.21 ms with 16 locals against 0.44
 *       with an array (a probe on JDK 25.0.3).
 *   <li>Then {@code z + bias}, and the activations written out as the vector code has them.
 * </ul>
 */
final class SimdTwin implements ForwardKernels {
    /** The lanes of one dot product away from 16 lanes, and of every tail. */
    private final float[] lanes = new float[LANES];

    @Override
    public void matmulNT(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         MemorySegment bias, long biasOff, Pointwise f, MemorySegment z, long zOff, int ldz,
                         MemorySegment h, long hOff, int ldh, MemorySegment scratch, long scratchOff) {
        boolean inOrder = SimdNT.sumsInOrder(m, n, k, scratch, scratchOff);
        long bB = 4L * bOff, ldbB = 4L * ldb;
        for (int i = 0; i < m; i++) {
            long aRow = 4L * (aOff + (long) i * lda), zRow = 4L * (zOff + (long) i * ldz);
            if (inOrder) {
                inOrderRow(n, k, a, aRow, b, bB, ldbB, z, zRow);
            } else {
                for (int j = 0; j < n; j++) {
                    z.set(F, zRow + 4L * j, lanesDot(k, a, aRow, b, bB + j * ldbB));
                }
            }
            epilogue(f, n, z, zRow, bias, 4L * biasOff, h, 4L * (hOff + (long) i * ldh));
        }
    }

    @Override
    public boolean allFinite(long n, MemorySegment x, long xOff) {
        long xB = 4L * xOff;
        for (long i = 0; i < n; i++) {
            if (!Float.isFinite(x.get(F, xB + 4L * i))) {
                return false;
            }
        }
        return true;
    }

    /** One row of A against every row of B, each a single FMA chain over p; four rows of B at a time. */
    private static void inOrderRow(int n, int k, MemorySegment a, long aRow, MemorySegment b, long bB, long ldbB,
                                   MemorySegment z, long zRow) {
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            long b0 = bB + j * ldbB, b1 = b0 + ldbB, b2 = b1 + ldbB, b3 = b2 + ldbB;
            float c0 = 0f, c1 = 0f, c2 = 0f, c3 = 0f;
            for (int p = 0; p < k; p++) {
                long o = 4L * p;
                float x = a.get(F, aRow + o);
                c0 = Math.fma(x, b.get(F, b0 + o), c0);
                c1 = Math.fma(x, b.get(F, b1 + o), c1);
                c2 = Math.fma(x, b.get(F, b2 + o), c2);
                c3 = Math.fma(x, b.get(F, b3 + o), c3);
            }
            long zj = zRow + 4L * j;
            z.set(F, zj, c0);
            z.set(F, zj + 4, c1);
            z.set(F, zj + 8, c2);
            z.set(F, zj + 12, c3);
        }
        for (; j < n; j++) {
            long bj = bB + j * ldbB;
            float c = 0f;
            for (int p = 0; p < k; p++) {
                c = Math.fma(a.get(F, aRow + 4L * p), b.get(F, bj + 4L * p), c);
            }
            z.set(F, zRow + 4L * j, c);
        }
    }

    /** A dot product as the dot tiles sum it: by lanes, across the lanes, then the tail. */
    private float lanesDot(int k, MemorySegment a, long aB, MemorySegment b, long bB) {
        int kFull = k - k % LANES;
        float s = LANES == 16 ? dot16(kFull, a, aB, b, bB) : dotLanes(kFull, a, aB, b, bB);
        if (kFull < k) {
            for (int l = 0; l < LANES; l++) {
                // Masked lanes load 0 on both sides: their product is +0, and the tree adds it.
                long o = 4L * (kFull + l);
                lanes[l] = kFull + l < k ? a.get(F, aB + o) * b.get(F, bB + o) : 0f;
            }
            s = s + acrossLanes();
        }
        return s;
    }

    /**
     * The first kFull (a multiple of 16) products by 16 lanes, summed across them: lanes 0-7,
     * then 8-15, each half with its 8 accumulators in locals. All 16 in one loop (790 bytecodes)
     * were more than C1 could allocate registers for ("out of virtual registers"), and in 2 of 3
     * JVMs the method then stayed in tier-2 code, 10 times slower, for all of the first 1,000
     * calls (5.2-5.6 s against 0.52).
     */
    private float dot16(int kFull, MemorySegment a, long aB, MemorySegment b, long bB) {
        dot8(kFull, a, aB, b, bB, lanes, 0);
        dot8(kFull, a, aB + 32, b, bB + 32, lanes, 8);
        return acrossLanes();
    }

    /** Lanes {@code at..at+7} of a 16-lane dot product over the first kFull products, into {@code out}. */
    private static void dot8(int kFull, MemorySegment a, long aB, MemorySegment b, long bB, float[] out, int at) {
        float c0 = 0f, c1 = 0f, c2 = 0f, c3 = 0f, c4 = 0f, c5 = 0f, c6 = 0f, c7 = 0f;
        for (int p = 0; p < kFull; p += 16) {
            long ao = aB + 4L * p, bo = bB + 4L * p;
            c0 = Math.fma(a.get(F, ao), b.get(F, bo), c0);
            c1 = Math.fma(a.get(F, ao + 4), b.get(F, bo + 4), c1);
            c2 = Math.fma(a.get(F, ao + 8), b.get(F, bo + 8), c2);
            c3 = Math.fma(a.get(F, ao + 12), b.get(F, bo + 12), c3);
            c4 = Math.fma(a.get(F, ao + 16), b.get(F, bo + 16), c4);
            c5 = Math.fma(a.get(F, ao + 20), b.get(F, bo + 20), c5);
            c6 = Math.fma(a.get(F, ao + 24), b.get(F, bo + 24), c6);
            c7 = Math.fma(a.get(F, ao + 28), b.get(F, bo + 28), c7);
        }
        out[at] = c0;
        out[at + 1] = c1;
        out[at + 2] = c2;
        out[at + 3] = c3;
        out[at + 4] = c4;
        out[at + 5] = c5;
        out[at + 6] = c6;
        out[at + 7] = c7;
    }

    /** As {@link #dot16} at any lane count, with the lanes in an array. */
    private float dotLanes(int kFull, MemorySegment a, long aB, MemorySegment b, long bB) {
        Arrays.fill(lanes, 0f);
        for (int p = 0; p < kFull; p += LANES) {
            for (int l = 0; l < LANES; l++) {
                long o = 4L * (p + l);
                lanes[l] = Math.fma(a.get(F, aB + o), b.get(F, bB + o), lanes[l]);
            }
        }
        return acrossLanes();
    }

    /** The SWAP tree over {@link #lanes}: stage by stage, lane l + d into lane l, for d = L/2, ..., 1. */
    private float acrossLanes() {
        for (int d = LANES >> 1; d > 0; d >>= 1) {
            for (int l = 0; l < d; l++) {
                lanes[l] = lanes[l] + lanes[l + d];
            }
        }
        return lanes[0];
    }

    /** Z += bias (when there is one), H = f(Z), over one row, as SimdNT.biasActivate does. */
    private static void epilogue(Pointwise f, int n, MemorySegment z, long zRow, MemorySegment bias, long biasB,
                                 MemorySegment h, long hRow) {
        for (int j = 0; j < n; j++) {
            float v = z.get(F, zRow + 4L * j);
            if (bias != null) {
                // axpyRow's fma(bias, 1, z): the product is exact, so this is one rounded add.
                v = v + bias.get(F, biasB + 4L * j);
                z.set(F, zRow + 4L * j, v);
            }
            h.set(F, hRow + 4L * j, activate(f, v));
        }
    }

    /** f(v) as SimdKernels' activation rows compute a lane. */
    static float activate(Pointwise f, float v) {
        return switch (f) {
            case LINEAR -> v;
            case RELU -> Math.max(v, 0f);
            case SOFTPLUS -> softplus(v);
            case STEP -> v > 0f ? 1f : 0f;
            case LOGISTIC -> logistic(v);
            case TANH -> tanh(v);
        };
    }

    /** max(v, 0) + log1p(exp(-|v|)) by the series of softplusRow. */
    private static float softplus(float v) {
        float x0 = -Math.abs(v);
        float e = x0 < -104f ? 0f : exp(x0);
        float s = e / (e + 2f);
        float s2 = s * s;
        float series = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(s2, 1f / 15, 1f / 13),
                s2, 1f / 11), s2, 1f / 9), s2, 1f / 7), s2, 1f / 5), s2, 1f / 3), s2, 1f);
        return Math.max(v, 0f) + (s + s) * series;
    }

    /** 1 / (1 + e) for v >= 0 and e / (1 + e) below, with e = exp(-|v|), as logisticRow. */
    private static float logistic(float v) {
        float x0 = -Math.abs(v);
        float e = x0 < -104f ? 0f : exp(x0);
        return (v < 0f ? e : 1f) / (e + 1f);
    }

    /** -y / (2 + y) with y = expm1(-2|v|), its sign from v, as tanhRow. */
    private static float tanh(float v) {
        float x = Math.max(Math.abs(v) * -2f, -104f);
        float k = Math.fma(x, LOG2E, ROUNDER) - ROUNDER;
        float two = powerOfTwo(k);
        float y = Math.fma(two, expm1Remainder(x, k), two - 1f);
        float t = -y / (y + 2f);
        return v < 0f ? -t : t;
    }

    /** 2^k + 2^k q for x = k ln2 + r: the vector code's exp, before its clamp to 0 below -104. */
    private static float exp(float x0) {
        float x = Math.max(x0, -104f);
        float k = Math.fma(x, LOG2E, ROUNDER) - ROUNDER;
        float two = powerOfTwo(k);
        return Math.fma(two, expm1Remainder(x, k), two);
    }

    /** q = e^r - 1 with r = x - k ln2 (Cody and Waite), by the vector code's Taylor polynomial. */
    private static float expm1Remainder(float x, float k) {
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float q = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, E7, E6), r, E5), r, E4), r, E3), r, E2);
        return Math.fma(r * r, q, r);
    }

    /** 2^k for an integral k in [-151, 0], built as 2^(k+32) in the exponent bits and scaled by 2^-32. */
    private static float powerOfTwo(float k) {
        return Float.intBitsToFloat(((int) k + 127 + 32) << 23) * 0x1p-32f;
    }
}
