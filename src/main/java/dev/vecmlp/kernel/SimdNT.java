package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import static dev.vecmlp.kernel.SimdBroadcast.bcast6x4;
import static dev.vecmlp.kernel.SimdBroadcast.bcast8x2;
import static dev.vecmlp.kernel.SimdBroadcast.broadcastProduct;
import static dev.vecmlp.kernel.SimdPointwise.biasActivate;
import static dev.vecmlp.kernel.SimdShape.BO;
import static dev.vecmlp.kernel.SimdShape.F;
import static dev.vecmlp.kernel.SimdShape.IOTA;
import static dev.vecmlp.kernel.SimdShape.LANES;
import static dev.vecmlp.kernel.SimdShape.MR;
import static dev.vecmlp.kernel.SimdShape.NR;
import static dev.vecmlp.kernel.SimdShape.ROWS_6X4;
import static dev.vecmlp.kernel.SimdShape.SPECIES;
import static dev.vecmlp.kernel.SimdShape.STAGES;
import static dev.vecmlp.kernel.SimdShape.SWAP;
import static dev.vecmlp.kernel.SimdShape.SWAP_ROWS;
import static jdk.incubator.vector.VectorOperators.LT;

/**
 * The forward product of {@link SimdKernels}, NT: Z = A·Bᵀ + bias, H = f(Z), by dot tiles under
 * {@link #NT_SWAP_MIN_ROWS} rows, the swapped product up to {@link #NT_PACK_MIN_ROWS}, the packed
 * product from there (see {@link SimdKernels} for the overview), with the 16x16 transposes that
 * make the panels.
 */
final class SimdNT {
    private SimdNT() {
    }

    /**
     * NT blocking: about this many bytes of rows of B, and as many of rows of A, are kept hot in
     * the 1 MiB L2 while the 4x4 tiles sweep them. MatmulBench, NT:256x784x512 / 256x512x512 /
     * 32x784x512 in GFLOP/s: no blocking of A 67 / 57 / 79; 256 KiB 73 / 79 / 88; 128 KiB
     * 73 / 65 / 80; 64 KiB 61 / 60 / 79.
     */
    static final int NT_BLOCK_BYTES = 256 * 1024;
    /**
     * From this many rows of A on, NT transposes B into panels (about 0.3 ns a float with 16x16
     * register transposes) and runs as a broadcast product, which does not pay 16 reductions per
     * 4x4 tile. MatmulBench: at 256x784x512 the dot tiles ran 72 GFLOP/s; at 32 rows the transpose
     * would cost a third of the product.
     */
    static final int NT_PACK_MIN_ROWS = 128;
    /**
     * From this many rows of A (up to {@link #NT_PACK_MIN_ROWS}), NT transposes A, not B, and
     * runs as the broadcast product Cᵀ = B · Aᵀ ({@link #swappedNT}): the copy is of the batch's
     * rows, not the weights, so it costs little beside the product. MatmulBench on Zen 5 (cpu
     * family 26), dot tiles then swapped, µs: NT 32x784x512 223 / 130-150 (115 / 171-198
     * GFLOP/s), 64x784x512 about 390 / 260-290. At 16 rows the tile's 2 vectors are half
     * padding and the two cost the same (128 µs dot, about 130 swapped); 16 is where it starts,
     * so a batch of 32 split in two parts of 16 keeps the bits of the whole.
     */
    static final int NT_SWAP_MIN_ROWS = 16;

    // ---------------------------------------------------------------------------------------
    // NT: Z = A·Bᵀ + bias, H = f(Z).
    //
    // Rules learned the hard way on JDK 25 (each broke this kernel to 1-12 GFLOP/s):
    // - A vector that crosses a call C2 does not inline is boxed, and so is every vector that
    //   meets it at a phi, the loop accumulators included. C2 declines helpers over 35 bytecodes
    //   that run once per call after a hot loop ("low call site frequency"), so the code after
    //   the loop uses the Vector API directly.
    // - No static final vectors, masks or shuffles: C2 does not unbox constant vector objects.
    // - No S.indexInRange inside a loop: it has two paths, and the phi of their masks boxes
    //   (see the note on tail masks in SimdKernels).
    // - Keep each method small: at 1,350 bytecodes C1 gave up ("out of virtual registers"), so
    //   the method ran interpreted, 1,000 times slower, until C2 got to it.

