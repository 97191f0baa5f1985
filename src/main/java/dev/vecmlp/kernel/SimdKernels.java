package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import static dev.vecmlp.kernel.SimdBroadcast.epilogue;
import static dev.vecmlp.kernel.SimdPointwise.activateRow;
import static dev.vecmlp.kernel.SimdPointwise.axpyRow;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.F2I;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.MAX;

/**
 * The kernels on the Vector API. Loaded only by {@link KernelProvider} after it has checked that
 * {@code jdk.incubator.vector} is readable, so nothing else may name this class.
 *
 * <p>This class holds the vector shape, the register tiles' sizes and the notes every kernel
 * obeys (below), and implements {@link Kernels}; the products live in {@link SimdNT} (forward)
 * and {@link SimdBroadcast} (the broadcast tiles NN, TN and NT's packed and swapped forms use),
 * the activations and their derivatives in {@link SimdPointwise}, and the losses, reductions and
 * optimizer steps here.
 *
 * <h2>How the products are done</h2>
 * <ul>
 *   <li><b>NN and TN</b> (input and weight gradients): the right operand {@code B[k][n]} is
 *       row-major along the output columns, so a register tile of {@link #MR} rows by {@link #NR}
 *       vectors of C accumulates {@code a(i,p) · B[p][j..j+NR·L)}: one broadcast per row, one load
 *       per vector, no reductions. NN and TN differ only in how {@code a(i,p)} is addressed.
 *   <li><b>NT</b> (forward): both operands run along k, so one of them is transposed into
 *       panels in the caller's scratch (16x16 register transposes) and the product runs as a
 *       broadcast product. From {@link SimdNT#NT_PACK_MIN_ROWS} rows of A on, B (the weights) is
 *       transposed; from {@link SimdNT#NT_SWAP_MIN_ROWS} rows, where that would cost a third of the
 *       product, A (the batch) is, and the product is Cᵀ = B · Aᵀ, transposed back. Both sum a
 *       row in the same order, so a row has the same bits on either. Below 16 rows (batch 1),
 *       where even that copy does not pay, a tile is {@link #MR} rows of A by {@link #MR} rows
 *       of B: 16 vector accumulators of partial dot products, reduced at the end. Either way
 *       bias and activation run over finished rows, vectorized.
 * </ul>
 * Edges are done by smaller tiles of the same kind (1 row, 1 vector with a mask), never by masks
 * in the hot loop of the big tile.
 */
final class SimdKernels implements Kernels {
    /** Vector shape: the platform's preferred one (at most 512 bits), or {@code -Dvecmlp.vectorBits=64|128|256|512}. */
    static final VectorSpecies<Float> S = chooseSpecies();
    /** Lanes per vector. */
    static final int L = S.length();
    static final long VB = (long) L * Float.BYTES;
    static final ByteOrder BO = ByteOrder.nativeOrder();
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /**
     * Rows of the register tile. 4 rows x {@link #NR} = 4 vectors is 16 accumulators, 4 loaded
     * vectors and a broadcast: 21 registers, and 8 loads per 16 FMAs. On a Zen 4 core (512-bit
     * FMAs split in two, 114 GFLOP/s peak) the broadcast products ran at 89-104 GFLOP/s with it
     * (MatmulBench, NN and TN at network A's shapes); on Zen 5 at 151-170 of 230, which is why
     * full panels now take {@link #MR_WIDE} rows.
     */
    static final int MR = 4;
    /**
     * Rows of the register tile of the broadcast products across full panels of products of at
     * least {@link #WIDE_MIN} rows and inner dimension: {@link #chooseWideRows}. At 16 lanes (32
     * zmm registers) either 6 rows x {@link #NR} vectors ("6x4", 24 accumulators, 10 loads per
     * 24 FMAs) or 10 rows x 2 vectors with the panel done as two halves ("10x2", 20 accumulators,
     * 12 loads per 20 FMAs), which streams 40 % fewer bytes of the panel (k x 64 floats, in L2)
     * per FMA.
     * <ul>
     *   <li>Zen 5 (cpu family 26, full-width 512-bit FMAs, 230 GFLOP/s peak), MatmulBench, 4x4
     *       then 6x4, GFLOP/s: NT 256x784x512 170 / 196, NN 256x512x512 168 / 189, NN
     *       256x512x784 157 / 186, TN 512x256x784 151 / 183, TN 512x256x512 164 / 195.
     *   <li>Intel Xeon (cpu family 6, model 167, 178-205 GFLOP/s peak by PeakBench), MatmulReport,
     *       6x4 then 10x2, GFLOP/s over 2 runs each in turn: NT 256x784x512 115-119 / 131-138,
     *       NN 256x512x784 108-114 / 113-122, NN 256x512x512 122-124 / 133-136. A 12x2 tile ran
     *       as fast (133-142, 122-134, 144) but was too big for C1 (see bcast10x2); 8x2 came
     *       between (127-136, 119-127, 131-140).
     * </ul>
     * So 10x2 on Intel, 6x4 elsewhere (10x2 was not measured on AMD); TN, whose rows of A are not
     * contiguous, keeps 6x4 (see bcast10x2); 4 rows without 16 lanes, where 20 or 24 accumulators
     * would spill AVX2's 16 registers.
     */
    static final int MR_WIDE = chooseWideRows();
    /** Rows of the 6x4 tile (bcast6x4), the wide tile away from Intel and the swapped product's across 64 columns. */
    static final int ROWS_6X4 = 6;
    /** Rows of the tall tile (bcast10x2): {@link #MR_WIDE} on Intel. */
    static final int TALL_ROWS = 10;
    /**
     * The wide tile serves products of at least this many rows and this inner dimension. The
     * training step's 32-row shards (NN of 32 rows, TN over k = 32) ran slower with it: steady
     * step 2.25-2.37 ms against 2.07-2.12, whole command 9.9-11.2 s against 8.4-8.8 s
     * (perf/main-job.sh, in turn, Zen 5, a slow hour), so they keep the 4-row tile.
     */
    static final int WIDE_MIN = 128;
    /** Vectors (of {@link #L} floats) across the register tile of the broadcast products. */
    static final int NR = 4;
    /** Rows of B in the swapped product's tile across 2 vectors: 16 accumulators (see bcast8x2). */
    static final int SWAP_ROWS = 8;

