package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import static dev.vecmlp.kernel.SimdPointwise.axpyRow;
import static dev.vecmlp.kernel.SimdPointwise.biasActivate;
import static dev.vecmlp.kernel.SimdPointwise.derivativeRow;
import static dev.vecmlp.kernel.SimdShape.BO;
import static dev.vecmlp.kernel.SimdShape.F;
import static dev.vecmlp.kernel.SimdShape.IOTA;
import static dev.vecmlp.kernel.SimdShape.LANES;
import static dev.vecmlp.kernel.SimdShape.MR;
import static dev.vecmlp.kernel.SimdShape.MR_WIDE;
import static dev.vecmlp.kernel.SimdShape.NR;
import static dev.vecmlp.kernel.SimdShape.ROWS_6X4;
import static dev.vecmlp.kernel.SimdShape.SPECIES;
import static dev.vecmlp.kernel.SimdShape.SWAP_ROWS;
import static dev.vecmlp.kernel.SimdShape.TALL_ROWS;
import static dev.vecmlp.kernel.SimdShape.VB;
import static dev.vecmlp.kernel.SimdShape.WIDE_MIN;
import static jdk.incubator.vector.VectorOperators.LT;

/**
 * The broadcast products of {@link SimdKernels}: NN and TN, and the packed and swapped forms of
 * NT, as register tiles of rows of A broadcast against vectors of a panel of B, each lane summing
 * its element in p order, one FMA a step, from zero.
 */
final class SimdBroadcast {
    private SimdBroadcast() {
    }

    // ---------------------------------------------------------------------------------------
    // NN and TN: C = Σ_p a(i,p) · B[p][:], with a(i,p) at aB + i·arsB + p·acsB.