    /**
     * Enough for a product of any row count up to {@code m}, so a workspace sized for its largest
     * batch serves every smaller one on the same path: the swapped product of up to
     * {@code NT_PACK_MIN_ROWS - 1} rows needs more than the packed product of a few more rows
     * when n is small.
     */
    static long scratchFloatsNT(int m, int n, int k) {
        if (LANES != 16 || m < NT_SWAP_MIN_ROWS || n < LANES) {
            return 0;
        }
        long swapped = swapFloats(Math.min(m, NT_PACK_MIN_ROWS - 1), n, k);
        return packs(m, n) ? Math.max(swapped, packFloats(n, k)) : swapped;
    }

    /**
     * Whether NT repacks B: only with 16 lanes (the transpose is written for 16x16 blocks), and
     * only for batches of at least {@link #NT_PACK_MIN_ROWS} rows.
     */
    static boolean packs(int m, int n) {
        return LANES == 16 && m >= NT_PACK_MIN_ROWS && n >= LANES;
    }

    /**
     * From {@link #NT_SWAP_MIN_ROWS} rows on NT sums each row in p order, one FMA a step, swapped
     * or packed alike; below it the dot tiles sum lanes first. Without 16 lanes it never swaps.
     */
    static int uniformRowsNT() {
        return LANES == 16 ? NT_SWAP_MIN_ROWS : 1;
    }

    /** Whether NT runs as the swapped product (see {@link #NT_SWAP_MIN_ROWS}). */
    static boolean swaps(int m, int n) {
        return LANES == 16 && m >= NT_SWAP_MIN_ROWS && m < NT_PACK_MIN_ROWS && n >= LANES;
    }

    /**
     * Whether {@link #matmulNT} with this scratch takes the packed or the swapped product, which
     * sum each row in p order one FMA a step, rather than the dot tiles, which sum L lanes and
     * then across them: {@link SimdTwin} makes the same choice from the same conditions.
     */
    static boolean sumsInOrder(int m, int n, int k, MemorySegment scratch, long scratchOff) {
        long room = scratch == null ? 0 : scratch.byteSize() - 4L * scratchOff;
        return packs(m, n) && room >= 4L * packFloats(n, k) || swaps(m, n) && room >= 4L * swapFloats(m, n, k);
    }

    /** Scratch of the packed product: B transposed into panels. */
    static long packFloats(int n, int k) {
        return (long) panels(n) * NR * LANES * k;
    }

    /** Scratch of the swapped product: A transposed into panels, then Cᵀ (n rows of the panels' width). */
    static long swapFloats(int m, int n, int k) {
        return (long) panels(m) * NR * LANES * ((long) k + n);
    }

    static int panels(int n) {
        return (n + NR * LANES - 1) / (NR * LANES);
    }

    static void matmulNT(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         MemorySegment bias, long biasOff, Pointwise f, MemorySegment z, long zOff, int ldz,
                         MemorySegment h, long hOff, int ldh, MemorySegment scratch, long scratchOff) {
        long ldaB = 4L * lda, ldbB = 4L * ldb, ldzB = 4L * ldz, ldhB = 4L * ldh;
        long aB = 4L * aOff, bB = 4L * bOff, zB = 4L * zOff, hB = 4L * hOff, biasB = 4L * biasOff;
        long room = scratch == null ? 0 : scratch.byteSize() - 4L * scratchOff;
        if (packs(m, n) && room >= 4L * packFloats(n, k)) {
            // B transposed into panels of 64 columns, then the broadcast product, as NN does.
            long pB = 4L * scratchOff;
            packPanels(n, k, b, bB, ldbB, scratch, pB);
            broadcastProduct(m, n, k, a, aB, ldaB, 4L, scratch, pB, 4L * NR * LANES, 4L * k, z, zB, ldzB, true,
                    f, null, 0, 0, h, hB, ldhB, 0f, bias, biasB, 0);
            return;
        }
        if (swaps(m, n) && room >= 4L * swapFloats(m, n, k)) {
            swappedNT(m, n, k, a, aB, ldaB, b, bB, ldbB, bias, biasB, f, z, zB, ldzB, h, hB, ldhB,
                    scratch, 4L * scratchOff);
            return;
        }
        // Rows of B (and of A) per block: NT_BLOCK_BYTES of each, so both stay in L2.
        int block = Math.max(MR, (int) Math.min(Math.max(n, m), NT_BLOCK_BYTES / Math.max(1L, 4L * k)) / MR * MR);
        int mFull = m - m % MR;
        int kFull = k - k % LANES;
        for (int i0 = 0; i0 < m; i0 += block) {
            int iEnd = Math.min(m, i0 + block);
            for (int j0 = 0; j0 < n; j0 += block) {
                int jEnd = Math.min(n, j0 + block);
                int jFull = j0 + (jEnd - j0) / MR * MR;
                for (int i = i0; i < iEnd; ) {
                    int rows = i < mFull ? MR : 1;
                    long aRow = aB + i * ldaB, zRow = zB + i * ldzB;
                    if (rows == MR) {
                        for (int j = j0; j < jFull; j += MR) {
                            dot4x4(kFull, a, aRow, ldaB, b, bB + j * ldbB, ldbB, z, zRow + 4L * j, ldzB);
                            if (kFull < k) {
                                dot4x4Tail(kFull, k, a, aRow, ldaB, b, bB + j * ldbB, ldbB, z, zRow + 4L * j, ldzB);
                            }
                        }
                        for (int r = 0; r < MR && jFull < jEnd; r++) {
                            dotRow(k, a, aRow + r * ldaB, b, bB, ldbB, z, zRow + r * ldzB, jFull, jEnd);
                        }
                    } else {
                        dotRow(k, a, aRow, b, bB, ldbB, z, zRow, j0, jEnd);
                    }
                    // Bias and activation over the finished rows of the block while they are in L1.
                    biasActivate(f, rows, jEnd - j0, z, zRow + 4L * j0, ldzB, bias, biasB + 4L * j0,
                            h, hB + i * ldhB + 4L * j0, ldhB);
                    i += rows;
                }
            }
        }
    }