    /** The lane numbers 0, 1, ..., L-1, as floats; compared with a count they make tail masks. */
    static final float[] IOTA = iota();

    // Same bits in every JIT tier. A method runs interpreted (or in C1) for its first calls and in
    // C2 later, and the two disagree on two kinds of operation: reduceLanes(ADD) is a tree in C2
    // and a left-to-right loop in the Java fallback, and lanewise(EXP, TANH, LOG1P) is Intel's
    // SVML in C2 and Math.exp per lane in the fallback. Training with one seed then gave weights
    // that differed from run to run in the 7th digit (MnistSliceTest: 1 thread against 2, the
    // second run compiled further). So the kernels use only operations IEEE 754 rounds exactly,
    // lane by lane (add, mul, fma, div, min, max, compare, blend, conversions, lane permutations):
    // a sum across lanes is the SWAP tree below written out, and exp is the EXPM1 polynomial.

    /**
     * Lane permutations for a sum across lanes: stage s pairs lane l with lane l ^ (L >> (s + 1)),
     * so after {@link #STAGES} stages of {@code v = v + permuted(v)} every lane holds the same sum,
     * added in the same order in every tier. Four stages of L floats; stages from STAGES on are
     * never read.
     */
    static final float[] SWAP = swapIndex();
    /** log2(L): the stages of a sum across lanes (4 at 512 bits). */
    static final int STAGES = Integer.numberOfTrailingZeros(L);

    // exp(a) and expm1(a) for a <= 0, from lane-wise operations: a = k ln2 + r with k an integer
    // and |r| <= ln2 / 2 (Cody and Waite: ln2 split into a part that k multiplies exactly and a
    // remainder), q = e^r - 1 = r + r^2 (1/2 + r/6 + ... + r^5/5040) (Taylor to r^7: the next
    // term is below 5e-9 of the result), then exp(a) = 2^k + 2^k q and expm1(a) = 2^k q + (2^k - 1),
    // each one FMA, so exp keeps its accuracy where 1 + expm1 would cancel. 2^k is built in the
    // exponent bits as 2^(k+32) and scaled by 2^-32, exact down to the subnormal 2^-149. Every
    // caller has a non-positive argument (softmax z - max, and -|z| in the activations), so 2^k
    // never overflows; arguments are clamped at -104, where e^a rounds to 0.
    static final float LOG2E = 1.44269504f;
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float below 2^22 to the nearest integer. */
    static final float ROUNDER = 12582912f;
    static final float E2 = 1f / 2, E3 = 1f / 6, E4 = 1f / 24, E5 = 1f / 120, E6 = 1f / 720, E7 = 1f / 5040;