    static void matmulNN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         Pointwise f, MemorySegment z, long zOff, int ldz, MemorySegment h, long hOff, int ldh,
                         MemorySegment c, long cOff, int ldc) {
        Pointwise g = f == Pointwise.LINEAR ? null : f;
        broadcastProduct(m, n, k, a, 4L * aOff, 4L * lda, 4L, b, 4L * bOff, 4L * ldb, 4L, c, 4L * cOff, 4L * ldc, false,
                g, z, 4L * zOff, 4L * ldz, h, 4L * hOff, 4L * ldh, 0f, null, 0, 0);
    }

    static void matmulTN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         float lambda, MemorySegment w, long wOff, int ldw, MemorySegment c, long cOff, int ldc) {
        broadcastProduct(m, n, k, a, 4L * aOff, 4L, 4L * lda, b, 4L * bOff, 4L * ldb, 4L, c, 4L * cOff, 4L * ldc, false,
                null, null, 0, 0, null, 0, 0, lambda, w, 4L * wOff, 4L * ldw);
    }

    /**
     * Panels of {@link SimdShape#NR} vectors of columns (a k x 64 panel of B stays in L2), each swept by
     * all row blocks of A while it is hot; within a panel, {@link SimdShape#MR} x {@link SimdShape#NR}-vector tiles,
     * then narrower tiles at the edges. Panel j0 of B starts {@code j0 * colB} bytes in: 4 for a
     * row-major B, 4k for the packed panels of NT. The epilogue runs on each tile while it is
     * still in L1: bias and activation ({@code forward}, with {@code w} the bias), else the
     * derivative and/or the L2 term.
     */
    static void broadcastProduct(int m, int n, int k,
                                         MemorySegment a, long aB, long arsB, long acsB,
                                         MemorySegment b, long bB, long ldbB, long colB,
                                         MemorySegment c, long cB, long ldcB, boolean forward,
                                         Pointwise f, MemorySegment z, long zB, long ldzB, MemorySegment h, long hB, long ldhB,
                                         float lambda, MemorySegment w, long wB, long ldwB) {
        int panel = NR * LANES;
        for (int j0 = 0; j0 < n; j0 += panel) {
            int width = Math.min(panel, n - j0);
            long col = 4L * j0;
            long bPanel = bB + j0 * colB;
            // Tiles of MR_WIDE rows across full panels of products of at least WIDE_MIN rows and
            // inner dimension, MR rows elsewhere;
            // single rows only when the whole product has fewer than MR. The last tile moves up
            // to end at row m, over rows a tile before it has done: it writes the same values
            // again, since every tile sums a row in the same order, and so no row of a product
            // of MR rows or more is ever summed in another order (see SPLIT_ALIGN_ROWS in Predictor).
            int tile = m < MR ? 1 : width == panel && m >= WIDE_MIN && k >= WIDE_MIN ? MR_WIDE : MR;
            if (tile == TALL_ROWS && acsB != 4) {
                tile = ROWS_6X4;
            }
            for (int i = 0; i < m; ) {
                int rows = tile;
                if (i + rows > m) {
                    i = m - rows;
                }
                long aRow = aB + i * arsB;
                long cRow = cB + i * ldcB + col;
                if (width == panel) {
                    if (rows == MR) {
                        bcast4x4(k, a, aRow, arsB, acsB, b, bPanel, ldbB, c, cRow, ldcB);
                    } else if (rows == TALL_ROWS) {
                        // The panel as two halves of 2 vectors (see MR_WIDE).
                        bcast10x2(k, a, aRow, arsB, b, bPanel, ldbB, c, cRow, ldcB);
                        bcast10x2(k, a, aRow, arsB, b, bPanel + 2 * VB, ldbB, c, cRow + 2 * VB, ldcB);
                    } else if (rows == 1) {
                        bcast1x4(k, a, aRow, acsB, b, bPanel, ldbB, c, cRow);
                    } else {
                        bcast6x4(k, a, aRow, arsB, acsB, b, bPanel, ldbB, c, cRow, ldcB);
                    }
                } else {
                    for (int j = 0; j < width; j += LANES) {
                        if (rows == MR) {
                            bcast4x1(k, a, aRow, arsB, acsB, b, bPanel + 4L * j, ldbB, c, cRow + 4L * j, ldcB, width - j);
                        } else {
                            bcast1x1(k, a, aRow, acsB, b, bPanel + 4L * j, ldbB, c, cRow + 4L * j, width - j);
                        }
                    }
                }
                if (forward) {
                    // The forward epilogue (packed NT): w is the bias (or null), h gets f(C + bias).
                    biasActivate(f, rows, width, c, cRow, ldcB, w, wB + col, h, hB + i * ldhB + col, ldhB);
                } else if (f != null || lambda != 0f) {
                    epilogue(rows, width, c, cRow, ldcB, f, z, zB + i * ldzB + col, ldzB, h, hB + i * ldhB + col, ldhB,
                            lambda, w, wB + i * ldwB + col, ldwB);
                }
                i += rows;
            }
        }
    }

    static void bcast4x4(int k, MemorySegment a, long aB, long arsB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = FloatVector.zero(SPECIES);
        FloatVector c02 = FloatVector.zero(SPECIES), c03 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES), c11 = FloatVector.zero(SPECIES);
        FloatVector c12 = FloatVector.zero(SPECIES), c13 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES), c21 = FloatVector.zero(SPECIES);
        FloatVector c22 = FloatVector.zero(SPECIES), c23 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES), c31 = FloatVector.zero(SPECIES);
        FloatVector c32 = FloatVector.zero(SPECIES), c33 = FloatVector.zero(SPECIES);
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB;
        for (int p = 0; p < k; p++) {
            long pb = bB + p * ldbB, pa = p * acsB;
            FloatVector v0 = FloatVector.fromMemorySegment(SPECIES, b, pb, BO);
            FloatVector v1 = FloatVector.fromMemorySegment(SPECIES, b, pb + VB, BO);
            FloatVector v2 = FloatVector.fromMemorySegment(SPECIES, b, pb + 2 * VB, BO);
            FloatVector v3 = FloatVector.fromMemorySegment(SPECIES, b, pb + 3 * VB, BO);
            FloatVector u = FloatVector.broadcast(SPECIES, a.get(F, aB + pa));
            c00 = v0.fma(u, c00); c01 = v1.fma(u, c01); c02 = v2.fma(u, c02); c03 = v3.fma(u, c03);
            u = FloatVector.broadcast(SPECIES, a.get(F, a1 + pa));
            c10 = v0.fma(u, c10); c11 = v1.fma(u, c11); c12 = v2.fma(u, c12); c13 = v3.fma(u, c13);
            u = FloatVector.broadcast(SPECIES, a.get(F, a2 + pa));
            c20 = v0.fma(u, c20); c21 = v1.fma(u, c21); c22 = v2.fma(u, c22); c23 = v3.fma(u, c23);
            u = FloatVector.broadcast(SPECIES, a.get(F, a3 + pa));
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

    /**
     * The {@link SimdShape#ROWS_6X4} x {@link SimdShape#NR} tile: bcast4x4 with two more rows, each summed in the
     * same order. One zero vector for all 24 accumulators: with 24 calls of zero() the method was
     * 1,179 bytecodes, C1 gave up at tier 3 ("out of virtual registers"), and in 3 of 4 JVMs the
     * tile stayed in tier-2 code with boxed vectors for good (network A's batch-32 pass 46 ms,
     * not 0.8); at 1,091 bytecodes C1 compiles it and C2 follows.
     */
    static void bcast6x4(int k, MemorySegment a, long aB, long arsB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB) {
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector c00 = zero, c01 = zero, c02 = zero, c03 = zero, c10 = zero, c11 = zero, c12 = zero, c13 = zero;
        FloatVector c20 = zero, c21 = zero, c22 = zero, c23 = zero, c30 = zero, c31 = zero, c32 = zero, c33 = zero;
        FloatVector c40 = zero, c41 = zero, c42 = zero, c43 = zero, c50 = zero, c51 = zero, c52 = zero, c53 = zero;
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB, a4 = a3 + arsB, a5 = a4 + arsB;
        for (int p = 0; p < k; p++) {
            long pb = bB + p * ldbB, pa = p * acsB;
            FloatVector v0 = FloatVector.fromMemorySegment(SPECIES, b, pb, BO);
            FloatVector v1 = FloatVector.fromMemorySegment(SPECIES, b, pb + VB, BO);
            FloatVector v2 = FloatVector.fromMemorySegment(SPECIES, b, pb + 2 * VB, BO);
            FloatVector v3 = FloatVector.fromMemorySegment(SPECIES, b, pb + 3 * VB, BO);
            FloatVector u = FloatVector.broadcast(SPECIES, a.get(F, aB + pa));
            c00 = v0.fma(u, c00); c01 = v1.fma(u, c01); c02 = v2.fma(u, c02); c03 = v3.fma(u, c03);
            u = FloatVector.broadcast(SPECIES, a.get(F, a1 + pa));
            c10 = v0.fma(u, c10); c11 = v1.fma(u, c11); c12 = v2.fma(u, c12); c13 = v3.fma(u, c13);
            u = FloatVector.broadcast(SPECIES, a.get(F, a2 + pa));
            c20 = v0.fma(u, c20); c21 = v1.fma(u, c21); c22 = v2.fma(u, c22); c23 = v3.fma(u, c23);
            u = FloatVector.broadcast(SPECIES, a.get(F, a3 + pa));
            c30 = v0.fma(u, c30); c31 = v1.fma(u, c31); c32 = v2.fma(u, c32); c33 = v3.fma(u, c33);
            u = FloatVector.broadcast(SPECIES, a.get(F, a4 + pa));
            c40 = v0.fma(u, c40); c41 = v1.fma(u, c41); c42 = v2.fma(u, c42); c43 = v3.fma(u, c43);
            u = FloatVector.broadcast(SPECIES, a.get(F, a5 + pa));
            c50 = v0.fma(u, c50); c51 = v1.fma(u, c51); c52 = v2.fma(u, c52); c53 = v3.fma(u, c53);
        }
        long r1 = cB + ldcB, r2 = r1 + ldcB, r3 = r2 + ldcB, r4 = r3 + ldcB, r5 = r4 + ldcB;
        c00.intoMemorySegment(c, cB, BO); c01.intoMemorySegment(c, cB + VB, BO);
        c02.intoMemorySegment(c, cB + 2 * VB, BO); c03.intoMemorySegment(c, cB + 3 * VB, BO);
        c10.intoMemorySegment(c, r1, BO); c11.intoMemorySegment(c, r1 + VB, BO);
        c12.intoMemorySegment(c, r1 + 2 * VB, BO); c13.intoMemorySegment(c, r1 + 3 * VB, BO);
        c20.intoMemorySegment(c, r2, BO); c21.intoMemorySegment(c, r2 + VB, BO);
        c22.intoMemorySegment(c, r2 + 2 * VB, BO); c23.intoMemorySegment(c, r2 + 3 * VB, BO);
        c30.intoMemorySegment(c, r3, BO); c31.intoMemorySegment(c, r3 + VB, BO);
        c32.intoMemorySegment(c, r3 + 2 * VB, BO); c33.intoMemorySegment(c, r3 + 3 * VB, BO);
        c40.intoMemorySegment(c, r4, BO); c41.intoMemorySegment(c, r4 + VB, BO);
        c42.intoMemorySegment(c, r4 + 2 * VB, BO); c43.intoMemorySegment(c, r4 + 3 * VB, BO);
        c50.intoMemorySegment(c, r5, BO); c51.intoMemorySegment(c, r5 + VB, BO);
        c52.intoMemorySegment(c, r5 + 2 * VB, BO); c53.intoMemorySegment(c, r5 + 3 * VB, BO);
    }

    /**
     * The swapped product's tile: {@link SimdShape#SWAP_ROWS} rows by 2 vectors, each row summed as in
     * bcast4x4. A's rows are contiguous (the rows of B of the product asked for), and the loads
     * are addressed as such: with a stride passed in (p · acsB) NT 32x784x512 ran at 115
     * GFLOP/s, with 4p at 156 (MatmulReport, Zen 5). 8 rows, not 12: the same speed within
     * the noise (NT 32x784x512 140-199 µs against 139-166), and C2 compiles it sooner (at
     * 1,190 bytecodes, 0.75 s; ./vecmlp train's first epoch took 3.7 s, not 2.3-2.5).
     */
    /**
     * The tall tile: 10 rows x 2 vectors, 20 accumulators, 2 vectors of the panel loaded per
     * step for 20 FMAs where bcast6x4 loads 4 for 24 (see {@link SimdShape#MR_WIDE}). Rows of A run along
     * p (a(i,p) at aB + i·arsB + 4p, as in bcast8x2): with a column stride in a register too, the
     * row addresses and the loop's own outgrew the 16 general registers and NN 256x512x784 ran
     * at 91-97 GFLOP/s against 122-134 (Intel, cpu family 6), so TN keeps the 6x4 tile. Ten rows,
     * not twelve: at 1,194 bytecodes a 12x2 tile was more than C1 could allocate registers for
     * ("out of virtual registers"); where tier-2 code came first the tile then stayed there,
     * boxing every vector, for the rest of an 85 s test (ZeroAllocationTest, 1.8 GB a window of
     * calls). This one is 1,005 bytecodes, bcast6x4 1,091.
     */
    static void bcast10x2(int k, MemorySegment a, long aB, long arsB,
                          MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB) {
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero;
        FloatVector c21 = zero, c30 = zero, c31 = zero, c40 = zero, c41 = zero;
        FloatVector c50 = zero, c51 = zero, c60 = zero, c61 = zero, c70 = zero;
        FloatVector c71 = zero, c80 = zero, c81 = zero, c90 = zero, c91 = zero;
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB, a4 = a3 + arsB, a5 = a4 + arsB;
        long a6 = a5 + arsB, a7 = a6 + arsB, a8 = a7 + arsB, a9 = a8 + arsB;
        for (int p = 0; p < k; p++) {
            long pb = bB + p * ldbB, pa = 4L * p;
            FloatVector v0 = FloatVector.fromMemorySegment(SPECIES, b, pb, BO);
            FloatVector v1 = FloatVector.fromMemorySegment(SPECIES, b, pb + VB, BO);
            FloatVector u;
            u = FloatVector.broadcast(SPECIES, a.get(F, aB + pa));
            c00 = v0.fma(u, c00); c01 = v1.fma(u, c01);
            u = FloatVector.broadcast(SPECIES, a.get(F, a1 + pa));
            c10 = v0.fma(u, c10); c11 = v1.fma(u, c11);
            u = FloatVector.broadcast(SPECIES, a.get(F, a2 + pa));
            c20 = v0.fma(u, c20); c21 = v1.fma(u, c21);
            u = FloatVector.broadcast(SPECIES, a.get(F, a3 + pa));
            c30 = v0.fma(u, c30); c31 = v1.fma(u, c31);
            u = FloatVector.broadcast(SPECIES, a.get(F, a4 + pa));
            c40 = v0.fma(u, c40); c41 = v1.fma(u, c41);
            u = FloatVector.broadcast(SPECIES, a.get(F, a5 + pa));
            c50 = v0.fma(u, c50); c51 = v1.fma(u, c51);
            u = FloatVector.broadcast(SPECIES, a.get(F, a6 + pa));
            c60 = v0.fma(u, c60); c61 = v1.fma(u, c61);
            u = FloatVector.broadcast(SPECIES, a.get(F, a7 + pa));
            c70 = v0.fma(u, c70); c71 = v1.fma(u, c71);
            u = FloatVector.broadcast(SPECIES, a.get(F, a8 + pa));
            c80 = v0.fma(u, c80); c81 = v1.fma(u, c81);
            u = FloatVector.broadcast(SPECIES, a.get(F, a9 + pa));
            c90 = v0.fma(u, c90); c91 = v1.fma(u, c91);
        }
        long r = cB;
        c00.intoMemorySegment(c, r, BO); c01.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c10.intoMemorySegment(c, r, BO); c11.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c20.intoMemorySegment(c, r, BO); c21.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c30.intoMemorySegment(c, r, BO); c31.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c40.intoMemorySegment(c, r, BO); c41.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c50.intoMemorySegment(c, r, BO); c51.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c60.intoMemorySegment(c, r, BO); c61.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c70.intoMemorySegment(c, r, BO); c71.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c80.intoMemorySegment(c, r, BO); c81.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c90.intoMemorySegment(c, r, BO); c91.intoMemorySegment(c, r + VB, BO);
    }

    static void bcast8x2(int k, MemorySegment a, long aB, long arsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB) {
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero, c50 = zero, c51 = zero, c60 = zero, c61 = zero, c70 = zero, c71 = zero;
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB, a4 = a3 + arsB, a5 = a4 + arsB;
        long a6 = a5 + arsB, a7 = a6 + arsB;
        for (int p = 0; p < k; p++) {
            long pb = bB + p * ldbB, pa = 4L * p;
            FloatVector v0 = FloatVector.fromMemorySegment(SPECIES, b, pb, BO);
            FloatVector v1 = FloatVector.fromMemorySegment(SPECIES, b, pb + VB, BO);
            FloatVector u = FloatVector.broadcast(SPECIES, a.get(F, aB + pa));
            c00 = v0.fma(u, c00); c01 = v1.fma(u, c01);
            u = FloatVector.broadcast(SPECIES, a.get(F, a1 + pa));
            c10 = v0.fma(u, c10); c11 = v1.fma(u, c11);
            u = FloatVector.broadcast(SPECIES, a.get(F, a2 + pa));
            c20 = v0.fma(u, c20); c21 = v1.fma(u, c21);
            u = FloatVector.broadcast(SPECIES, a.get(F, a3 + pa));
            c30 = v0.fma(u, c30); c31 = v1.fma(u, c31);
            u = FloatVector.broadcast(SPECIES, a.get(F, a4 + pa));
            c40 = v0.fma(u, c40); c41 = v1.fma(u, c41);
            u = FloatVector.broadcast(SPECIES, a.get(F, a5 + pa));
            c50 = v0.fma(u, c50); c51 = v1.fma(u, c51);
            u = FloatVector.broadcast(SPECIES, a.get(F, a6 + pa));
            c60 = v0.fma(u, c60); c61 = v1.fma(u, c61);
            u = FloatVector.broadcast(SPECIES, a.get(F, a7 + pa));
            c70 = v0.fma(u, c70); c71 = v1.fma(u, c71);
        }
        c00.intoMemorySegment(c, cB, BO); c01.intoMemorySegment(c, cB + VB, BO);
        long r = cB + ldcB;
        c10.intoMemorySegment(c, r, BO); c11.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c20.intoMemorySegment(c, r, BO); c21.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c30.intoMemorySegment(c, r, BO); c31.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c40.intoMemorySegment(c, r, BO); c41.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c50.intoMemorySegment(c, r, BO); c51.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c60.intoMemorySegment(c, r, BO); c61.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c70.intoMemorySegment(c, r, BO); c71.intoMemorySegment(c, r + VB, BO);
    }

    static void bcast1x4(int k, MemorySegment a, long aB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB) {
        // Two accumulator sets over even and odd p: with the 4-cycle FMA latency, 4 chains could
        // issue at most one FMA a cycle; 8 leave room (a design choice, not measured alone).
        FloatVector c0 = FloatVector.zero(SPECIES), c1 = FloatVector.zero(SPECIES);
        FloatVector c2 = FloatVector.zero(SPECIES), c3 = FloatVector.zero(SPECIES);
        FloatVector d0 = FloatVector.zero(SPECIES), d1 = FloatVector.zero(SPECIES);
        FloatVector d2 = FloatVector.zero(SPECIES), d3 = FloatVector.zero(SPECIES);
        int p = 0;
        for (; p + 1 < k; p += 2) {
            long pb = bB + p * ldbB, qb = pb + ldbB;
            FloatVector u = FloatVector.broadcast(SPECIES, a.get(F, aB + p * acsB));
            FloatVector t = FloatVector.broadcast(SPECIES, a.get(F, aB + (p + 1) * acsB));
            c0 = FloatVector.fromMemorySegment(SPECIES, b, pb, BO).fma(u, c0);
            c1 = FloatVector.fromMemorySegment(SPECIES, b, pb + VB, BO).fma(u, c1);
            c2 = FloatVector.fromMemorySegment(SPECIES, b, pb + 2 * VB, BO).fma(u, c2);
            c3 = FloatVector.fromMemorySegment(SPECIES, b, pb + 3 * VB, BO).fma(u, c3);
            d0 = FloatVector.fromMemorySegment(SPECIES, b, qb, BO).fma(t, d0);
            d1 = FloatVector.fromMemorySegment(SPECIES, b, qb + VB, BO).fma(t, d1);
            d2 = FloatVector.fromMemorySegment(SPECIES, b, qb + 2 * VB, BO).fma(t, d2);
            d3 = FloatVector.fromMemorySegment(SPECIES, b, qb + 3 * VB, BO).fma(t, d3);
        }
        if (p < k) {
            long pb = bB + p * ldbB;
            FloatVector u = FloatVector.broadcast(SPECIES, a.get(F, aB + p * acsB));
            c0 = FloatVector.fromMemorySegment(SPECIES, b, pb, BO).fma(u, c0);
            c1 = FloatVector.fromMemorySegment(SPECIES, b, pb + VB, BO).fma(u, c1);
            c2 = FloatVector.fromMemorySegment(SPECIES, b, pb + 2 * VB, BO).fma(u, c2);
            c3 = FloatVector.fromMemorySegment(SPECIES, b, pb + 3 * VB, BO).fma(u, c3);
        }
        c0.add(d0).intoMemorySegment(c, cB, BO);
        c1.add(d1).intoMemorySegment(c, cB + VB, BO);
        c2.add(d2).intoMemorySegment(c, cB + 2 * VB, BO);
        c3.add(d3).intoMemorySegment(c, cB + 3 * VB, BO);
    }

    static void bcast4x1(int k, MemorySegment a, long aB, long arsB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB, int valid) {
        // Masks are made here from a count: a mask passed into a method that is not inlined is boxed.
        VectorMask<Float> mj = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, valid);
        FloatVector c0 = FloatVector.zero(SPECIES), c1 = FloatVector.zero(SPECIES);
        FloatVector c2 = FloatVector.zero(SPECIES), c3 = FloatVector.zero(SPECIES);
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB;
        for (int p = 0; p < k; p++) {
            long pa = p * acsB;
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, b, bB + p * ldbB, BO, mj);
            c0 = v.fma(FloatVector.broadcast(SPECIES, a.get(F, aB + pa)), c0);
            c1 = v.fma(FloatVector.broadcast(SPECIES, a.get(F, a1 + pa)), c1);
            c2 = v.fma(FloatVector.broadcast(SPECIES, a.get(F, a2 + pa)), c2);
            c3 = v.fma(FloatVector.broadcast(SPECIES, a.get(F, a3 + pa)), c3);
        }
        c0.intoMemorySegment(c, cB, BO, mj);
        c1.intoMemorySegment(c, cB + ldcB, BO, mj);
        c2.intoMemorySegment(c, cB + 2 * ldcB, BO, mj);
        c3.intoMemorySegment(c, cB + 3 * ldcB, BO, mj);
    }

    static void bcast1x1(int k, MemorySegment a, long aB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, int valid) {
        VectorMask<Float> mj = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, valid);
        FloatVector c0 = FloatVector.zero(SPECIES), c1 = FloatVector.zero(SPECIES);
        int p = 0;
        for (; p + 1 < k; p += 2) {
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, b, bB + p * ldbB, BO, mj);
            FloatVector w = FloatVector.fromMemorySegment(SPECIES, b, bB + (p + 1) * ldbB, BO, mj);
            c0 = v.fma(FloatVector.broadcast(SPECIES, a.get(F, aB + p * acsB)), c0);
            c1 = w.fma(FloatVector.broadcast(SPECIES, a.get(F, aB + (p + 1) * acsB)), c1);
        }
        if (p < k) {
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, b, bB + p * ldbB, BO, mj);
            c0 = v.fma(FloatVector.broadcast(SPECIES, a.get(F, aB + p * acsB)), c0);
        }
        c0.add(c1).intoMemorySegment(c, cB, BO, mj);
    }

    /** C ∘= f'(Z, H) and/or C += lambda·W over a tile. */
    static void epilogue(int rows, int width, MemorySegment c, long cB, long ldcB,
                                 Pointwise f, MemorySegment z, long zB, long ldzB, MemorySegment h, long hB, long ldhB,
                                 float lambda, MemorySegment w, long wB, long ldwB) {
        for (int r = 0; r < rows; r++) {
            if (f != null) {
                derivativeRow(f, width, c, cB + r * ldcB, z, zB + r * ldzB, h, hB + r * ldhB);
            }
            if (lambda != 0f) {
                axpyRow(width, lambda, w, wB + r * ldwB, c, cB + r * ldcB);
            }
        }
    }
}