    /**
     * The swapped product: Cᵀ = B · Aᵀ as a broadcast product with B in A's role, A transposed
     * into panels (m x k, a small copy, where B's transpose is n x k), then Cᵀ transposed into Z,
     * then bias and activation. Each lane of Cᵀ sums its row of A times its row of B in p order,
     * one FMA a step, exactly as the packed product's lanes do, so a row has the same bits on
     * either path. Across a panel of 32 columns of Aᵀ the tile is {@link SimdShape#SWAP_ROWS} rows of B by
     * 2 vectors; across 64, {@link SimdShape#ROWS_6X4} by 4. Columns of Aᵀ past m up to the tile's width
     * are zeroed, so the lanes past m compute zeros that are never read.
     */
    static void swappedNT(int m, int n, int k, MemorySegment a, long aB, long ldaB, MemorySegment b, long bB, long ldbB,
                                  MemorySegment bias, long biasB, Pointwise f, MemorySegment z, long zB, long ldzB,
                                  MemorySegment h, long hB, long ldhB, MemorySegment s, long sB) {
        int panel = NR * LANES;
        int lastWidth = (m - 1) % panel + 1 <= 2 * LANES ? 2 * LANES : panel;
        int width = (panels(m) - 1) * panel + lastWidth;
        long panelB = 4L * panel;
        long cT = sB + 4L * panels(m) * panel * k, ldcB = 4L * width;
        packPanels(m, k, a, aB, ldaB, s, sB);
        long lastPanel = sB + (m - 1) / panel * panelB * k;
        for (int p = 0; p < k; p++) {
            for (int col = (m - 1) % panel + 1; col < lastWidth; col++) {
                s.set(F, lastPanel + p * panelB + 4L * col, 0f);
            }
        }
        for (int i0 = 0; i0 < m; i0 += panel) {
            int rows = i0 + panel <= m || lastWidth == panel ? ROWS_6X4 : SWAP_ROWS;
            long aT = sB + (i0 / panel) * panelB * k, cCol = cT + 4L * i0;
            for (int j = 0; j < n; ) {
                if (j + rows > n) {
                    j = n - rows;
                }
                if (rows == SWAP_ROWS) {
                    bcast8x2(k, b, bB + j * ldbB, ldbB, s, aT, panelB, s, cCol + j * ldcB, ldcB);
                } else {
                    bcast6x4(k, b, bB + j * ldbB, ldbB, 4L, s, aT, panelB, s, cCol + j * ldcB, ldcB);
                }
                j += rows;
            }
        }
        for (int j0 = 0; j0 < n; j0 += 16) {
            for (int i0 = 0; i0 < m; i0 += 16) {
                long src = cT + j0 * ldcB + 4L * i0, dst = zB + i0 * ldzB + 4L * j0;
                if (j0 + 16 <= n && i0 + 16 <= m) {
                    transpose16(s, src, ldcB, z, dst, ldzB);
                } else {
                    transposeEdge(Math.min(16, n - j0), Math.min(16, m - i0), s, src, ldcB, z, dst, ldzB);
                }
            }
        }
        biasActivate(f, m, n, z, zB, ldzB, bias, biasB, h, hB, ldhB);
    }

    /** Lane indices into the pair (x, y) for one stage of a 16x16 transpose: see transpose16. */
    static final float[] T8LO = transposeIndex(8, true), T8HI = transposeIndex(8, false);
    static final float[] T4LO = transposeIndex(4, true), T4HI = transposeIndex(4, false);
    static final float[] T2LO = transposeIndex(2, true), T2HI = transposeIndex(2, false);
    static final float[] T1LO = transposeIndex(1, true), T1HI = transposeIndex(1, false);