    // Tail masks: FloatVector.fromArray(S, IOTA, 0).compare(LT, n) is the mask of the lanes below
    // n (all of them when n >= L). A compare against the lane numbers has one path, so C2 never
    // merges two masks (S.indexInRange has two paths, and the phi of their masks was boxed, once
    // per iteration where it sat in a loop). Loads, broadcasts and masks are written out at each
    // use rather than through helpers: a helper that returns a vector or a mask is boxed whenever
    // C2 declines to inline it, which it did for 13-byte helpers past its node budget
    // (NodeCountInliningCutoff) and depending on which other kernels a JVM had run first.
    //
    // At most three segments in a vector loop. Every segment access runs the JDK's session check
    // (MemorySessionImpl.checkValidStateRaw: owner != null && owner != currentThread), and its
    // branch profile is shared by every segment access in the JVM. After 20 million reads of a
    // confined segment (or KernelPropertiesTest, whose Regions are confined) C2 compiled Adam's
    // one loop over p, g, m and v with a profiled loop predicate that fails on the engine's
    // shared slabs (owner null): it trapped (reason profile_predicate) at the first call after
    // every recompile, so the method ran in C1 and boxed 29 MB per 200 steps of TrainerTest's
    // network, still after 40 s (-XX:-UseProfiledLoopPredicate, -XX:-LoopUnswitching or
    // -XX:PerMethodTrapLimit=10 each made it settle). Loops over three segments (the momentum
    // steps, Adam's passes now) trap once or twice and then stay in C2.
    //
    // No static final vectors either: C2 does not unbox a constant vector that meets a loop phi,
    // and falls back to the Java implementation of every operation it touches (measured: 4
    // GFLOP/s with static final zero accumulators, against 60+ with FloatVector.zero(S) in the
    // method).

    SimdKernels() {
    }

    static float[] swapIndex() {
        float[] index = new float[4 * L];
        for (int stage = 0; stage < 4; stage++) {
            int d = L >> (stage + 1);
            for (int l = 0; l < L; l++) {
                index[stage * L + l] = d > 0 ? l ^ d : l;
            }
        }
        return index;
    }

    static float[] iota() {
        float[] lanes = new float[L];
        for (int i = 0; i < L; i++) {
            lanes[i] = i;
        }
        return lanes;
    }

