package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels on the Vector API. Loaded only by {@link KernelProvider} after it has checked that
 * {@code jdk.incubator.vector} is readable, so nothing else may name this class.
 *
 * <h2>How the products are done</h2>
 * <ul>
 *   <li><b>NN and TN</b> (input and weight gradients): the right operand {@code B[k][n]} is
 *       row-major along the output columns, so a register tile of {@link #MR} rows by {@link #NR}
 *       vectors of C accumulates {@code a(i,p) · B[p][j..j+NR·L)}: one broadcast per row, one load
 *       per vector, no reductions. NN and TN differ only in how {@code a(i,p)} is addressed.
 *   <li><b>NT</b> (forward): both operands run along k, so a tile is {@link #MR} rows of A by
 *       {@link #MR} rows of B, 16 vector accumulators of partial dot products, folded at the end
 *       by a shuffle tree into one vector of 16 results (with 512-bit vectors). Bias and
 *       activation then run on that vector, and four masked stores put its rows in place.
 *       Packing a transposed copy of W instead would cost O(n·k) per call, as much as the whole
 *       product at batch 1 and a third of it at batch 32; the fold costs 60 vector operations per
 *       16 outputs whatever the batch.
 * </ul>
 * Edges are done by smaller tiles of the same kind (1 row, 1 vector with a mask), never by masks
 * in the hot loop of the big tile.
 */
final class SimdKernels implements Kernels {
    /** Vector shape: the platform's preferred one, or {@code -Dvecmlp.vectorBits=128|256|512}. */
    static final VectorSpecies<Float> S = chooseSpecies();
    /** Lanes per vector. */
    static final int L = S.length();
    private static final long VB = (long) L * Float.BYTES;
    private static final ByteOrder BO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /**
     * Rows of the register tile. 4 rows x {@link #NR} = 4 vectors is 16 accumulators, 4 loaded
     * vectors and a broadcast: 21 of the 32 zmm registers. 6x4 (24 + 4 + 1 = 29) spilled under C2.
     */
    static final int MR = 4;
    /** Vectors (of {@link #L} floats) across the register tile of the broadcast products. */
    static final int NR = 4;
    /**
     * Rows of B kept hot (in L2) while every row block of A passes over them in the NT product:
     * about 256 KiB of B, so that B is read from L2, not L3, once per 4 rows of A.
     */
    private static final int NT_BLOCK_BYTES = 256 * 1024;

    private static final FloatVector ZERO = FloatVector.zero(S);
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final FloatVector NEG_INF = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);

    // The fold of 16 accumulators (L == 16 only): at distance d, lanes with bit d set come from
    // the second operand. See fold().
    private static final boolean FOLD = L == 16;
    private static final VectorMask<Float> M8 = FOLD ? maskWhere(8) : null;
    private static final VectorMask<Float> M4 = FOLD ? maskWhere(4) : null;
    private static final VectorMask<Float> M2 = FOLD ? maskWhere(2) : null;
    private static final VectorMask<Float> M1 = FOLD ? maskWhere(1) : null;
    private static final VectorShuffle<Float> X8 = FOLD ? VectorShuffle.fromOp(S, i -> i ^ 8) : null;
    private static final VectorShuffle<Float> X4 = FOLD ? VectorShuffle.fromOp(S, i -> i ^ 4) : null;
    private static final VectorShuffle<Float> X2 = FOLD ? VectorShuffle.fromOp(S, i -> i ^ 2) : null;
    private static final VectorShuffle<Float> X1 = FOLD ? VectorShuffle.fromOp(S, i -> i ^ 1) : null;
    /** Lane v of a folded 4x4 tile holds row v / 4, column v % 4: this repeats 4 biases 4 times. */
    private static final VectorShuffle<Float> REPEAT4 = FOLD ? VectorShuffle.fromOp(S, i -> i & 3) : null;
    private static final VectorMask<Float> FIRST4 = FOLD ? VectorMask.fromLong(S, 0xFL) : null;
    private static final VectorMask<Float> ROW0 = FIRST4;
    private static final VectorMask<Float> ROW1 = FOLD ? VectorMask.fromLong(S, 0xF0L) : null;
    private static final VectorMask<Float> ROW2 = FOLD ? VectorMask.fromLong(S, 0xF00L) : null;
    private static final VectorMask<Float> ROW3 = FOLD ? VectorMask.fromLong(S, 0xF000L) : null;

    SimdKernels() {
    }

    private static VectorSpecies<Float> chooseSpecies() {
        String bits = System.getProperty("vecmlp.vectorBits", "").trim();
        return switch (bits) {
            case "" -> FloatVector.SPECIES_PREFERRED;
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    "vecmlp.vectorBits: expected 128, 256 or 512, found '" + bits + "'");
        };
    }

    private static VectorMask<Float> maskWhere(int bit) {
        long bits = 0;
        for (int i = 0; i < L; i++) {
            if ((i & bit) != 0) {
                bits |= 1L << i;
            }
        }
        return VectorMask.fromLong(S, bits);
    }

    @Override
    public String name() {
        return "simd-" + S.vectorBitSize();
    }

    private static FloatVector load(MemorySegment s, long byteOff) {
        return FloatVector.fromMemorySegment(S, s, byteOff, BO);
    }

    private static FloatVector load(MemorySegment s, long byteOff, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, s, byteOff, BO, m);
    }

    private static FloatVector bcast(MemorySegment s, long byteOff) {
        return FloatVector.broadcast(S, s.get(F, byteOff));
    }

    // ---------------------------------------------------------------------------------------
    // Pointwise functions on vectors; the scalar definitions in Pointwise are the reference.

    static FloatVector apply(Pointwise f, FloatVector z) {
        return switch (f) {
            case LINEAR -> z;
            case RELU -> z.max(0f);
            case SOFTPLUS -> z.max(0f).add(z.abs().neg().lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P));
            case STEP -> ZERO.blend(ONE, z.compare(VectorOperators.GT, 0f));
            case LOGISTIC -> logistic(z);
            case TANH -> z.lanewise(VectorOperators.TANH);
        };
    }

    static FloatVector derivative(Pointwise f, FloatVector z, FloatVector h) {
        return switch (f) {
            case LINEAR -> ONE;
            case RELU -> ZERO.blend(ONE, z.compare(VectorOperators.GT, 0f));
            case SOFTPLUS -> logistic(z);
            case STEP -> ZERO;
            case LOGISTIC -> h.mul(ONE.sub(h));
            case TANH -> h.neg().fma(h, ONE);
        };
    }

    private static FloatVector logistic(FloatVector z) {
        return ONE.div(ONE.add(z.neg().lanewise(VectorOperators.EXP)));
    }

    // ---------------------------------------------------------------------------------------
    // NT: Z = A·Bᵀ + bias, H = f(Z).

    @Override
    public void matmulNT(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         MemorySegment bias, long biasOff, Pointwise f, MemorySegment z, long zOff, int ldz,
                         MemorySegment h, long hOff, int ldh) {
        long ldaB = 4L * lda, ldbB = 4L * ldb, ldzB = 4L * ldz, ldhB = 4L * ldh;
        long aB = 4L * aOff, bB = 4L * bOff, zB = 4L * zOff, hB = 4L * hOff, biasB = 4L * biasOff;
        int block = Math.max(MR, (int) Math.min(n, NT_BLOCK_BYTES / Math.max(1L, 4L * k)) / MR * MR);
        int mFull = FOLD ? m - m % MR : 0;
        for (int j0 = 0; j0 < n; j0 += block) {
            int jEnd = Math.min(n, j0 + block);
            int jFull = FOLD ? j0 + (jEnd - j0) / MR * MR : j0;
            for (int i = 0; i < mFull; i += MR) {
                for (int j = j0; j < jFull; j += MR) {
                    dot4x4(k, a, aB + i * ldaB, ldaB, b, bB + j * ldbB, ldbB, bias, biasB + 4L * j, f,
                            z, zB + i * ldzB + 4L * j, ldzB, h, hB + i * ldhB + 4L * j, ldhB);
                }
                for (int r = 0; r < MR && jFull < jEnd; r++) {
                    dotRow(k, a, aB + (i + r) * ldaB, b, bB, ldbB, bias, biasB, z, zB + (i + r) * ldzB, jFull, jEnd);
                    activate(f, 1, jEnd - jFull, z, zB + (i + r) * ldzB + 4L * jFull, ldzB,
                            h, hB + (i + r) * ldhB + 4L * jFull, ldhB);
                }
            }
            for (int i = mFull; i < m; i++) {
                dotRow(k, a, aB + i * ldaB, b, bB, ldbB, bias, biasB, z, zB + i * ldzB, j0, jEnd);
                activate(f, 1, jEnd - j0, z, zB + i * ldzB + 4L * j0, ldzB, h, hB + i * ldhB + 4L * j0, ldhB);
            }
        }
    }

    /**
     * A 4x4 tile of NT: rows a0..a3 of A against rows b0..b3 of B, 16 partial-sum vectors over k,
     * folded into one vector (lane 4r + c = row r, column c), then bias, activation and stores.
     */
    private static void dot4x4(int k, MemorySegment a, long aB, long ldaB, MemorySegment b, long bB, long ldbB,
                               MemorySegment bias, long biasB, Pointwise f,
                               MemorySegment z, long zB, long ldzB, MemorySegment h, long hB, long ldhB) {
        FloatVector c00 = ZERO, c01 = ZERO, c02 = ZERO, c03 = ZERO;
        FloatVector c10 = ZERO, c11 = ZERO, c12 = ZERO, c13 = ZERO;
        FloatVector c20 = ZERO, c21 = ZERO, c22 = ZERO, c23 = ZERO;
        FloatVector c30 = ZERO, c31 = ZERO, c32 = ZERO, c33 = ZERO;
        long a1 = aB + ldaB, a2 = a1 + ldaB, a3 = a2 + ldaB;
        long b1 = bB + ldbB, b2 = b1 + ldbB, b3 = b2 + ldbB;
        int kFull = k - k % L;
        for (int p = 0; p < kFull; p += L) {
            long o = 4L * p;
            FloatVector v0 = load(b, bB + o), v1 = load(b, b1 + o), v2 = load(b, b2 + o), v3 = load(b, b3 + o);
            FloatVector u = load(a, aB + o);
            c00 = u.fma(v0, c00); c01 = u.fma(v1, c01); c02 = u.fma(v2, c02); c03 = u.fma(v3, c03);
            u = load(a, a1 + o);
            c10 = u.fma(v0, c10); c11 = u.fma(v1, c11); c12 = u.fma(v2, c12); c13 = u.fma(v3, c13);
            u = load(a, a2 + o);
            c20 = u.fma(v0, c20); c21 = u.fma(v1, c21); c22 = u.fma(v2, c22); c23 = u.fma(v3, c23);
            u = load(a, a3 + o);
            c30 = u.fma(v0, c30); c31 = u.fma(v1, c31); c32 = u.fma(v2, c32); c33 = u.fma(v3, c33);
        }
        if (kFull < k) {
            // The k tail, once per tile: masked loads read nothing past the row.
            VectorMask<Float> mk = S.indexInRange(kFull, k);
            long o = 4L * kFull;
            FloatVector v0 = load(b, bB + o, mk), v1 = load(b, b1 + o, mk), v2 = load(b, b2 + o, mk), v3 = load(b, b3 + o, mk);
            FloatVector u = load(a, aB + o, mk);
            c00 = u.fma(v0, c00); c01 = u.fma(v1, c01); c02 = u.fma(v2, c02); c03 = u.fma(v3, c03);
            u = load(a, a1 + o, mk);
            c10 = u.fma(v0, c10); c11 = u.fma(v1, c11); c12 = u.fma(v2, c12); c13 = u.fma(v3, c13);
            u = load(a, a2 + o, mk);
            c20 = u.fma(v0, c20); c21 = u.fma(v1, c21); c22 = u.fma(v2, c22); c23 = u.fma(v3, c23);
            u = load(a, a3 + o, mk);
            c30 = u.fma(v0, c30); c31 = u.fma(v1, c31); c32 = u.fma(v2, c32); c33 = u.fma(v3, c33);
        }
        // Fold: at each level pair the accumulators whose tile index differs in the bit the level
        // decides, so lane v of the result ends up holding the full sum of accumulator v.
        FloatVector s0 = fold(c00, c20, M8, X8), s1 = fold(c01, c21, M8, X8);
        FloatVector s2 = fold(c02, c22, M8, X8), s3 = fold(c03, c23, M8, X8);
        FloatVector s4 = fold(c10, c30, M8, X8), s5 = fold(c11, c31, M8, X8);
        FloatVector s6 = fold(c12, c32, M8, X8), s7 = fold(c13, c33, M8, X8);
        FloatVector t0 = fold(s0, s4, M4, X4), t1 = fold(s1, s5, M4, X4);
        FloatVector t2 = fold(s2, s6, M4, X4), t3 = fold(s3, s7, M4, X4);
        FloatVector u0 = fold(t0, t2, M2, X2), u1 = fold(t1, t3, M2, X2);
        FloatVector zv = fold(u0, u1, M1, X1);
        if (bias != null) {
            zv = zv.add(load(bias, biasB, FIRST4).rearrange(REPEAT4));
        }
        FloatVector hv = apply(f, zv);
        // Row r of the tile is lanes 4r..4r+3; a masked store at (row start - 4r floats) puts
        // them at columns 0..3 of that row and touches nothing else.
        zv.intoMemorySegment(z, zB, BO, ROW0);
        zv.intoMemorySegment(z, zB + ldzB - 16, BO, ROW1);
        zv.intoMemorySegment(z, zB + 2 * ldzB - 32, BO, ROW2);
        zv.intoMemorySegment(z, zB + 3 * ldzB - 48, BO, ROW3);
        hv.intoMemorySegment(h, hB, BO, ROW0);
        hv.intoMemorySegment(h, hB + ldhB - 16, BO, ROW1);
        hv.intoMemorySegment(h, hB + 2 * ldhB - 32, BO, ROW2);
        hv.intoMemorySegment(h, hB + 3 * ldhB - 48, BO, ROW3);
    }

    /** One level of the fold: lane i gets x[i] + x[i^d] where bit d of i is clear, else y[i] + y[i^d]. */
    private static FloatVector fold(FloatVector x, FloatVector y, VectorMask<Float> m, VectorShuffle<Float> swap) {
        return x.blend(y, m).add(y.blend(x, m).rearrange(swap));
    }

    /**
     * One row of A against rows {@code j0..jEnd} of B: {@code z[j] = a · b_j + bias[j]}, four rows
     * of B at a time. Used for batches under 4 rows (batch 1 is a matrix-vector product) and for
     * tile edges. Stores Z only; the caller applies the activation to the row.
     */
    private static void dotRow(int k, MemorySegment a, long aB, MemorySegment b, long bB, long ldbB,
                               MemorySegment bias, long biasB, MemorySegment z, long zRowB, int j0, int jEnd) {
        int kFull = k - k % L;
        VectorMask<Float> mk = S.indexInRange(kFull, k);
        int j = j0;
        for (; j + 4 <= jEnd; j += 4) {
            long r0 = bB + j * ldbB, r1 = r0 + ldbB, r2 = r1 + ldbB, r3 = r2 + ldbB;
            FloatVector c0 = ZERO, c1 = ZERO, c2 = ZERO, c3 = ZERO;
            for (int p = 0; p < kFull; p += L) {
                long o = 4L * p;
                FloatVector u = load(a, aB + o);
                c0 = u.fma(load(b, r0 + o), c0);
                c1 = u.fma(load(b, r1 + o), c1);
                c2 = u.fma(load(b, r2 + o), c2);
                c3 = u.fma(load(b, r3 + o), c3);
            }
            if (kFull < k) {
                long o = 4L * kFull;
                FloatVector u = load(a, aB + o, mk);
                c0 = u.fma(load(b, r0 + o, mk), c0);
                c1 = u.fma(load(b, r1 + o, mk), c1);
                c2 = u.fma(load(b, r2 + o, mk), c2);
                c3 = u.fma(load(b, r3 + o, mk), c3);
            }
            storeDot(c0, bias, biasB, j, z, zRowB);
            storeDot(c1, bias, biasB, j + 1, z, zRowB);
            storeDot(c2, bias, biasB, j + 2, z, zRowB);
            storeDot(c3, bias, biasB, j + 3, z, zRowB);
        }
        for (; j < jEnd; j++) {
            long r0 = bB + j * ldbB;
            FloatVector c0 = ZERO;
            for (int p = 0; p < kFull; p += L) {
                long o = 4L * p;
                c0 = load(a, aB + o).fma(load(b, r0 + o), c0);
            }
            if (kFull < k) {
                long o = 4L * kFull;
                c0 = load(a, aB + o, mk).fma(load(b, r0 + o, mk), c0);
            }
            storeDot(c0, bias, biasB, j, z, zRowB);
        }
    }

    private static void storeDot(FloatVector acc, MemorySegment bias, long biasB, int j, MemorySegment z, long zRowB) {
        float v = acc.reduceLanes(VectorOperators.ADD);
        if (bias != null) {
            v += bias.get(F, biasB + 4L * j);
        }
        z.set(F, zRowB + 4L * j, v);
    }

    // ---------------------------------------------------------------------------------------
    // NN and TN: C = Σ_p a(i,p) · B[p][:], with a(i,p) at aB + i·arsB + p·acsB.

    @Override
    public void matmulNN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         Pointwise f, MemorySegment z, long zOff, int ldz, MemorySegment h, long hOff, int ldh,
                         MemorySegment c, long cOff, int ldc) {
        Pointwise g = f == Pointwise.LINEAR ? null : f;
        broadcastProduct(m, n, k, a, 4L * aOff, 4L * lda, 4L, b, 4L * bOff, 4L * ldb, c, 4L * cOff, 4L * ldc,
                g, z, 4L * zOff, 4L * ldz, h, 4L * hOff, 4L * ldh, 0f, null, 0, 0);
    }

    @Override
    public void matmulTN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         float lambda, MemorySegment w, long wOff, int ldw, MemorySegment c, long cOff, int ldc) {
        broadcastProduct(m, n, k, a, 4L * aOff, 4L, 4L * lda, b, 4L * bOff, 4L * ldb, c, 4L * cOff, 4L * ldc,
                null, null, 0, 0, null, 0, 0, lambda, w, 4L * wOff, 4L * ldw);
    }

    /**
     * Panels of {@link #NR} vectors of columns (a k x 64 panel of B stays in L2), each swept by all row blocks of A while it is hot;
     * within a panel, {@link #MR} x {@link #NR}-vector tiles, then narrower tiles at the edges.
     * The epilogue (derivative or L2 term) runs on each tile while it is still in L1.
     */
    private static void broadcastProduct(int m, int n, int k,
                                         MemorySegment a, long aB, long arsB, long acsB,
                                         MemorySegment b, long bB, long ldbB,
                                         MemorySegment c, long cB, long ldcB,
                                         Pointwise f, MemorySegment z, long zB, long ldzB, MemorySegment h, long hB, long ldhB,
                                         float lambda, MemorySegment w, long wB, long ldwB) {
        int panel = NR * L;
        int mFull = m - m % MR;
        for (int j0 = 0; j0 < n; j0 += panel) {
            int width = Math.min(panel, n - j0);
            long col = 4L * j0;
            for (int i = 0; i < m; ) {
                int rows = i < mFull ? MR : 1;
                long aRow = aB + i * arsB;
                long cRow = cB + i * ldcB + col;
                if (width == panel) {
                    if (rows == MR) {
                        bcast4x4(k, a, aRow, arsB, acsB, b, bB + col, ldbB, c, cRow, ldcB);
                    } else {
                        bcast1x4(k, a, aRow, acsB, b, bB + col, ldbB, c, cRow);
                    }
                } else {
                    for (int j = 0; j < width; j += L) {
                        VectorMask<Float> mj = S.indexInRange(j, width);
                        if (rows == MR) {
                            bcast4x1(k, a, aRow, arsB, acsB, b, bB + col + 4L * j, ldbB, c, cRow + 4L * j, ldcB, mj);
                        } else {
                            bcast1x1(k, a, aRow, acsB, b, bB + col + 4L * j, ldbB, c, cRow + 4L * j, mj);
                        }
                    }
                }
                if (f != null || lambda != 0f) {
                    epilogue(rows, width, c, cRow, ldcB, f, z, zB + i * ldzB + col, ldzB, h, hB + i * ldhB + col, ldhB,
                            lambda, w, wB + i * ldwB + col, ldwB);
                }
                i += rows;
            }
        }
    }

    private static void bcast4x4(int k, MemorySegment a, long aB, long arsB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB) {
        FloatVector c00 = ZERO, c01 = ZERO, c02 = ZERO, c03 = ZERO;
        FloatVector c10 = ZERO, c11 = ZERO, c12 = ZERO, c13 = ZERO;
        FloatVector c20 = ZERO, c21 = ZERO, c22 = ZERO, c23 = ZERO;
        FloatVector c30 = ZERO, c31 = ZERO, c32 = ZERO, c33 = ZERO;
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB;
        for (int p = 0; p < k; p++) {
            long pb = bB + p * ldbB, pa = p * acsB;
            FloatVector v0 = load(b, pb), v1 = load(b, pb + VB), v2 = load(b, pb + 2 * VB), v3 = load(b, pb + 3 * VB);
            FloatVector u = bcast(a, aB + pa);
            c00 = v0.fma(u, c00); c01 = v1.fma(u, c01); c02 = v2.fma(u, c02); c03 = v3.fma(u, c03);
            u = bcast(a, a1 + pa);
            c10 = v0.fma(u, c10); c11 = v1.fma(u, c11); c12 = v2.fma(u, c12); c13 = v3.fma(u, c13);
            u = bcast(a, a2 + pa);
            c20 = v0.fma(u, c20); c21 = v1.fma(u, c21); c22 = v2.fma(u, c22); c23 = v3.fma(u, c23);
            u = bcast(a, a3 + pa);
            c30 = v0.fma(u, c30); c31 = v1.fma(u, c31); c32 = v2.fma(u, c32); c33 = v3.fma(u, c33);
        }
        long r1 = cB + ldcB, r2 = r1 + ldcB, r3 = r2 + ldcB;
        c00.intoMemorySegment(c, cB, BO); c01.intoMemorySegment(c, cB + VB, BO);
        c02.intoMemorySegment(c, cB + 2 * VB, BO); c03.intoMemorySegment(c, cB + 3 * VB, BO);
        c10.intoMemorySegment(c, r1, BO); c11.intoMemorySegment(c, r1 + VB, BO);
        c12.intoMemorySegment(c, r1 + 2 * VB, BO); c13.intoMemorySegment(c, r1 + 3 * VB, BO);
        c20.intoMemorySegment(c, r2, BO); c21.intoMemorySegment(c, r2 + VB, BO);
        c22.intoMemorySegment(c, r2 + 2 * VB, BO); c23.intoMemorySegment(c, r2 + 3 * VB, BO);
        c30.intoMemorySegment(c, r3, BO); c31.intoMemorySegment(c, r3 + VB, BO);
        c32.intoMemorySegment(c, r3 + 2 * VB, BO); c33.intoMemorySegment(c, r3 + 3 * VB, BO);
    }

    private static void bcast1x4(int k, MemorySegment a, long aB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB) {
        // Two accumulator sets over even and odd p: 8 independent FMA chains hide the 4-cycle
        // latency that 4 chains alone would expose at batch 1.
        FloatVector c0 = ZERO, c1 = ZERO, c2 = ZERO, c3 = ZERO;
        FloatVector d0 = ZERO, d1 = ZERO, d2 = ZERO, d3 = ZERO;
        int p = 0;
        for (; p + 1 < k; p += 2) {
            long pb = bB + p * ldbB, qb = pb + ldbB;
            FloatVector u = bcast(a, aB + p * acsB);
            FloatVector t = bcast(a, aB + (p + 1) * acsB);
            c0 = load(b, pb).fma(u, c0);
            c1 = load(b, pb + VB).fma(u, c1);
            c2 = load(b, pb + 2 * VB).fma(u, c2);
            c3 = load(b, pb + 3 * VB).fma(u, c3);
            d0 = load(b, qb).fma(t, d0);
            d1 = load(b, qb + VB).fma(t, d1);
            d2 = load(b, qb + 2 * VB).fma(t, d2);
            d3 = load(b, qb + 3 * VB).fma(t, d3);
        }
        if (p < k) {
            long pb = bB + p * ldbB;
            FloatVector u = bcast(a, aB + p * acsB);
            c0 = load(b, pb).fma(u, c0);
            c1 = load(b, pb + VB).fma(u, c1);
            c2 = load(b, pb + 2 * VB).fma(u, c2);
            c3 = load(b, pb + 3 * VB).fma(u, c3);
        }
        c0.add(d0).intoMemorySegment(c, cB, BO);
        c1.add(d1).intoMemorySegment(c, cB + VB, BO);
        c2.add(d2).intoMemorySegment(c, cB + 2 * VB, BO);
        c3.add(d3).intoMemorySegment(c, cB + 3 * VB, BO);
    }

    private static void bcast4x1(int k, MemorySegment a, long aB, long arsB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB,
                                 VectorMask<Float> mj) {
        FloatVector c0 = ZERO, c1 = ZERO, c2 = ZERO, c3 = ZERO;
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB;
        for (int p = 0; p < k; p++) {
            long pa = p * acsB;
            FloatVector v = load(b, bB + p * ldbB, mj);
            c0 = v.fma(bcast(a, aB + pa), c0);
            c1 = v.fma(bcast(a, a1 + pa), c1);
            c2 = v.fma(bcast(a, a2 + pa), c2);
            c3 = v.fma(bcast(a, a3 + pa), c3);
        }
        c0.intoMemorySegment(c, cB, BO, mj);
        c1.intoMemorySegment(c, cB + ldcB, BO, mj);
        c2.intoMemorySegment(c, cB + 2 * ldcB, BO, mj);
        c3.intoMemorySegment(c, cB + 3 * ldcB, BO, mj);
    }

    private static void bcast1x1(int k, MemorySegment a, long aB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, VectorMask<Float> mj) {
        FloatVector c0 = ZERO, c1 = ZERO;
        int p = 0;
        for (; p + 1 < k; p += 2) {
            c0 = load(b, bB + p * ldbB, mj).fma(bcast(a, aB + p * acsB), c0);
            c1 = load(b, bB + (p + 1) * ldbB, mj).fma(bcast(a, aB + (p + 1) * acsB), c1);
        }
        if (p < k) {
            c0 = load(b, bB + p * ldbB, mj).fma(bcast(a, aB + p * acsB), c0);
        }
        c0.add(c1).intoMemorySegment(c, cB, BO, mj);
    }

    /** C ∘= f'(Z, H) and/or C += lambda·W over a tile. */
    private static void epilogue(int rows, int width, MemorySegment c, long cB, long ldcB,
                                 Pointwise f, MemorySegment z, long zB, long ldzB, MemorySegment h, long hB, long ldhB,
                                 float lambda, MemorySegment w, long wB, long ldwB) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < width; j += L) {
                VectorMask<Float> mj = S.indexInRange(j, width);
                long o = 4L * j;
                long cj = cB + r * ldcB + o;
                FloatVector v = load(c, cj, mj);
                if (f != null) {
                    v = v.mul(derivative(f, load(z, zB + r * ldzB + o, mj), load(h, hB + r * ldhB + o, mj)));
                }
                if (lambda != 0f) {
                    v = load(w, wB + r * ldwB + o, mj).fma(FloatVector.broadcast(S, lambda), v);
                }
                v.intoMemorySegment(c, cj, BO, mj);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Batch 1 weight gradient, elementwise, losses, reductions.

    @Override
    public void outer(int m, int n, MemorySegment x, long xOff, MemorySegment y, long yOff, float lambda,
                      MemorySegment w, long wOff, int ldw, MemorySegment c, long cOff, int ldc) {
        long yB = 4L * yOff;
        for (int i = 0; i < m; i++) {
            FloatVector xi = bcast(x, 4L * (xOff + i));
            long cRow = 4L * (cOff + (long) i * ldc), wRow = 4L * (wOff + (long) i * ldw);
            for (int j = 0; j < n; j += L) {
                VectorMask<Float> mj = S.indexInRange(j, n);
                long o = 4L * j;
                FloatVector v = load(y, yB + o, mj).mul(xi);
                if (lambda != 0f) {
                    v = load(w, wRow + o, mj).fma(FloatVector.broadcast(S, lambda), v);
                }
                v.intoMemorySegment(c, cRow + o, BO, mj);
            }
        }
    }

    @Override
    public void activate(Pointwise f, int rows, int cols, MemorySegment z, long zOff, int ldz,
                         MemorySegment h, long hOff, int ldh) {
        activate(f, rows, cols, z, 4L * zOff, 4L * ldz, h, 4L * hOff, 4L * ldh);
    }

    private static void activate(Pointwise f, int rows, int cols, MemorySegment z, long zB, long ldzB,
                                 MemorySegment h, long hB, long ldhB) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j += L) {
                VectorMask<Float> mj = S.indexInRange(j, cols);
                long o = 4L * j;
                apply(f, load(z, zB + r * ldzB + o, mj)).intoMemorySegment(h, hB + r * ldhB + o, BO, mj);
            }
        }
    }

    @Override
    public void multiplyDerivative(Pointwise f, int rows, int cols, MemorySegment z, long zOff, int ldz,
                                   MemorySegment h, long hOff, int ldh, MemorySegment g, long gOff, int ldg) {
        epilogue(rows, cols, g, 4L * gOff, 4L * ldg, f, z, 4L * zOff, 4L * ldz, h, 4L * hOff, 4L * ldh, 0f, null, 0, 0);
    }

    @Override
    public double softmaxCrossEntropy(int rows, int cols, MemorySegment z, long zOff, int ldz,
                                      MemorySegment t, long tOff, int ldt, float scale,
                                      MemorySegment g, long gOff, int ldg) {
        double total = 0.0;
        for (int r = 0; r < rows; r++) {
            long zr = 4L * (zOff + (long) r * ldz), tr = 4L * (tOff + (long) r * ldt), gr = 4L * (gOff + (long) r * ldg);
            FloatVector mx = NEG_INF;
            for (int j = 0; j < cols; j += L) {
                VectorMask<Float> mj = S.indexInRange(j, cols);
                mx = mx.lanewise(VectorOperators.MAX, load(z, zr + 4L * j, mj), mj);
            }
            float max = mx.reduceLanes(VectorOperators.MAX);
            FloatVector se = ZERO, st = ZERO, stz = ZERO;
            for (int j = 0; j < cols; j += L) {
                VectorMask<Float> mj = S.indexInRange(j, cols);
                FloatVector zv = load(z, zr + 4L * j, mj), tv = load(t, tr + 4L * j, mj);
                se = se.add(zv.sub(max).lanewise(VectorOperators.EXP), mj);
                st = st.add(tv);
                stz = tv.fma(zv, stz);
            }
            double sumT = st.reduceLanes(VectorOperators.ADD);
            float lse = (float) (max + Math.log(se.reduceLanes(VectorOperators.ADD)));
            total += sumT * lse - stz.reduceLanes(VectorOperators.ADD);
            float s = (float) sumT;
            for (int j = 0; j < cols; j += L) {
                VectorMask<Float> mj = S.indexInRange(j, cols);
                FloatVector zv = load(z, zr + 4L * j, mj), tv = load(t, tr + 4L * j, mj);
                zv.sub(lse).lanewise(VectorOperators.EXP).mul(s).sub(tv).mul(scale)
                        .intoMemorySegment(g, gr + 4L * j, BO, mj);
            }
        }
        return total;
    }

    @Override
    public double squaredError(int rows, int cols, MemorySegment y, long yOff, int ldy,
                               MemorySegment t, long tOff, int ldt, float scale,
                               MemorySegment g, long gOff, int ldg) {
        double total = 0.0;
        for (int r = 0; r < rows; r++) {
            long yr = 4L * (yOff + (long) r * ldy), tr = 4L * (tOff + (long) r * ldt), gr = 4L * (gOff + (long) r * ldg);
            FloatVector sq = ZERO;
            for (int j = 0; j < cols; j += L) {
                VectorMask<Float> mj = S.indexInRange(j, cols);
                FloatVector d = load(y, yr + 4L * j, mj).sub(load(t, tr + 4L * j, mj));
                sq = d.fma(d, sq);
                d.mul(scale).intoMemorySegment(g, gr + 4L * j, BO, mj);
            }
            total += 0.5 * sq.reduceLanes(VectorOperators.ADD);
        }
        return total;
    }

    @Override
    public void columnSums(int rows, int cols, MemorySegment a, long aOff, int lda, MemorySegment out, long outOff) {
        long aB = 4L * aOff, ldaB = 4L * lda;
        for (int j = 0; j < cols; j += L) {
            VectorMask<Float> mj = S.indexInRange(j, cols);
            long o = 4L * j;
            FloatVector s0 = ZERO, s1 = ZERO;
            int i = 0;
            for (; i + 1 < rows; i += 2) {
                s0 = s0.add(load(a, aB + i * ldaB + o, mj));
                s1 = s1.add(load(a, aB + (i + 1) * ldaB + o, mj));
            }
            if (i < rows) {
                s0 = s0.add(load(a, aB + i * ldaB + o, mj));
            }
            s0.add(s1).intoMemorySegment(out, 4L * outOff + o, BO, mj);
        }
    }

    @Override
    public void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long xB = 4L * xOff, yB = 4L * yOff;
        long full = n - n % L;
        for (long i = 0; i < full; i += L) {
            long o = 4L * i;
            load(x, xB + o).fma(FloatVector.broadcast(S, alpha), load(y, yB + o)).intoMemorySegment(y, yB + o, BO);
        }
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            y.set(F, yB + o, Math.fma(alpha, x.get(F, xB + o), y.get(F, yB + o)));
        }
    }

    @Override
    public void scale(long n, float alpha, MemorySegment x, long xOff) {
        long xB = 4L * xOff;
        long full = n - n % L;
        for (long i = 0; i < full; i += L) {
            long o = 4L * i;
            load(x, xB + o).mul(alpha).intoMemorySegment(x, xB + o, BO);
        }
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            x.set(F, xB + o, alpha * x.get(F, xB + o));
        }
    }

    @Override
    public double sumOfSquares(long n, MemorySegment x, long xOff) {
        long xB = 4L * xOff;
        long full = n - n % L;
        FloatVector s = ZERO;
        double total = 0.0;
        // Flush the float accumulator into double every 4096 vectors so long slabs keep precision.
        long flushEvery = 4096L * L;
        for (long i = 0; i < full; i += L) {
            FloatVector v = load(x, xB + 4L * i);
            s = v.fma(v, s);
            if ((i + L) % flushEvery == 0) {
                total += s.reduceLanes(VectorOperators.ADD);
                s = ZERO;
            }
        }
        total += s.reduceLanes(VectorOperators.ADD);
        for (long i = full; i < n; i++) {
            double v = x.get(F, xB + 4L * i);
            total += v * v;
        }
        return total;
    }
}