    /**
     * At distance d, rows x and y (d apart) trade their off-diagonal d x d blocks: the new x takes
     * lanes with bit d clear from x and the rest from y shifted down by d; the new y the converse.
     * Indices 0-15 select from x, 16-31 from y (FloatVector.selectFrom of two vectors).
     */
    static float[] transposeIndex(int d, boolean low) {
        float[] index = new float[16];
        for (int l = 0; l < 16; l++) {
            boolean clear = (l & d) == 0;
            index[l] = low ? (clear ? l : 16 + l - d) : (clear ? l + d : 16 + l);
        }
        return index;
    }

    /**
     * Writes B[n][k] transposed into panels: panel q holds columns 64q..64q+63 of Bᵀ as k rows of
     * 64 floats, so the broadcast product reads each k row of a panel as 4 contiguous vectors.
     * Columns past n in the last panel are left as they are: the edge tiles never read them.
     */
    static void packPanels(int n, int k, MemorySegment b, long bB, long ldbB, MemorySegment p, long pB) {
        int width = NR * LANES;
        for (int j0 = 0; j0 < n; j0 += 16) {
            long panel = pB + (long) (j0 / width) * width * k * 4L;
            long col = 4L * (j0 % width);
            for (int p0 = 0; p0 < k; p0 += 16) {
                long src = bB + j0 * ldbB + 4L * p0, dst = panel + p0 * (4L * width) + col;
                if (j0 + 16 <= n && p0 + 16 <= k) {
                    transpose16(b, src, ldbB, p, dst, 4L * width);
                } else {
                    transposeEdge(Math.min(16, n - j0), Math.min(16, k - p0), b, src, ldbB, p, dst, 4L * width);
                }
            }
        }
    }