    static VectorSpecies<Float> chooseSpecies() {
        String bits = System.getProperty("vecmlp.vectorBits", "").trim();
        return switch (bits) {
            // The SWAP tree and the transposes are written for up to 16 lanes; wider vectors
            // (SVE at 1024 bits and more) use 512 of their bits.
            case "" -> FloatVector.SPECIES_PREFERRED.length() > 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
            case "64" -> FloatVector.SPECIES_64;
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    "vecmlp.vectorBits: expected 64, 128, 256 or 512, found '" + bits + "'");
        };
    }

    /**
     * {@link #MR_WIDE}: {@code -Dvecmlp.wideTile=6x4|10x2|4x4}, else 10 (10x2) on an Intel CPU
     * (GenuineIntel in /proc/cpuinfo) and 6 (6x4) on any other, at 16 lanes; 4 below. Every tile
     * sums a row in the same order, so the choice changes the speed, not a bit of the results.
     */
    static int chooseWideRows() {
        String wanted = System.getProperty("vecmlp.wideTile", "").trim();
        int rows = switch (wanted) {
            case "" -> "GenuineIntel".equals(cpuVendor()) ? TALL_ROWS : ROWS_6X4;
            case "6x4" -> ROWS_6X4;
            case "10x2" -> TALL_ROWS;
            case "4x4" -> MR;
            default -> throw new IllegalArgumentException(
                    "vecmlp.wideTile: expected 6x4, 10x2 or 4x4, found '" + wanted + "'");
        };
        return L == 16 ? rows : MR;
    }

    /** The vendor_id of /proc/cpuinfo (GenuineIntel, AuthenticAMD, ...), or "" where there is none. */
    static String cpuVendor() {
        try (java.util.stream.Stream<String> lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("vendor_id")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("");
        } catch (java.io.IOException | java.io.UncheckedIOException | SecurityException e) {
            return "";
        }
    }

    @Override
    public String name() {
        return "simd-" + S.vectorBitSize();
    }

    @Override
    public String tuning() {
        return "wide tile " + switch (MR_WIDE) {
            case TALL_ROWS -> "10x2";
            case ROWS_6X4 -> "6x4";
            default -> MR + "x" + NR;
        } + (System.getProperty("vecmlp.wideTile", "").isBlank() ? "" : " (-Dvecmlp.wideTile)");
    }

    /** The forward pass in scalar code with these kernels' bits, for the calls before C2 has compiled them. */
    @Override
    public ForwardTwin forwardTwin() {
        return new SimdTwin();
    }

    // ---------------------------------------------------------------------------------------
    // The products: NT in SimdNT, NN and TN in SimdBroadcast.

    @Override
    public long scratchFloatsNT(int m, int n, int k) {
        return SimdNT.scratchFloatsNT(m, n, k);
    }

    @Override
    public int uniformRowsNT() {
        return SimdNT.uniformRowsNT();
    }

    @Override
    public void matmulNT(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         MemorySegment bias, long biasOff, Pointwise f, MemorySegment z, long zOff, int ldz,
                         MemorySegment h, long hOff, int ldh, MemorySegment scratch, long scratchOff) {
        SimdNT.matmulNT(m, n, k, a, aOff, lda, b, bOff, ldb, bias, biasOff, f, z, zOff, ldz, h, hOff, ldh, scratch, scratchOff);
    }

    @Override
    public void matmulNN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         Pointwise f, MemorySegment z, long zOff, int ldz, MemorySegment h, long hOff, int ldh,
                         MemorySegment c, long cOff, int ldc) {
        SimdBroadcast.matmulNN(m, n, k, a, aOff, lda, b, bOff, ldb, f, z, zOff, ldz, h, hOff, ldh, c, cOff, ldc);
    }

    @Override
    public void matmulTN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         float lambda, MemorySegment w, long wOff, int ldw, MemorySegment c, long cOff, int ldc) {
        SimdBroadcast.matmulTN(m, n, k, a, aOff, lda, b, bOff, ldb, lambda, w, wOff, ldw, c, cOff, ldc);
    }

    // ---------------------------------------------------------------------------------------
    // Batch 1 weight gradient, elementwise, losses, reductions.

    @Override
    public void outer(int m, int n, MemorySegment x, long xOff, MemorySegment y, long yOff, float lambda,
                      MemorySegment w, long wOff, int ldw, MemorySegment c, long cOff, int ldc) {
        long yB = 4L * yOff;
        for (int i = 0; i < m; i++) {
            long cRow = 4L * (cOff + (long) i * ldc);
            outerRow(n, x.get(F, 4L * (xOff + i)), y, yB, c, cRow);
            if (lambda != 0f) {
                axpyRow(n, lambda, w, 4L * (wOff + (long) i * ldw), c, cRow);
            }
        }
    }

    /**
     * c[0, n) = xi · y[0, n): full vectors unmasked (a masked store costs a mask compare per
     * vector and measured 2x slower at batch 1), then one masked tail.
     */
    static void outerRow(int n, float xi, MemorySegment y, long yB, MemorySegment c, long cB) {
        FloatVector s = FloatVector.broadcast(S, xi);
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            long o = 4L * j;
            FloatVector.fromMemorySegment(S, y, yB + o, BO).mul(s).intoMemorySegment(c, cB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> mj = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector.fromMemorySegment(S, y, yB + o, BO, mj).mul(s).intoMemorySegment(c, cB + o, BO, mj);
        }
    }

    @Override
    public void activate(Pointwise f, int rows, int cols, MemorySegment z, long zOff, int ldz,
                         MemorySegment h, long hOff, int ldh) {
        activate(f, rows, cols, z, 4L * zOff, 4L * ldz, h, 4L * hOff, 4L * ldh);
    }

    static void activate(Pointwise f, int rows, int cols, MemorySegment z, long zB, long ldzB,
                                 MemorySegment h, long hB, long ldhB) {
        for (int r = 0; r < rows; r++) {
            activateRow(f, cols, z, zB + r * ldzB, h, hB + r * ldhB);
        }
    }

    @Override
    public void multiplyDerivative(Pointwise f, int rows, int cols, MemorySegment z, long zOff, int ldz,
                                   MemorySegment h, long hOff, int ldh, MemorySegment g, long gOff, int ldg) {
        epilogue(rows, cols, g, 4L * gOff, 4L * ldg, f, z, 4L * zOff, 4L * ldz, h, 4L * hOff, 4L * ldh, 0f, null, 0, 0);
    }

    // Softmax cross-entropy is split into one small method per pass that hands back scalars: in one
    // method, three loops with exp made C2 reach NodeCountInliningCutoff, leave loads out of line
    // and box their vectors (240-336 bytes a call at batch 1, measured with
    // ThreadMXBean.getThreadAllocatedBytes per plan step).

    @Override
    public double softmaxCrossEntropy(int rows, int cols, MemorySegment z, long zOff, int ldz,
                                      MemorySegment t, long tOff, int ldt, float scale,
                                      MemorySegment g, long gOff, int ldg) {
        double total = 0.0;
        for (int r = 0; r < rows; r++) {
            long zr = 4L * (zOff + (long) r * ldz), tr = 4L * (tOff + (long) r * ldt), gr = 4L * (gOff + (long) r * ldg);
            float max = rowMax(cols, z, zr);
            // g holds e^(z - max) until the gradient replaces it.
            expShiftedRow(cols, z, zr, max, g, gr);
            double sumE = rowSum(cols, g, gr);
            float lse = (float) (max + Math.log(sumE));
            double sumT = rowSum(cols, t, tr);
            total += sumT * lse - rowDot(cols, t, tr, z, zr);
            softmaxGradientRow(cols, g, gr, (float) (1 / sumE), (float) sumT, t, tr, scale);
        }
        return total;
    }

    static float rowMax(int n, MemorySegment z, long zB) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j += L) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            FloatVector zv = FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO, m);
            FloatVector v = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY).blend(zv, m);
            max = Math.max(max, v.reduceLanes(MAX));
        }
        return max;
    }

    /** {@code g[j] = exp(z[j] − shift)} for {@code j < n}, with {@code shift} the row's maximum. */
    static void expShiftedRow(int n, MemorySegment z, long zB, float shift, MemorySegment g, long gB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO).sub(shift);
            // e = exp(-|v|) = 2^k (1 + q): see the expm1 note above.
            FloatVector x0 = v.abs().neg();
            FloatVector x = x0.max(-104f);
            FloatVector k = x.fma(LOG2E, ROUNDER).sub(ROUNDER);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), x);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4))
                    .fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, E2));
            q = r.mul(r).fma(q, r);
            FloatVector two = ((IntVector) k.convert(F2I, 0)).add(127 + 32).lanewise(LSHL, 23).reinterpretAsFloats()
                    .mul(0x1p-32f);
            // Below -104, e^x rounds to 0 (the smallest subnormal float is e^-103.3).
            FloatVector e = two.fma(q, two).blend(0f, x0.compare(LT, -104f));
            e.intoMemorySegment(g, gB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            FloatVector v = FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO, m).sub(shift);
            // e = exp(-|v|) = 2^k (1 + q): see the expm1 note above.
            FloatVector x0 = v.abs().neg();
            FloatVector x = x0.max(-104f);
            FloatVector k = x.fma(LOG2E, ROUNDER).sub(ROUNDER);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), x);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4))
                    .fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, E2));
            q = r.mul(r).fma(q, r);
            FloatVector two = ((IntVector) k.convert(F2I, 0)).add(127 + 32).lanewise(LSHL, 23).reinterpretAsFloats()
                    .mul(0x1p-32f);
            // Below -104, e^x rounds to 0 (the smallest subnormal float is e^-103.3).
            FloatVector e = two.fma(q, two).blend(0f, x0.compare(LT, -104f));
            e.intoMemorySegment(g, gB + 4L * j, BO, m);
        }
    }

    // The row sums below are scalar loops in double: a class count is small, and a left-to-right
    // sum in double gives the same bits in every tier (see the note on SWAP).

    static double rowSum(int n, MemorySegment x, long xB) {
        double sum = 0.0;
        for (int j = 0; j < n; j++) {
            sum += x.get(F, xB + 4L * j);
        }
        return sum;
    }

    static double rowDot(int n, MemorySegment x, long xB, MemorySegment y, long yB) {
        double sum = 0.0;
        for (int j = 0; j < n; j++) {
            sum += (double) x.get(F, xB + 4L * j) * y.get(F, yB + 4L * j);
        }
        return sum;
    }

    /** g = scale · (s · g / Σ − t): the softmax, from the e^(z − max) that g holds. */
    static void softmaxGradientRow(int n, MemorySegment g, long gB, float inverseSum, float s,
                                           MemorySegment t, long tB, float scale) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            long o = 4L * j;
            FloatVector tv = FloatVector.fromMemorySegment(S, t, tB + o, BO);
            FloatVector.fromMemorySegment(S, g, gB + o, BO).mul(inverseSum).mul(s).sub(tv).mul(scale)
                    .intoMemorySegment(g, gB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector tv = FloatVector.fromMemorySegment(S, t, tB + o, BO, m);
            FloatVector.fromMemorySegment(S, g, gB + o, BO, m).mul(inverseSum).mul(s).sub(tv).mul(scale)
                    .intoMemorySegment(g, gB + o, BO, m);
        }
    }

    @Override
    public double squaredError(int rows, int cols, MemorySegment y, long yOff, int ldy,
                               MemorySegment t, long tOff, int ldt, float scale,
                               MemorySegment g, long gOff, int ldg) {
        double total = 0.0;
        for (int r = 0; r < rows; r++) {
            long yr = 4L * (yOff + (long) r * ldy), tr = 4L * (tOff + (long) r * ldt), gr = 4L * (gOff + (long) r * ldg);
            total += 0.5 * rowSquaredDistance(cols, y, yr, t, tr);
            for (int j = 0; j < cols; j += L) {
                VectorMask<Float> mj = FloatVector.fromArray(S, IOTA, 0).compare(LT, cols - j);
                FloatVector tv = FloatVector.fromMemorySegment(S, t, tr + 4L * j, BO, mj);
                FloatVector.fromMemorySegment(S, y, yr + 4L * j, BO, mj).sub(tv).mul(scale).intoMemorySegment(g, gr + 4L * j, BO, mj);
            }
        }
        return total;
    }

    /** Σ (y[j] − t[j])² in double, left to right (the same bits in every tier). */
    static double rowSquaredDistance(int n, MemorySegment y, long yB, MemorySegment t, long tB) {
        double sum = 0.0;
        for (int j = 0; j < n; j++) {
            double d = (double) y.get(F, yB + 4L * j) - t.get(F, tB + 4L * j);
            sum += d * d;
        }
        return sum;
    }

    @Override
    public void columnSums(int rows, int cols, MemorySegment a, long aOff, int lda, MemorySegment out, long outOff) {
        long aB = 4L * aOff, ldaB = 4L * lda;
        for (int j = 0; j < cols; j += L) {
            VectorMask<Float> mj = FloatVector.fromArray(S, IOTA, 0).compare(LT, cols - j);
            long o = 4L * j;
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
            int i = 0;
            for (; i + 1 < rows; i += 2) {
                s0 = s0.add(FloatVector.fromMemorySegment(S, a, aB + i * ldaB + o, BO, mj));
                s1 = s1.add(FloatVector.fromMemorySegment(S, a, aB + (i + 1) * ldaB + o, BO, mj));
            }
            if (i < rows) {
                s0 = s0.add(FloatVector.fromMemorySegment(S, a, aB + i * ldaB + o, BO, mj));
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
            FloatVector xv = FloatVector.fromMemorySegment(S, x, xB + o, BO);
            FloatVector yv = FloatVector.fromMemorySegment(S, y, yB + o, BO);
            xv.fma(FloatVector.broadcast(S, alpha), yv).intoMemorySegment(y, yB + o, BO);
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
            FloatVector.fromMemorySegment(S, x, xB + o, BO).mul(alpha).intoMemorySegment(x, xB + o, BO);
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
        FloatVector w0 = FloatVector.fromArray(S, SWAP, 0), w1 = FloatVector.fromArray(S, SWAP, L);
        FloatVector w2 = FloatVector.fromArray(S, SWAP, 2 * L), w3 = FloatVector.fromArray(S, SWAP, 3 * L);
        FloatVector s = FloatVector.zero(S);
        double total = 0.0;
        // Flush the float accumulator into double every 4096 vectors so long slabs keep precision.
        long flushEvery = 4096L * L;
        for (long i = 0; i < full; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, xB + 4L * i, BO);
            s = v.fma(v, s);
            if ((i + L) % flushEvery == 0) {
                s = s.add(w0.selectFrom(s));
                if (STAGES > 1) {
                    s = s.add(w1.selectFrom(s));
                }
                if (STAGES > 2) {
                    s = s.add(w2.selectFrom(s));
                }
                if (STAGES > 3) {
                    s = s.add(w3.selectFrom(s));
                }
                total += s.lane(0);
                s = FloatVector.zero(S);
            }
        }
        s = s.add(w0.selectFrom(s));
        if (STAGES > 1) {
            s = s.add(w1.selectFrom(s));
        }
        if (STAGES > 2) {
            s = s.add(w2.selectFrom(s));
        }
        if (STAGES > 3) {
            s = s.add(w3.selectFrom(s));
        }
        total += s.lane(0);
        for (long i = full; i < n; i++) {
            double v = x.get(F, xB + 4L * i);
            total += v * v;
        }
        return total;
    }

    // The optimizer steps and the shard reduction are flat loops over the parameter slab, bound
    // by memory, not by arithmetic. Each element is computed the same way whichever range or
    // thread it falls in (the tails repeat the vector body's operations, FMA for FMA), so a
    // step split across threads gives the same bits as one thread.

    @Override
    public boolean addFinite(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long xB = 4L * xOff, yB = 4L * yOff;
        long full = n - n % L;
        // r − r is 0 for a finite r and NaN for ±∞ or NaN, so the sum of them says whether all were finite.
        FloatVector bad = FloatVector.zero(S);
        for (long i = 0; i < full; i += L) {
            long o = 4L * i;
            FloatVector r = FloatVector.fromMemorySegment(S, y, yB + o, BO)
                    .add(FloatVector.fromMemorySegment(S, x, xB + o, BO));
            r.intoMemorySegment(y, yB + o, BO);
            bad = bad.add(r.sub(r));
        }
        boolean finite = bad.reduceLanes(ADD) == 0f;
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            float r = y.get(F, yB + o) + x.get(F, xB + o);
            y.set(F, yB + o, r);
            finite &= Float.isFinite(r);
        }
        return finite;
    }

    @Override
    public boolean allFinite(long n, MemorySegment x, long xOff) {
        long xB = 4L * xOff;
        long full = n - n % L;
        FloatVector bad = FloatVector.zero(S);
        for (long i = 0; i < full; i += L) {
            FloatVector r = FloatVector.fromMemorySegment(S, x, xB + 4L * i, BO);
            bad = bad.add(r.sub(r));
        }
        boolean finite = bad.reduceLanes(ADD) == 0f;
        for (long i = full; i < n; i++) {
            finite &= Float.isFinite(x.get(F, xB + 4L * i));
        }
        return finite;
    }

    @Override
    public void sgdStep(long n, float lr, float weightDecay, MemorySegment p, long pOff, MemorySegment g, long gOff) {
        long pB = 4L * pOff, gB = 4L * gOff;
        long full = n - n % L;
        for (long i = 0; i < full; i += L) {
            long o = 4L * i;
            FloatVector w = FloatVector.fromMemorySegment(S, p, pB + o, BO);
            FloatVector d = w.fma(FloatVector.broadcast(S, weightDecay), FloatVector.fromMemorySegment(S, g, gB + o, BO));
            d.fma(FloatVector.broadcast(S, -lr), w).intoMemorySegment(p, pB + o, BO);
        }
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            float w = p.get(F, pB + o);
            float d = Math.fma(w, weightDecay, g.get(F, gB + o));
            p.set(F, pB + o, Math.fma(d, -lr, w));
        }
    }

    @Override
    public void momentumStep(long n, float lr, float mu, boolean nesterov, float weightDecay,
                             MemorySegment p, long pOff, MemorySegment g, long gOff, MemorySegment v, long vOff) {
        if (nesterov) {
            nesterovStep(n, lr, mu, weightDecay, p, 4L * pOff, g, 4L * gOff, v, 4L * vOff);
        } else {
            heavyBallStep(n, lr, mu, weightDecay, p, 4L * pOff, g, 4L * gOff, v, 4L * vOff);
        }
    }

    static void heavyBallStep(long n, float lr, float mu, float weightDecay,
                                      MemorySegment p, long pB, MemorySegment g, long gB, MemorySegment v, long vB) {
        long full = n - n % L;
        for (long i = 0; i < full; i += L) {
            long o = 4L * i;
            FloatVector w = FloatVector.fromMemorySegment(S, p, pB + o, BO);
            FloatVector d = w.fma(FloatVector.broadcast(S, weightDecay), FloatVector.fromMemorySegment(S, g, gB + o, BO));
            FloatVector vel = FloatVector.fromMemorySegment(S, v, vB + o, BO).fma(FloatVector.broadcast(S, mu), d);
            vel.intoMemorySegment(v, vB + o, BO);
            vel.fma(FloatVector.broadcast(S, -lr), w).intoMemorySegment(p, pB + o, BO);
        }
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            float w = p.get(F, pB + o);
            float d = Math.fma(w, weightDecay, g.get(F, gB + o));
            float vel = Math.fma(v.get(F, vB + o), mu, d);
            v.set(F, vB + o, vel);
            p.set(F, pB + o, Math.fma(vel, -lr, w));
        }
    }

    static void nesterovStep(long n, float lr, float mu, float weightDecay,
                                     MemorySegment p, long pB, MemorySegment g, long gB, MemorySegment v, long vB) {
        long full = n - n % L;
        for (long i = 0; i < full; i += L) {
            long o = 4L * i;
            FloatVector w = FloatVector.fromMemorySegment(S, p, pB + o, BO);
            FloatVector d = w.fma(FloatVector.broadcast(S, weightDecay), FloatVector.fromMemorySegment(S, g, gB + o, BO));
            FloatVector vel = FloatVector.fromMemorySegment(S, v, vB + o, BO).fma(FloatVector.broadcast(S, mu), d);
            vel.intoMemorySegment(v, vB + o, BO);
            vel.fma(FloatVector.broadcast(S, mu), d).fma(FloatVector.broadcast(S, -lr), w).intoMemorySegment(p, pB + o, BO);
        }
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            float w = p.get(F, pB + o);
            float d = Math.fma(w, weightDecay, g.get(F, gB + o));
            float vel = Math.fma(v.get(F, vB + o), mu, d);
            v.set(F, vB + o, vel);
            p.set(F, pB + o, Math.fma(Math.fma(vel, mu, d), -lr, w));
        }
    }

    // Adam in three passes of at most three segments each (see "At most three segments" above):
    // the first moment, the second, then the parameters. Each pass recomputes g + wd·p with the
    // same FMA and reads back the floats the previous pass stored, so the bits are those of the
    // one-pass loop. Cost: 0.7-0.8 ns a float against 0.3 in one pass at 400,000 floats, the
    // same (0.9) at 800; running the passes block by block (4,096 floats) did not change that.
    @Override
    public void adamStep(long n, float stepSize, float beta1, float beta2, float rootCorrection2, float eps,
                         float weightDecay, MemorySegment p, long pOff, MemorySegment g, long gOff,
                         MemorySegment m, long mOff, MemorySegment v, long vOff) {
        long pB = 4L * pOff, gB = 4L * gOff, mB = 4L * mOff, vB = 4L * vOff;
        adamMoment1(n, beta1, weightDecay, p, pB, g, gB, m, mB);
        adamMoment2(n, beta2, weightDecay, p, pB, g, gB, v, vB);
        adamUpdate(n, stepSize, rootCorrection2, eps, p, pB, m, mB, v, vB);
    }

    static void adamMoment1(long n, float beta1, float weightDecay,
                                    MemorySegment p, long pB, MemorySegment g, long gB, MemorySegment m, long mB) {
        float c1 = 1 - beta1;
        long full = n - n % L;
        for (long i = 0; i < full; i += L) {
            long o = 4L * i;
            FloatVector w = FloatVector.fromMemorySegment(S, p, pB + o, BO);
            FloatVector d = w.fma(FloatVector.broadcast(S, weightDecay), FloatVector.fromMemorySegment(S, g, gB + o, BO));
            FloatVector.fromMemorySegment(S, m, mB + o, BO).fma(FloatVector.broadcast(S, beta1), d.mul(c1))
                    .intoMemorySegment(m, mB + o, BO);
        }
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            float d = Math.fma(p.get(F, pB + o), weightDecay, g.get(F, gB + o));
            m.set(F, mB + o, Math.fma(m.get(F, mB + o), beta1, d * c1));
        }
    }

    static void adamMoment2(long n, float beta2, float weightDecay,
                                    MemorySegment p, long pB, MemorySegment g, long gB, MemorySegment v, long vB) {
        float c2 = 1 - beta2;
        long full = n - n % L;
        for (long i = 0; i < full; i += L) {
            long o = 4L * i;
            FloatVector w = FloatVector.fromMemorySegment(S, p, pB + o, BO);
            FloatVector d = w.fma(FloatVector.broadcast(S, weightDecay), FloatVector.fromMemorySegment(S, g, gB + o, BO));
            FloatVector.fromMemorySegment(S, v, vB + o, BO).fma(FloatVector.broadcast(S, beta2), d.mul(d).mul(c2))
                    .intoMemorySegment(v, vB + o, BO);
        }
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            float d = Math.fma(p.get(F, pB + o), weightDecay, g.get(F, gB + o));
            v.set(F, vB + o, Math.fma(v.get(F, vB + o), beta2, d * d * c2));
        }
    }

    static void adamUpdate(long n, float stepSize, float rootCorrection2, float eps,
                                   MemorySegment p, long pB, MemorySegment m, long mB, MemorySegment v, long vB) {
        long full = n - n % L;
        for (long i = 0; i < full; i += L) {
            long o = 4L * i;
            FloatVector denom = FloatVector.fromMemorySegment(S, v, vB + o, BO).sqrt()
                    .fma(FloatVector.broadcast(S, rootCorrection2), FloatVector.broadcast(S, eps));
            FloatVector.fromMemorySegment(S, m, mB + o, BO).div(denom)
                    .fma(FloatVector.broadcast(S, -stepSize), FloatVector.fromMemorySegment(S, p, pB + o, BO))
                    .intoMemorySegment(p, pB + o, BO);
        }
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            float denom = Math.fma((float) Math.sqrt(v.get(F, vB + o)), rootCorrection2, eps);
            p.set(F, pB + o, Math.fma(m.get(F, mB + o) / denom, -stepSize, p.get(F, pB + o)));
        }
    }
}