    /** A partial block at the right or bottom edge, element by element. */
    static void transposeEdge(int rows, int cols, MemorySegment b, long src, long ldbB,
                                      MemorySegment p, long dst, long ldpB) {
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < rows; r++) {
                p.set(F, dst + c * ldpB + 4L * r, b.get(F, src + r * ldbB + 4L * c));
            }
        }
    }

    /**
     * Transposes a 16x16 block in registers: 16 loads, 4 stages of 16 two-vector selects
     * (vpermt2ps), 16 stores. Written out, with no helper, for the reasons at the top of NT.
     */
    static void transpose16(MemorySegment b, long src, long ldbB, MemorySegment p, long dst, long ldpB) {
        FloatVector r0 = FloatVector.fromMemorySegment(SPECIES, b, src, BO);
        FloatVector r1 = FloatVector.fromMemorySegment(SPECIES, b, src + ldbB, BO);
        FloatVector r2 = FloatVector.fromMemorySegment(SPECIES, b, src + 2 * ldbB, BO);
        FloatVector r3 = FloatVector.fromMemorySegment(SPECIES, b, src + 3 * ldbB, BO);
        FloatVector r4 = FloatVector.fromMemorySegment(SPECIES, b, src + 4 * ldbB, BO);
        FloatVector r5 = FloatVector.fromMemorySegment(SPECIES, b, src + 5 * ldbB, BO);
        FloatVector r6 = FloatVector.fromMemorySegment(SPECIES, b, src + 6 * ldbB, BO);
        FloatVector r7 = FloatVector.fromMemorySegment(SPECIES, b, src + 7 * ldbB, BO);
        FloatVector r8 = FloatVector.fromMemorySegment(SPECIES, b, src + 8 * ldbB, BO);
        FloatVector r9 = FloatVector.fromMemorySegment(SPECIES, b, src + 9 * ldbB, BO);
        FloatVector r10 = FloatVector.fromMemorySegment(SPECIES, b, src + 10 * ldbB, BO);
        FloatVector r11 = FloatVector.fromMemorySegment(SPECIES, b, src + 11 * ldbB, BO);
        FloatVector r12 = FloatVector.fromMemorySegment(SPECIES, b, src + 12 * ldbB, BO);
        FloatVector r13 = FloatVector.fromMemorySegment(SPECIES, b, src + 13 * ldbB, BO);
        FloatVector r14 = FloatVector.fromMemorySegment(SPECIES, b, src + 14 * ldbB, BO);
        FloatVector r15 = FloatVector.fromMemorySegment(SPECIES, b, src + 15 * ldbB, BO);
        FloatVector lo = FloatVector.fromArray(SPECIES, T8LO, 0), hi = FloatVector.fromArray(SPECIES, T8HI, 0), t;
        t = lo.selectFrom(r0, r8); r8 = hi.selectFrom(r0, r8); r0 = t;
        t = lo.selectFrom(r1, r9); r9 = hi.selectFrom(r1, r9); r1 = t;
        t = lo.selectFrom(r2, r10); r10 = hi.selectFrom(r2, r10); r2 = t;
        t = lo.selectFrom(r3, r11); r11 = hi.selectFrom(r3, r11); r3 = t;
        t = lo.selectFrom(r4, r12); r12 = hi.selectFrom(r4, r12); r4 = t;
        t = lo.selectFrom(r5, r13); r13 = hi.selectFrom(r5, r13); r5 = t;
        t = lo.selectFrom(r6, r14); r14 = hi.selectFrom(r6, r14); r6 = t;
        t = lo.selectFrom(r7, r15); r15 = hi.selectFrom(r7, r15); r7 = t;
        lo = FloatVector.fromArray(SPECIES, T4LO, 0);
        hi = FloatVector.fromArray(SPECIES, T4HI, 0);
        t = lo.selectFrom(r0, r4); r4 = hi.selectFrom(r0, r4); r0 = t;
        t = lo.selectFrom(r1, r5); r5 = hi.selectFrom(r1, r5); r1 = t;
        t = lo.selectFrom(r2, r6); r6 = hi.selectFrom(r2, r6); r2 = t;
        t = lo.selectFrom(r3, r7); r7 = hi.selectFrom(r3, r7); r3 = t;
        t = lo.selectFrom(r8, r12); r12 = hi.selectFrom(r8, r12); r8 = t;
        t = lo.selectFrom(r9, r13); r13 = hi.selectFrom(r9, r13); r9 = t;
        t = lo.selectFrom(r10, r14); r14 = hi.selectFrom(r10, r14); r10 = t;
        t = lo.selectFrom(r11, r15); r15 = hi.selectFrom(r11, r15); r11 = t;
        lo = FloatVector.fromArray(SPECIES, T2LO, 0);
        hi = FloatVector.fromArray(SPECIES, T2HI, 0);
        t = lo.selectFrom(r0, r2); r2 = hi.selectFrom(r0, r2); r0 = t;
        t = lo.selectFrom(r1, r3); r3 = hi.selectFrom(r1, r3); r1 = t;
        t = lo.selectFrom(r4, r6); r6 = hi.selectFrom(r4, r6); r4 = t;
        t = lo.selectFrom(r5, r7); r7 = hi.selectFrom(r5, r7); r5 = t;
        t = lo.selectFrom(r8, r10); r10 = hi.selectFrom(r8, r10); r8 = t;
        t = lo.selectFrom(r9, r11); r11 = hi.selectFrom(r9, r11); r9 = t;
        t = lo.selectFrom(r12, r14); r14 = hi.selectFrom(r12, r14); r12 = t;
        t = lo.selectFrom(r13, r15); r15 = hi.selectFrom(r13, r15); r13 = t;
        lo = FloatVector.fromArray(SPECIES, T1LO, 0);
        hi = FloatVector.fromArray(SPECIES, T1HI, 0);
        t = lo.selectFrom(r0, r1); r1 = hi.selectFrom(r0, r1); r0 = t;
        t = lo.selectFrom(r2, r3); r3 = hi.selectFrom(r2, r3); r2 = t;
        t = lo.selectFrom(r4, r5); r5 = hi.selectFrom(r4, r5); r4 = t;
        t = lo.selectFrom(r6, r7); r7 = hi.selectFrom(r6, r7); r6 = t;
        t = lo.selectFrom(r8, r9); r9 = hi.selectFrom(r8, r9); r8 = t;
        t = lo.selectFrom(r10, r11); r11 = hi.selectFrom(r10, r11); r10 = t;
        t = lo.selectFrom(r12, r13); r13 = hi.selectFrom(r12, r13); r12 = t;
        t = lo.selectFrom(r14, r15); r15 = hi.selectFrom(r14, r15); r14 = t;
        r0.intoMemorySegment(p, dst, BO);
        r1.intoMemorySegment(p, dst + ldpB, BO);
        r2.intoMemorySegment(p, dst + 2 * ldpB, BO);
        r3.intoMemorySegment(p, dst + 3 * ldpB, BO);
        r4.intoMemorySegment(p, dst + 4 * ldpB, BO);
        r5.intoMemorySegment(p, dst + 5 * ldpB, BO);
        r6.intoMemorySegment(p, dst + 6 * ldpB, BO);
        r7.intoMemorySegment(p, dst + 7 * ldpB, BO);
        r8.intoMemorySegment(p, dst + 8 * ldpB, BO);
        r9.intoMemorySegment(p, dst + 9 * ldpB, BO);
        r10.intoMemorySegment(p, dst + 10 * ldpB, BO);
        r11.intoMemorySegment(p, dst + 11 * ldpB, BO);
        r12.intoMemorySegment(p, dst + 12 * ldpB, BO);
        r13.intoMemorySegment(p, dst + 13 * ldpB, BO);
        r14.intoMemorySegment(p, dst + 14 * ldpB, BO);
        r15.intoMemorySegment(p, dst + 15 * ldpB, BO);
    }

    /**
     * A 4x4 tile of NT over the first {@code kFull} (a multiple of L) columns, as two 2x4 tiles:
     * rows a0, a1 then a2, a3 of A against rows b0..b3 of B. The four rows of B (4k floats) stay
     * in L1 for the second half.
     */
    static void dot4x4(int kFull, MemorySegment a, long aB, long ldaB, MemorySegment b, long bB, long ldbB,
                               MemorySegment z, long zB, long ldzB) {
        dot2x4(kFull, a, aB, ldaB, b, bB, ldbB, z, zB, ldzB);
        dot2x4(kFull, a, aB + 2 * ldaB, ldaB, b, bB, ldbB, z, zB + 2 * ldzB, ldzB);
    }

    /**
     * A 2x4 tile of NT: rows a0, a1 of A against rows b0..b3 of B, 8 partial-sum vectors, each
     * summed across its lanes by the SWAP tree and stored to Z. Two rows, not four: with the
     * tree written out for 16 accumulators the method grew past what C1 can allocate registers
     * for ("out of virtual registers", then boxed vectors in the code it fell back to); 6 loads
     * per 8 FMAs still leaves the FMA unit the bottleneck.
     */
    static void dot2x4(int kFull, MemorySegment a, long aB, long ldaB, MemorySegment b, long bB, long ldbB,
                               MemorySegment z, long zB, long ldzB) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = FloatVector.zero(SPECIES);
        FloatVector c02 = FloatVector.zero(SPECIES), c03 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES), c11 = FloatVector.zero(SPECIES);
        FloatVector c12 = FloatVector.zero(SPECIES), c13 = FloatVector.zero(SPECIES);
        long a1 = aB + ldaB;
        long b1 = bB + ldbB, b2 = b1 + ldbB, b3 = b2 + ldbB;
        for (int p = 0; p < kFull; p += LANES) {
            long o = 4L * p;
            FloatVector v0 = FloatVector.fromMemorySegment(SPECIES, b, bB + o, BO);
            FloatVector v1 = FloatVector.fromMemorySegment(SPECIES, b, b1 + o, BO);
            FloatVector v2 = FloatVector.fromMemorySegment(SPECIES, b, b2 + o, BO);
            FloatVector v3 = FloatVector.fromMemorySegment(SPECIES, b, b3 + o, BO);
            FloatVector u = FloatVector.fromMemorySegment(SPECIES, a, aB + o, BO);
            c00 = u.fma(v0, c00); c01 = u.fma(v1, c01); c02 = u.fma(v2, c02); c03 = u.fma(v3, c03);
            u = FloatVector.fromMemorySegment(SPECIES, a, a1 + o, BO);
            c10 = u.fma(v0, c10); c11 = u.fma(v1, c11); c12 = u.fma(v2, c12); c13 = u.fma(v3, c13);
        }
        FloatVector w0 = FloatVector.fromArray(SPECIES, SWAP, 0), w1 = FloatVector.fromArray(SPECIES, SWAP, LANES);
        FloatVector w2 = FloatVector.fromArray(SPECIES, SWAP, 2 * LANES), w3 = FloatVector.fromArray(SPECIES, SWAP, 3 * LANES);
        c00 = c00.add(w0.selectFrom(c00));
        c01 = c01.add(w0.selectFrom(c01));
        c02 = c02.add(w0.selectFrom(c02));
        c03 = c03.add(w0.selectFrom(c03));
        c10 = c10.add(w0.selectFrom(c10));
        c11 = c11.add(w0.selectFrom(c11));
        c12 = c12.add(w0.selectFrom(c12));
        c13 = c13.add(w0.selectFrom(c13));
        if (STAGES > 1) {
            c00 = c00.add(w1.selectFrom(c00));
            c01 = c01.add(w1.selectFrom(c01));
            c02 = c02.add(w1.selectFrom(c02));
            c03 = c03.add(w1.selectFrom(c03));
            c10 = c10.add(w1.selectFrom(c10));
            c11 = c11.add(w1.selectFrom(c11));
            c12 = c12.add(w1.selectFrom(c12));
            c13 = c13.add(w1.selectFrom(c13));
        }
        if (STAGES > 2) {
            c00 = c00.add(w2.selectFrom(c00));
            c01 = c01.add(w2.selectFrom(c01));
            c02 = c02.add(w2.selectFrom(c02));
            c03 = c03.add(w2.selectFrom(c03));
            c10 = c10.add(w2.selectFrom(c10));
            c11 = c11.add(w2.selectFrom(c11));
            c12 = c12.add(w2.selectFrom(c12));
            c13 = c13.add(w2.selectFrom(c13));
        }
        if (STAGES > 3) {
            c00 = c00.add(w3.selectFrom(c00));
            c01 = c01.add(w3.selectFrom(c01));
            c02 = c02.add(w3.selectFrom(c02));
            c03 = c03.add(w3.selectFrom(c03));
            c10 = c10.add(w3.selectFrom(c10));
            c11 = c11.add(w3.selectFrom(c11));
            c12 = c12.add(w3.selectFrom(c12));
            c13 = c13.add(w3.selectFrom(c13));
        }
        long z1 = zB + ldzB;
        z.set(F, zB, c00.lane(0));
        z.set(F, zB + 4, c01.lane(0));
        z.set(F, zB + 8, c02.lane(0));
        z.set(F, zB + 12, c03.lane(0));
        z.set(F, z1, c10.lane(0));
        z.set(F, z1 + 4, c11.lane(0));
        z.set(F, z1 + 8, c12.lane(0));
        z.set(F, z1 + 12, c13.lane(0));
    }

    /** Adds columns kFull..k (fewer than L) of a 4x4 NT tile to Z, with masked loads. */
    static void dot4x4Tail(int kFull, int k, MemorySegment a, long aB, long ldaB, MemorySegment b, long bB, long ldbB,
                                   MemorySegment z, long zB, long ldzB) {
        VectorMask<Float> mk = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, k - kFull);
        long o = 4L * kFull;
        FloatVector w0 = FloatVector.fromArray(SPECIES, SWAP, 0), w1 = FloatVector.fromArray(SPECIES, SWAP, LANES);
        FloatVector w2 = FloatVector.fromArray(SPECIES, SWAP, 2 * LANES), w3 = FloatVector.fromArray(SPECIES, SWAP, 3 * LANES);
        for (int r = 0; r < MR; r++) {
            FloatVector u = FloatVector.fromMemorySegment(SPECIES, a, aB + r * ldaB + o, BO, mk);
            long zr = zB + r * ldzB;
            for (int c = 0; c < MR; c++) {
                long zc = zr + 4L * c;
                FloatVector p = u.mul(FloatVector.fromMemorySegment(SPECIES, b, bB + c * ldbB + o, BO, mk));
                p = p.add(w0.selectFrom(p));
                if (STAGES > 1) {
                    p = p.add(w1.selectFrom(p));
                }
                if (STAGES > 2) {
                    p = p.add(w2.selectFrom(p));
                }
                if (STAGES > 3) {
                    p = p.add(w3.selectFrom(p));
                }
                z.set(F, zc, z.get(F, zc) + p.lane(0));
            }
        }
    }

    /**
     * One row of A against rows {@code j0..jEnd} of B: {@code z[j] = a · b_j}, four rows of B at
     * a time. Used for batches under 4 rows (batch 1 is a matrix-vector product) and at tile
     * edges.
     */
    static void dotRow(int k, MemorySegment a, long aB, MemorySegment b, long bB, long ldbB,
                               MemorySegment z, long zRowB, int j0, int jEnd) {
        int kFull = k - k % LANES;
        int j = j0;
        FloatVector w0 = FloatVector.fromArray(SPECIES, SWAP, 0), w1 = FloatVector.fromArray(SPECIES, SWAP, LANES);
        FloatVector w2 = FloatVector.fromArray(SPECIES, SWAP, 2 * LANES), w3 = FloatVector.fromArray(SPECIES, SWAP, 3 * LANES);
        for (; j + 4 <= jEnd; j += 4) {
            long r0 = bB + j * ldbB, r1 = r0 + ldbB, r2 = r1 + ldbB, r3 = r2 + ldbB;
            FloatVector c0 = FloatVector.zero(SPECIES), c1 = FloatVector.zero(SPECIES);
            FloatVector c2 = FloatVector.zero(SPECIES), c3 = FloatVector.zero(SPECIES);
            for (int p = 0; p < kFull; p += LANES) {
                long o = 4L * p;
                FloatVector u = FloatVector.fromMemorySegment(SPECIES, a, aB + o, BO);
                c0 = u.fma(FloatVector.fromMemorySegment(SPECIES, b, r0 + o, BO), c0);
                c1 = u.fma(FloatVector.fromMemorySegment(SPECIES, b, r1 + o, BO), c1);
                c2 = u.fma(FloatVector.fromMemorySegment(SPECIES, b, r2 + o, BO), c2);
                c3 = u.fma(FloatVector.fromMemorySegment(SPECIES, b, r3 + o, BO), c3);
            }
            long zj = zRowB + 4L * j;
            c0 = c0.add(w0.selectFrom(c0));
            if (STAGES > 1) {
                c0 = c0.add(w1.selectFrom(c0));
            }
            if (STAGES > 2) {
                c0 = c0.add(w2.selectFrom(c0));
            }
            if (STAGES > 3) {
                c0 = c0.add(w3.selectFrom(c0));
            }
            c1 = c1.add(w0.selectFrom(c1));
            if (STAGES > 1) {
                c1 = c1.add(w1.selectFrom(c1));
            }
            if (STAGES > 2) {
                c1 = c1.add(w2.selectFrom(c1));
            }
            if (STAGES > 3) {
                c1 = c1.add(w3.selectFrom(c1));
            }
            c2 = c2.add(w0.selectFrom(c2));
            if (STAGES > 1) {
                c2 = c2.add(w1.selectFrom(c2));
            }
            if (STAGES > 2) {
                c2 = c2.add(w2.selectFrom(c2));
            }
            if (STAGES > 3) {
                c2 = c2.add(w3.selectFrom(c2));
            }
            c3 = c3.add(w0.selectFrom(c3));
            if (STAGES > 1) {
                c3 = c3.add(w1.selectFrom(c3));
            }
            if (STAGES > 2) {
                c3 = c3.add(w2.selectFrom(c3));
            }
            if (STAGES > 3) {
                c3 = c3.add(w3.selectFrom(c3));
            }
            z.set(F, zj, c0.lane(0));
            z.set(F, zj + 4, c1.lane(0));
            z.set(F, zj + 8, c2.lane(0));
            z.set(F, zj + 12, c3.lane(0));
        }
        for (; j < jEnd; j++) {
            long r0 = bB + j * ldbB;
            FloatVector c0 = FloatVector.zero(SPECIES);
            for (int p = 0; p < kFull; p += LANES) {
                long o = 4L * p;
                FloatVector u = FloatVector.fromMemorySegment(SPECIES, a, aB + o, BO);
                c0 = u.fma(FloatVector.fromMemorySegment(SPECIES, b, r0 + o, BO), c0);
            }
            c0 = c0.add(w0.selectFrom(c0));
            if (STAGES > 1) {
                c0 = c0.add(w1.selectFrom(c0));
            }
            if (STAGES > 2) {
                c0 = c0.add(w2.selectFrom(c0));
            }
            if (STAGES > 3) {
                c0 = c0.add(w3.selectFrom(c0));
            }
            z.set(F, zRowB + 4L * j, c0.lane(0));
        }
        if (kFull < k) {
            dotRowTail(kFull, k, a, aB, b, bB, ldbB, z, zRowB, j0, jEnd);
        }
    }

    /** Adds columns kFull..k (fewer than L) of one row against rows j0..jEnd of B to Z. */
    static void dotRowTail(int kFull, int k, MemorySegment a, long aB, MemorySegment b, long bB, long ldbB,
                                   MemorySegment z, long zRowB, int j0, int jEnd) {
        VectorMask<Float> mk = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, k - kFull);
        long o = 4L * kFull;
        FloatVector u = FloatVector.fromMemorySegment(SPECIES, a, aB + o, BO, mk);
        FloatVector w0 = FloatVector.fromArray(SPECIES, SWAP, 0), w1 = FloatVector.fromArray(SPECIES, SWAP, LANES);
        FloatVector w2 = FloatVector.fromArray(SPECIES, SWAP, 2 * LANES), w3 = FloatVector.fromArray(SPECIES, SWAP, 3 * LANES);
        for (int j = j0; j < jEnd; j++) {
            long zj = zRowB + 4L * j;
            FloatVector p = u.mul(FloatVector.fromMemorySegment(SPECIES, b, bB + j * ldbB + o, BO, mk));
            p = p.add(w0.selectFrom(p));
            if (STAGES > 1) {
                p = p.add(w1.selectFrom(p));
            }
            if (STAGES > 2) {
                p = p.add(w2.selectFrom(p));
            }
            if (STAGES > 3) {
                p = p.add(w3.selectFrom(p));
            }
            z.set(F, zj, z.get(F, zj) + p.lane(0));
        }
    }

}
