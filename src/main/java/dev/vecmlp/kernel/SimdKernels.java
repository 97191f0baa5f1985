package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.F2I;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.MAX;

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
 *   <li><b>NT</b> (forward): both operands run along k, so one of them is transposed into
 *       panels in the caller's scratch (16x16 register transposes) and the product runs as a
 *       broadcast product. From {@link #NT_PACK_MIN_ROWS} rows of A on, B (the weights) is
 *       transposed; from {@link #NT_SWAP_MIN_ROWS} rows, where that would cost a third of the
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
    private static final long VB = (long) L * Float.BYTES;
    private static final ByteOrder BO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

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
     * zmm registers) either 6 rows x {@link #NR} vectors ("6x4") or 12 rows x 2 vectors, the
     * panel as two halves ("12x2"): both 24 accumulators. 6x4 loads 10 vectors per 24 FMAs, 12x2
     * loads 14 but streams half as many bytes of the panel (k x 64 floats, in L2) per FMA.
     * <ul>
     *   <li>Zen 5 (cpu family 26, full-width 512-bit FMAs, 230 GFLOP/s peak), MatmulBench, 4x4
     *       then 6x4, GFLOP/s: NT 256x784x512 170 / 196, NN 256x512x512 168 / 189, NN
     *       256x512x784 157 / 186, TN 512x256x784 151 / 183, TN 512x256x512 164 / 195.
     *   <li>Intel Xeon (cpu family 6, model 167, 178-187 GFLOP/s peak by PeakBench), MatmulReport,
     *       6x4 then 12x2 (and 8x2, 2 vectors by 8 rows), GFLOP/s over 2-3 runs: NT 256x784x512
     *       122 / 133-142 (127-136), NN 256x512x784 112-116 / 122-134 (119-127), NN 256x512x512
     *       126 / 144 (131-140).
     * </ul>
     * So 12x2 on Intel, 6x4 elsewhere (12x2 was not measured on AMD); TN, whose rows of A are
     * not contiguous, keeps 6x4 (see bcast12x2); 4 rows without 16 lanes, where 24 accumulators
     * would spill AVX2's 16 registers.
     */
    static final int MR_WIDE = chooseWideRows();
    /** Rows of the 6x4 tile (bcast6x4), the wide tile away from Intel and the swapped product's across 64 columns. */
    private static final int ROWS_6X4 = 6;
    /** Rows of the tall tile (bcast12x2): {@link #MR_WIDE} on Intel. */
    private static final int TALL_ROWS = 12;
    /**
     * The wide tile serves products of at least this many rows and this inner dimension. The
     * training step's 32-row shards (NN of 32 rows, TN over k = 32) ran slower with it: steady
     * step 2.25-2.37 ms against 2.07-2.12, whole command 9.9-11.2 s against 8.4-8.8 s
     * (perf/main-job.sh, in turn, Zen 5, a slow hour), so they keep the 4-row tile.
     */
    private static final int WIDE_MIN = 128;
    /** Vectors (of {@link #L} floats) across the register tile of the broadcast products. */
    static final int NR = 4;
    /**
     * NT blocking: about this many bytes of rows of B, and as many of rows of A, are kept hot in
     * the 1 MiB L2 while the 4x4 tiles sweep them. MatmulBench, NT:256x784x512 / 256x512x512 /
     * 32x784x512 in GFLOP/s: no blocking of A 67 / 57 / 79; 256 KiB 73 / 79 / 88; 128 KiB
     * 73 / 65 / 80; 64 KiB 61 / 60 / 79.
     */
    private static final int NT_BLOCK_BYTES = 256 * 1024;
    /**
     * From this many rows of A on, NT transposes B into panels (about 0.3 ns a float with 16x16
     * register transposes) and runs as a broadcast product, which does not pay 16 reductions per
     * 4x4 tile. MatmulBench: at 256x784x512 the dot tiles ran 72 GFLOP/s; at 32 rows the transpose
     * would cost a third of the product.
     */
    private static final int NT_PACK_MIN_ROWS = 128;
    /**
     * From this many rows of A (up to {@link #NT_PACK_MIN_ROWS}), NT transposes A, not B, and
     * runs as the broadcast product Cᵀ = B · Aᵀ ({@link #swappedNT}): the copy is of the batch's
     * rows, not the weights, so it costs little beside the product. MatmulBench on Zen 5 (cpu
     * family 26), dot tiles then swapped, µs: NT 32x784x512 223 / 130-150 (115 / 171-198
     * GFLOP/s), 64x784x512 about 390 / 260-290. At 16 rows the tile's 2 vectors are half
     * padding and the two cost the same (128 µs dot, about 130 swapped); 16 is where it starts,
     * so a batch of 32 split in two parts of 16 keeps the bits of the whole.
     */
    private static final int NT_SWAP_MIN_ROWS = 16;
    /** Rows of B in the swapped product's tile across 2 vectors: 16 accumulators (see bcast8x2). */
    private static final int SWAP_ROWS = 8;

    /** The lane numbers 0, 1, ..., L-1, as floats; compared with a count they make tail masks. */
    private static final float[] IOTA = iota();

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
    private static final float[] SWAP = swapIndex();
    /** log2(L): the stages of a sum across lanes (4 at 512 bits). */
    private static final int STAGES = Integer.numberOfTrailingZeros(L);

    // exp(a) and expm1(a) for a <= 0, from lane-wise operations: a = k ln2 + r with k an integer
    // and |r| <= ln2 / 2 (Cody and Waite: ln2 split into a part that k multiplies exactly and a
    // remainder), q = e^r - 1 = r + r^2 (1/2 + r/6 + ... + r^5/5040) (Taylor to r^7: the next
    // term is below 5e-9 of the result), then exp(a) = 2^k + 2^k q and expm1(a) = 2^k q + (2^k - 1),
    // each one FMA, so exp keeps its accuracy where 1 + expm1 would cancel. 2^k is built in the
    // exponent bits as 2^(k+32) and scaled by 2^-32, exact down to the subnormal 2^-149. Every
    // caller has a non-positive argument (softmax z - max, and -|z| in the activations), so 2^k
    // never overflows; arguments are clamped at -104, where e^a rounds to 0.
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float below 2^22 to the nearest integer. */
    private static final float ROUNDER = 12582912f;
    private static final float E2 = 1f / 2, E3 = 1f / 6, E4 = 1f / 24, E5 = 1f / 120, E6 = 1f / 720, E7 = 1f / 5040;

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

    private static float[] swapIndex() {
        float[] index = new float[4 * L];
        for (int stage = 0; stage < 4; stage++) {
            int d = L >> (stage + 1);
            for (int l = 0; l < L; l++) {
                index[stage * L + l] = d > 0 ? l ^ d : l;
            }
        }
        return index;
    }

    private static float[] iota() {
        float[] lanes = new float[L];
        for (int i = 0; i < L; i++) {
            lanes[i] = i;
        }
        return lanes;
    }

    private static VectorSpecies<Float> chooseSpecies() {
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
     * {@link #MR_WIDE}: {@code -Dvecmlp.wideTile=6x4|12x2|4x4}, else 12 (12x2) on an Intel CPU
     * (GenuineIntel in /proc/cpuinfo) and 6 (6x4) on any other, at 16 lanes; 4 below. Every tile
     * sums a row in the same order, so the choice changes the speed, not a bit of the results.
     */
    private static int chooseWideRows() {
        String wanted = System.getProperty("vecmlp.wideTile", "").trim();
        int rows = switch (wanted) {
            case "" -> "GenuineIntel".equals(cpuVendor()) ? TALL_ROWS : ROWS_6X4;
            case "6x4" -> ROWS_6X4;
            case "12x2" -> TALL_ROWS;
            case "4x4" -> MR;
            default -> throw new IllegalArgumentException(
                    "vecmlp.wideTile: expected 6x4, 12x2 or 4x4, found '" + wanted + "'");
        };
        return L == 16 ? rows : MR;
    }

    /** The vendor_id of /proc/cpuinfo (GenuineIntel, AuthenticAMD, ...), or "" where there is none. */
    private static String cpuVendor() {
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
            case TALL_ROWS -> "12x2";
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
    // Pointwise functions: one small method, one loop, per function; the scalar definitions in
    // Pointwise are the reference. No helper takes or returns a vector, and no method holds more
    // than one of these loops: with all six in one method (exp, log1p and tanh expand to large
    // graphs) C2 reached its node budget, left loads out of line and boxed 144-1,872 bytes per
    // row (measured per kernel with ThreadMXBean.getThreadAllocatedBytes).

    /** {@code h[j] = f(z[j])} for {@code j < n}; h may be z. */
    private static void activateRow(Pointwise f, int n, MemorySegment z, long zB, MemorySegment h, long hB) {
        switch (f) {
            case LINEAR -> {
                if (z != h || zB != hB) {
                    MemorySegment.copy(z, zB, h, hB, 4L * n);
                }
            }
            case RELU -> reluRow(n, z, zB, h, hB);
            case SOFTPLUS -> softplusRow(n, z, zB, h, hB);
            case STEP -> stepRow(n, z, zB, h, hB);
            case LOGISTIC -> logisticRow(n, z, zB, h, hB);
            case TANH -> tanhRow(n, z, zB, h, hB);
        }
    }

    private static void reluRow(int n, MemorySegment z, long zB, MemorySegment h, long hB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO).max(0f).intoMemorySegment(h, hB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO, m).max(0f).intoMemorySegment(h, hB + 4L * j, BO, m);
        }
    }

    private static void softplusRow(int n, MemorySegment z, long zB, MemorySegment h, long hB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO);
            // e = exp(-|v|) = 2^k (1 + q): see the expm1 note at the top.
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
            // log1p(e) with e = exp(-|z|) in (0, 1]: 2 atanh(s), s = e / (2 + e) <= 1/3, to s^15.
            FloatVector sv = e.div(e.add(2f));
            FloatVector s2 = sv.mul(sv);
            FloatVector series = s2.fma(1f / 15, 1f / 13).fma(s2, FloatVector.broadcast(S, 1f / 11))
                    .fma(s2, FloatVector.broadcast(S, 1f / 9)).fma(s2, FloatVector.broadcast(S, 1f / 7))
                    .fma(s2, FloatVector.broadcast(S, 1f / 5)).fma(s2, FloatVector.broadcast(S, 1f / 3))
                    .fma(s2, FloatVector.broadcast(S, 1f));
            v.max(0f).add(sv.add(sv).mul(series)).intoMemorySegment(h, hB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            FloatVector v = FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO, m);
            // e = exp(-|v|) = 2^k (1 + q): see the expm1 note at the top.
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
            // log1p(e) with e = exp(-|z|) in (0, 1]: 2 atanh(s), s = e / (2 + e) <= 1/3, to s^15.
            FloatVector sv = e.div(e.add(2f));
            FloatVector s2 = sv.mul(sv);
            FloatVector series = s2.fma(1f / 15, 1f / 13).fma(s2, FloatVector.broadcast(S, 1f / 11))
                    .fma(s2, FloatVector.broadcast(S, 1f / 9)).fma(s2, FloatVector.broadcast(S, 1f / 7))
                    .fma(s2, FloatVector.broadcast(S, 1f / 5)).fma(s2, FloatVector.broadcast(S, 1f / 3))
                    .fma(s2, FloatVector.broadcast(S, 1f));
            v.max(0f).add(sv.add(sv).mul(series)).intoMemorySegment(h, hB + 4L * j, BO, m);
        }
    }

    private static void stepRow(int n, MemorySegment z, long zB, MemorySegment h, long hB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            FloatVector.zero(S).blend(1f, FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO).compare(GT, 0f))
                    .intoMemorySegment(h, hB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            FloatVector.zero(S).blend(1f, FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO, m).compare(GT, 0f))
                    .intoMemorySegment(h, hB + 4L * j, BO, m);
        }
    }

    private static void logisticRow(int n, MemorySegment z, long zB, MemorySegment h, long hB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO);
            // e = exp(-|v|) = 2^k (1 + q): see the expm1 note at the top.
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
            // e = exp(-|z|): σ(z) = 1 / (1 + e) for z >= 0 and e / (1 + e) below, never overflowing.
            FloatVector.broadcast(S, 1f).blend(e, v.compare(LT, 0f)).div(e.add(1f)).intoMemorySegment(h, hB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            FloatVector v = FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO, m);
            // e = exp(-|v|) = 2^k (1 + q): see the expm1 note at the top.
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
            // e = exp(-|z|): σ(z) = 1 / (1 + e) for z >= 0 and e / (1 + e) below, never overflowing.
            FloatVector.broadcast(S, 1f).blend(e, v.compare(LT, 0f)).div(e.add(1f)).intoMemorySegment(h, hB + 4L * j, BO, m);
        }
    }

    private static void tanhRow(int n, MemorySegment z, long zB, MemorySegment h, long hB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO);
            // y = expm1(-2|v|) = 2^k q + (2^k - 1): see the expm1 note at the top.
            FloatVector x0 = v.abs().mul(-2f);
            FloatVector x = x0.max(-104f);
            FloatVector k = x.fma(LOG2E, ROUNDER).sub(ROUNDER);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), x);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4))
                    .fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, E2));
            q = r.mul(r).fma(q, r);
            FloatVector two = ((IntVector) k.convert(F2I, 0)).add(127 + 32).lanewise(LSHL, 23).reinterpretAsFloats()
                    .mul(0x1p-32f);
            FloatVector y = two.fma(q, two.sub(1f));
            // tanh|z| = -y / (2 + y) with y = expm1(-2|z|): accurate near 0, where 1 - e^-2|z| cancels.
            FloatVector t = y.neg().div(y.add(2f));
            t.blend(t.neg(), v.compare(LT, 0f)).intoMemorySegment(h, hB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            FloatVector v = FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO, m);
            // y = expm1(-2|v|) = 2^k q + (2^k - 1): see the expm1 note at the top.
            FloatVector x0 = v.abs().mul(-2f);
            FloatVector x = x0.max(-104f);
            FloatVector k = x.fma(LOG2E, ROUNDER).sub(ROUNDER);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), x);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4))
                    .fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, E2));
            q = r.mul(r).fma(q, r);
            FloatVector two = ((IntVector) k.convert(F2I, 0)).add(127 + 32).lanewise(LSHL, 23).reinterpretAsFloats()
                    .mul(0x1p-32f);
            FloatVector y = two.fma(q, two.sub(1f));
            // tanh|z| = -y / (2 + y) with y = expm1(-2|z|): accurate near 0, where 1 - e^-2|z| cancels.
            FloatVector t = y.neg().div(y.add(2f));
            t.blend(t.neg(), v.compare(LT, 0f)).intoMemorySegment(h, hB + 4L * j, BO, m);
        }
    }

    /** {@code g[j] *= f'(z[j], h[j])} for {@code j < n}. */
    private static void derivativeRow(Pointwise f, int n, MemorySegment g, long gB,
                                      MemorySegment z, long zB, MemorySegment h, long hB) {
        switch (f) {
            case LINEAR -> {
            }
            case RELU -> reluDerivativeRow(n, g, gB, z, zB);
            case SOFTPLUS -> softplusDerivativeRow(n, g, gB, z, zB);
            case STEP -> stepDerivativeRow(n, g, gB);
            case LOGISTIC -> logisticDerivativeRow(n, g, gB, h, hB);
            case TANH -> tanhDerivativeRow(n, g, gB, h, hB);
        }
    }

    /** g ∘= [z > 0]. */
    private static void reluDerivativeRow(int n, MemorySegment g, long gB, MemorySegment z, long zB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            long o = 4L * j;
            FloatVector zv = FloatVector.fromMemorySegment(S, z, zB + o, BO);
            FloatVector d = FloatVector.zero(S).blend(1f, zv.compare(GT, 0f));
            FloatVector.fromMemorySegment(S, g, gB + o, BO).mul(d).intoMemorySegment(g, gB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector zv = FloatVector.fromMemorySegment(S, z, zB + o, BO, m);
            FloatVector d = FloatVector.zero(S).blend(1f, zv.compare(GT, 0f));
            FloatVector.fromMemorySegment(S, g, gB + o, BO, m).mul(d).intoMemorySegment(g, gB + o, BO, m);
        }
    }

    /** g ∘= σ(z), from e = exp(-|z|) as in the logistic activation. */
    private static void softplusDerivativeRow(int n, MemorySegment g, long gB, MemorySegment z, long zB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            long o = 4L * j;
            FloatVector v = FloatVector.fromMemorySegment(S, z, zB + o, BO);
            // e = exp(-|v|) = 2^k (1 + q): see the expm1 note at the top.
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
            FloatVector sigma = FloatVector.broadcast(S, 1f).blend(e, v.compare(LT, 0f)).div(e.add(1f));
            FloatVector.fromMemorySegment(S, g, gB + o, BO).mul(sigma).intoMemorySegment(g, gB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector v = FloatVector.fromMemorySegment(S, z, zB + o, BO, m);
            // e = exp(-|v|) = 2^k (1 + q): see the expm1 note at the top.
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
            FloatVector sigma = FloatVector.broadcast(S, 1f).blend(e, v.compare(LT, 0f)).div(e.add(1f));
            FloatVector.fromMemorySegment(S, g, gB + o, BO, m).mul(sigma).intoMemorySegment(g, gB + o, BO, m);
        }
    }

    /** g ∘= 0 (a multiplication, so that NaN and infinities propagate as in the scalar twin). */
    private static void stepDerivativeRow(int n, MemorySegment g, long gB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            FloatVector.fromMemorySegment(S, g, gB + 4L * j, BO).mul(0f).intoMemorySegment(g, gB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            FloatVector.fromMemorySegment(S, g, gB + 4L * j, BO, m).mul(0f).intoMemorySegment(g, gB + 4L * j, BO, m);
        }
    }

    /** g ∘= h(1 − h). */
    private static void logisticDerivativeRow(int n, MemorySegment g, long gB, MemorySegment h, long hB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            long o = 4L * j;
            FloatVector hv = FloatVector.fromMemorySegment(S, h, hB + o, BO);
            FloatVector gv = FloatVector.fromMemorySegment(S, g, gB + o, BO);
            gv.mul(hv.mul(hv.neg().add(1f))).intoMemorySegment(g, gB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector hv = FloatVector.fromMemorySegment(S, h, hB + o, BO, m);
            FloatVector gv = FloatVector.fromMemorySegment(S, g, gB + o, BO, m);
            gv.mul(hv.mul(hv.neg().add(1f))).intoMemorySegment(g, gB + o, BO, m);
        }
    }

    /** g ∘= 1 − h². */
    private static void tanhDerivativeRow(int n, MemorySegment g, long gB, MemorySegment h, long hB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            long o = 4L * j;
            FloatVector hv = FloatVector.fromMemorySegment(S, h, hB + o, BO);
            FloatVector gv = FloatVector.fromMemorySegment(S, g, gB + o, BO);
            gv.mul(hv.neg().fma(hv, FloatVector.broadcast(S, 1f))).intoMemorySegment(g, gB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector hv = FloatVector.fromMemorySegment(S, h, hB + o, BO, m);
            FloatVector gv = FloatVector.fromMemorySegment(S, g, gB + o, BO, m);
            gv.mul(hv.neg().fma(hv, FloatVector.broadcast(S, 1f))).intoMemorySegment(g, gB + o, BO, m);
        }
    }

    /** {@code y[j] += alpha · x[j]} for {@code j < n}. */
    private static void axpyRow(int n, float alpha, MemorySegment x, long xB, MemorySegment y, long yB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            long o = 4L * j;
            FloatVector xv = FloatVector.fromMemorySegment(S, x, xB + o, BO);
            FloatVector yv = FloatVector.fromMemorySegment(S, y, yB + o, BO);
            xv.fma(FloatVector.broadcast(S, alpha), yv).intoMemorySegment(y, yB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(S, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector xv = FloatVector.fromMemorySegment(S, x, xB + o, BO, m);
            FloatVector yv = FloatVector.fromMemorySegment(S, y, yB + o, BO, m);
            xv.fma(FloatVector.broadcast(S, alpha), yv).intoMemorySegment(y, yB + o, BO, m);
        }
    }

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
    //   (see the note on tail masks above).
    // - Keep each method small: at 1,350 bytecodes C1 gave up ("out of virtual registers"), so
    //   the method ran interpreted, 1,000 times slower, until C2 got to it.

    /**
     * Enough for a product of any row count up to {@code m}, so a workspace sized for its largest
     * batch serves every smaller one on the same path: the swapped product of up to
     * {@code NT_PACK_MIN_ROWS - 1} rows needs more than the packed product of a few more rows
     * when n is small.
     */
    @Override
    public long scratchFloatsNT(int m, int n, int k) {
        if (L != 16 || m < NT_SWAP_MIN_ROWS || n < L) {
            return 0;
        }
        long swapped = swapFloats(Math.min(m, NT_PACK_MIN_ROWS - 1), n, k);
        return packs(m, n) ? Math.max(swapped, packFloats(n, k)) : swapped;
    }

    /**
     * Whether NT repacks B: only with 16 lanes (the transpose is written for 16x16 blocks), and
     * only for batches of at least {@link #NT_PACK_MIN_ROWS} rows.
     */
    private static boolean packs(int m, int n) {
        return L == 16 && m >= NT_PACK_MIN_ROWS && n >= L;
    }

    /**
     * From {@link #NT_SWAP_MIN_ROWS} rows on NT sums each row in p order, one FMA a step, swapped
     * or packed alike; below it the dot tiles sum lanes first. Without 16 lanes it never swaps.
     */
    @Override
    public int uniformRowsNT() {
        return L == 16 ? NT_SWAP_MIN_ROWS : 1;
    }

    /** Whether NT runs as the swapped product (see {@link #NT_SWAP_MIN_ROWS}). */
    private static boolean swaps(int m, int n) {
        return L == 16 && m >= NT_SWAP_MIN_ROWS && m < NT_PACK_MIN_ROWS && n >= L;
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
    private static long packFloats(int n, int k) {
        return (long) panels(n) * NR * L * k;
    }

    /** Scratch of the swapped product: A transposed into panels, then Cᵀ (n rows of the panels' width). */
    private static long swapFloats(int m, int n, int k) {
        return (long) panels(m) * NR * L * ((long) k + n);
    }

    private static int panels(int n) {
        return (n + NR * L - 1) / (NR * L);
    }

    @Override
    public void matmulNT(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         MemorySegment bias, long biasOff, Pointwise f, MemorySegment z, long zOff, int ldz,
                         MemorySegment h, long hOff, int ldh, MemorySegment scratch, long scratchOff) {
        long ldaB = 4L * lda, ldbB = 4L * ldb, ldzB = 4L * ldz, ldhB = 4L * ldh;
        long aB = 4L * aOff, bB = 4L * bOff, zB = 4L * zOff, hB = 4L * hOff, biasB = 4L * biasOff;
        long room = scratch == null ? 0 : scratch.byteSize() - 4L * scratchOff;
        if (packs(m, n) && room >= 4L * packFloats(n, k)) {
            // B transposed into panels of 64 columns, then the broadcast product, as NN does.
            long pB = 4L * scratchOff;
            packPanels(n, k, b, bB, ldbB, scratch, pB);
            broadcastProduct(m, n, k, a, aB, ldaB, 4L, scratch, pB, 4L * NR * L, 4L * k, z, zB, ldzB, true,
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
        int kFull = k - k % L;
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
     * either path. Across a panel of 32 columns of Aᵀ the tile is {@link #SWAP_ROWS} rows of B by
     * 2 vectors; across 64, {@link #ROWS_6X4} by 4. Columns of Aᵀ past m up to the tile's width
     * are zeroed, so the lanes past m compute zeros that are never read.
     */
    private static void swappedNT(int m, int n, int k, MemorySegment a, long aB, long ldaB, MemorySegment b, long bB, long ldbB,
                                  MemorySegment bias, long biasB, Pointwise f, MemorySegment z, long zB, long ldzB,
                                  MemorySegment h, long hB, long ldhB, MemorySegment s, long sB) {
        int panel = NR * L;
        int lastWidth = (m - 1) % panel + 1 <= 2 * L ? 2 * L : panel;
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
    private static final float[] T8LO = transposeIndex(8, true), T8HI = transposeIndex(8, false);
    private static final float[] T4LO = transposeIndex(4, true), T4HI = transposeIndex(4, false);
    private static final float[] T2LO = transposeIndex(2, true), T2HI = transposeIndex(2, false);
    private static final float[] T1LO = transposeIndex(1, true), T1HI = transposeIndex(1, false);

    /**
     * At distance d, rows x and y (d apart) trade their off-diagonal d x d blocks: the new x takes
     * lanes with bit d clear from x and the rest from y shifted down by d; the new y the converse.
     * Indices 0-15 select from x, 16-31 from y (FloatVector.selectFrom of two vectors).
     */
    private static float[] transposeIndex(int d, boolean low) {
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
    private static void packPanels(int n, int k, MemorySegment b, long bB, long ldbB, MemorySegment p, long pB) {
        int width = NR * L;
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
    private static void transposeEdge(int rows, int cols, MemorySegment b, long src, long ldbB,
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
    private static void transpose16(MemorySegment b, long src, long ldbB, MemorySegment p, long dst, long ldpB) {
        FloatVector r0 = FloatVector.fromMemorySegment(S, b, src, BO);
        FloatVector r1 = FloatVector.fromMemorySegment(S, b, src + ldbB, BO);
        FloatVector r2 = FloatVector.fromMemorySegment(S, b, src + 2 * ldbB, BO);
        FloatVector r3 = FloatVector.fromMemorySegment(S, b, src + 3 * ldbB, BO);
        FloatVector r4 = FloatVector.fromMemorySegment(S, b, src + 4 * ldbB, BO);
        FloatVector r5 = FloatVector.fromMemorySegment(S, b, src + 5 * ldbB, BO);
        FloatVector r6 = FloatVector.fromMemorySegment(S, b, src + 6 * ldbB, BO);
        FloatVector r7 = FloatVector.fromMemorySegment(S, b, src + 7 * ldbB, BO);
        FloatVector r8 = FloatVector.fromMemorySegment(S, b, src + 8 * ldbB, BO);
        FloatVector r9 = FloatVector.fromMemorySegment(S, b, src + 9 * ldbB, BO);
        FloatVector r10 = FloatVector.fromMemorySegment(S, b, src + 10 * ldbB, BO);
        FloatVector r11 = FloatVector.fromMemorySegment(S, b, src + 11 * ldbB, BO);
        FloatVector r12 = FloatVector.fromMemorySegment(S, b, src + 12 * ldbB, BO);
        FloatVector r13 = FloatVector.fromMemorySegment(S, b, src + 13 * ldbB, BO);
        FloatVector r14 = FloatVector.fromMemorySegment(S, b, src + 14 * ldbB, BO);
        FloatVector r15 = FloatVector.fromMemorySegment(S, b, src + 15 * ldbB, BO);
        FloatVector lo = FloatVector.fromArray(S, T8LO, 0), hi = FloatVector.fromArray(S, T8HI, 0), t;
        t = lo.selectFrom(r0, r8); r8 = hi.selectFrom(r0, r8); r0 = t;
        t = lo.selectFrom(r1, r9); r9 = hi.selectFrom(r1, r9); r1 = t;
        t = lo.selectFrom(r2, r10); r10 = hi.selectFrom(r2, r10); r2 = t;
        t = lo.selectFrom(r3, r11); r11 = hi.selectFrom(r3, r11); r3 = t;
        t = lo.selectFrom(r4, r12); r12 = hi.selectFrom(r4, r12); r4 = t;
        t = lo.selectFrom(r5, r13); r13 = hi.selectFrom(r5, r13); r5 = t;
        t = lo.selectFrom(r6, r14); r14 = hi.selectFrom(r6, r14); r6 = t;
        t = lo.selectFrom(r7, r15); r15 = hi.selectFrom(r7, r15); r7 = t;
        lo = FloatVector.fromArray(S, T4LO, 0);
        hi = FloatVector.fromArray(S, T4HI, 0);
        t = lo.selectFrom(r0, r4); r4 = hi.selectFrom(r0, r4); r0 = t;
        t = lo.selectFrom(r1, r5); r5 = hi.selectFrom(r1, r5); r1 = t;
        t = lo.selectFrom(r2, r6); r6 = hi.selectFrom(r2, r6); r2 = t;
        t = lo.selectFrom(r3, r7); r7 = hi.selectFrom(r3, r7); r3 = t;
        t = lo.selectFrom(r8, r12); r12 = hi.selectFrom(r8, r12); r8 = t;
        t = lo.selectFrom(r9, r13); r13 = hi.selectFrom(r9, r13); r9 = t;
        t = lo.selectFrom(r10, r14); r14 = hi.selectFrom(r10, r14); r10 = t;
        t = lo.selectFrom(r11, r15); r15 = hi.selectFrom(r11, r15); r11 = t;
        lo = FloatVector.fromArray(S, T2LO, 0);
        hi = FloatVector.fromArray(S, T2HI, 0);
        t = lo.selectFrom(r0, r2); r2 = hi.selectFrom(r0, r2); r0 = t;
        t = lo.selectFrom(r1, r3); r3 = hi.selectFrom(r1, r3); r1 = t;
        t = lo.selectFrom(r4, r6); r6 = hi.selectFrom(r4, r6); r4 = t;
        t = lo.selectFrom(r5, r7); r7 = hi.selectFrom(r5, r7); r5 = t;
        t = lo.selectFrom(r8, r10); r10 = hi.selectFrom(r8, r10); r8 = t;
        t = lo.selectFrom(r9, r11); r11 = hi.selectFrom(r9, r11); r9 = t;
        t = lo.selectFrom(r12, r14); r14 = hi.selectFrom(r12, r14); r12 = t;
        t = lo.selectFrom(r13, r15); r15 = hi.selectFrom(r13, r15); r13 = t;
        lo = FloatVector.fromArray(S, T1LO, 0);
        hi = FloatVector.fromArray(S, T1HI, 0);
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
    private static void dot4x4(int kFull, MemorySegment a, long aB, long ldaB, MemorySegment b, long bB, long ldbB,
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
    private static void dot2x4(int kFull, MemorySegment a, long aB, long ldaB, MemorySegment b, long bB, long ldbB,
                               MemorySegment z, long zB, long ldzB) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
        long a1 = aB + ldaB;
        long b1 = bB + ldbB, b2 = b1 + ldbB, b3 = b2 + ldbB;
        for (int p = 0; p < kFull; p += L) {
            long o = 4L * p;
            FloatVector v0 = FloatVector.fromMemorySegment(S, b, bB + o, BO);
            FloatVector v1 = FloatVector.fromMemorySegment(S, b, b1 + o, BO);
            FloatVector v2 = FloatVector.fromMemorySegment(S, b, b2 + o, BO);
            FloatVector v3 = FloatVector.fromMemorySegment(S, b, b3 + o, BO);
            FloatVector u = FloatVector.fromMemorySegment(S, a, aB + o, BO);
            c00 = u.fma(v0, c00); c01 = u.fma(v1, c01); c02 = u.fma(v2, c02); c03 = u.fma(v3, c03);
            u = FloatVector.fromMemorySegment(S, a, a1 + o, BO);
            c10 = u.fma(v0, c10); c11 = u.fma(v1, c11); c12 = u.fma(v2, c12); c13 = u.fma(v3, c13);
        }
        FloatVector w0 = FloatVector.fromArray(S, SWAP, 0), w1 = FloatVector.fromArray(S, SWAP, L);
        FloatVector w2 = FloatVector.fromArray(S, SWAP, 2 * L), w3 = FloatVector.fromArray(S, SWAP, 3 * L);
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
    private static void dot4x4Tail(int kFull, int k, MemorySegment a, long aB, long ldaB, MemorySegment b, long bB, long ldbB,
                                   MemorySegment z, long zB, long ldzB) {
        VectorMask<Float> mk = FloatVector.fromArray(S, IOTA, 0).compare(LT, k - kFull);
        long o = 4L * kFull;
        FloatVector w0 = FloatVector.fromArray(S, SWAP, 0), w1 = FloatVector.fromArray(S, SWAP, L);
        FloatVector w2 = FloatVector.fromArray(S, SWAP, 2 * L), w3 = FloatVector.fromArray(S, SWAP, 3 * L);
        for (int r = 0; r < MR; r++) {
            FloatVector u = FloatVector.fromMemorySegment(S, a, aB + r * ldaB + o, BO, mk);
            long zr = zB + r * ldzB;
            for (int c = 0; c < MR; c++) {
                long zc = zr + 4L * c;
                FloatVector p = u.mul(FloatVector.fromMemorySegment(S, b, bB + c * ldbB + o, BO, mk));
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
    private static void dotRow(int k, MemorySegment a, long aB, MemorySegment b, long bB, long ldbB,
                               MemorySegment z, long zRowB, int j0, int jEnd) {
        int kFull = k - k % L;
        int j = j0;
        FloatVector w0 = FloatVector.fromArray(S, SWAP, 0), w1 = FloatVector.fromArray(S, SWAP, L);
        FloatVector w2 = FloatVector.fromArray(S, SWAP, 2 * L), w3 = FloatVector.fromArray(S, SWAP, 3 * L);
        for (; j + 4 <= jEnd; j += 4) {
            long r0 = bB + j * ldbB, r1 = r0 + ldbB, r2 = r1 + ldbB, r3 = r2 + ldbB;
            FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
            for (int p = 0; p < kFull; p += L) {
                long o = 4L * p;
                FloatVector u = FloatVector.fromMemorySegment(S, a, aB + o, BO);
                c0 = u.fma(FloatVector.fromMemorySegment(S, b, r0 + o, BO), c0);
                c1 = u.fma(FloatVector.fromMemorySegment(S, b, r1 + o, BO), c1);
                c2 = u.fma(FloatVector.fromMemorySegment(S, b, r2 + o, BO), c2);
                c3 = u.fma(FloatVector.fromMemorySegment(S, b, r3 + o, BO), c3);
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
            FloatVector c0 = FloatVector.zero(S);
            for (int p = 0; p < kFull; p += L) {
                long o = 4L * p;
                FloatVector u = FloatVector.fromMemorySegment(S, a, aB + o, BO);
                c0 = u.fma(FloatVector.fromMemorySegment(S, b, r0 + o, BO), c0);
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
    private static void dotRowTail(int kFull, int k, MemorySegment a, long aB, MemorySegment b, long bB, long ldbB,
                                   MemorySegment z, long zRowB, int j0, int jEnd) {
        VectorMask<Float> mk = FloatVector.fromArray(S, IOTA, 0).compare(LT, k - kFull);
        long o = 4L * kFull;
        FloatVector u = FloatVector.fromMemorySegment(S, a, aB + o, BO, mk);
        FloatVector w0 = FloatVector.fromArray(S, SWAP, 0), w1 = FloatVector.fromArray(S, SWAP, L);
        FloatVector w2 = FloatVector.fromArray(S, SWAP, 2 * L), w3 = FloatVector.fromArray(S, SWAP, 3 * L);
        for (int j = j0; j < jEnd; j++) {
            long zj = zRowB + 4L * j;
            FloatVector p = u.mul(FloatVector.fromMemorySegment(S, b, bB + j * ldbB + o, BO, mk));
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

    /** Z += bias (when there is one), H = f(Z), over a block of rows. */
    private static void biasActivate(Pointwise f, int rows, int cols, MemorySegment z, long zB, long ldzB,
                                     MemorySegment bias, long biasB, MemorySegment h, long hB, long ldhB) {
        for (int r = 0; r < rows; r++) {
            if (bias != null) {
                axpyRow(cols, 1f, bias, biasB, z, zB + r * ldzB);
            }
            activateRow(f, cols, z, zB + r * ldzB, h, hB + r * ldhB);
        }
    }

    // ---------------------------------------------------------------------------------------
    // NN and TN: C = Σ_p a(i,p) · B[p][:], with a(i,p) at aB + i·arsB + p·acsB.

    @Override
    public void matmulNN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         Pointwise f, MemorySegment z, long zOff, int ldz, MemorySegment h, long hOff, int ldh,
                         MemorySegment c, long cOff, int ldc) {
        Pointwise g = f == Pointwise.LINEAR ? null : f;
        broadcastProduct(m, n, k, a, 4L * aOff, 4L * lda, 4L, b, 4L * bOff, 4L * ldb, 4L, c, 4L * cOff, 4L * ldc, false,
                g, z, 4L * zOff, 4L * ldz, h, 4L * hOff, 4L * ldh, 0f, null, 0, 0);
    }

    @Override
    public void matmulTN(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                         float lambda, MemorySegment w, long wOff, int ldw, MemorySegment c, long cOff, int ldc) {
        broadcastProduct(m, n, k, a, 4L * aOff, 4L, 4L * lda, b, 4L * bOff, 4L * ldb, 4L, c, 4L * cOff, 4L * ldc, false,
                null, null, 0, 0, null, 0, 0, lambda, w, 4L * wOff, 4L * ldw);
    }

    /**
     * Panels of {@link #NR} vectors of columns (a k x 64 panel of B stays in L2), each swept by
     * all row blocks of A while it is hot; within a panel, {@link #MR} x {@link #NR}-vector tiles,
     * then narrower tiles at the edges. Panel j0 of B starts {@code j0 * colB} bytes in: 4 for a
     * row-major B, 4k for the packed panels of NT. The epilogue runs on each tile while it is
     * still in L1: bias and activation ({@code forward}, with {@code w} the bias), else the
     * derivative and/or the L2 term.
     */
    private static void broadcastProduct(int m, int n, int k,
                                         MemorySegment a, long aB, long arsB, long acsB,
                                         MemorySegment b, long bB, long ldbB, long colB,
                                         MemorySegment c, long cB, long ldcB, boolean forward,
                                         Pointwise f, MemorySegment z, long zB, long ldzB, MemorySegment h, long hB, long ldhB,
                                         float lambda, MemorySegment w, long wB, long ldwB) {
        int panel = NR * L;
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
                        bcast12x2(k, a, aRow, arsB, b, bPanel, ldbB, c, cRow, ldcB);
                        bcast12x2(k, a, aRow, arsB, b, bPanel + 2 * VB, ldbB, c, cRow + 2 * VB, ldcB);
                    } else if (rows == 1) {
                        bcast1x4(k, a, aRow, acsB, b, bPanel, ldbB, c, cRow);
                    } else {
                        bcast6x4(k, a, aRow, arsB, acsB, b, bPanel, ldbB, c, cRow, ldcB);
                    }
                } else {
                    for (int j = 0; j < width; j += L) {
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

    private static void bcast4x4(int k, MemorySegment a, long aB, long arsB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S), c33 = FloatVector.zero(S);
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB;
        for (int p = 0; p < k; p++) {
            long pb = bB + p * ldbB, pa = p * acsB;
            FloatVector v0 = FloatVector.fromMemorySegment(S, b, pb, BO);
            FloatVector v1 = FloatVector.fromMemorySegment(S, b, pb + VB, BO);
            FloatVector v2 = FloatVector.fromMemorySegment(S, b, pb + 2 * VB, BO);
            FloatVector v3 = FloatVector.fromMemorySegment(S, b, pb + 3 * VB, BO);
            FloatVector u = FloatVector.broadcast(S, a.get(F, aB + pa));
            c00 = v0.fma(u, c00); c01 = v1.fma(u, c01); c02 = v2.fma(u, c02); c03 = v3.fma(u, c03);
            u = FloatVector.broadcast(S, a.get(F, a1 + pa));
            c10 = v0.fma(u, c10); c11 = v1.fma(u, c11); c12 = v2.fma(u, c12); c13 = v3.fma(u, c13);
            u = FloatVector.broadcast(S, a.get(F, a2 + pa));
            c20 = v0.fma(u, c20); c21 = v1.fma(u, c21); c22 = v2.fma(u, c22); c23 = v3.fma(u, c23);
            u = FloatVector.broadcast(S, a.get(F, a3 + pa));
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
     * The {@link #ROWS_6X4} x {@link #NR} tile: bcast4x4 with two more rows, each summed in the
     * same order. One zero vector for all 24 accumulators: with 24 calls of zero() the method was
     * 1,179 bytecodes, C1 gave up at tier 3 ("out of virtual registers"), and in 3 of 4 JVMs the
     * tile stayed in tier-2 code with boxed vectors for good (network A's batch-32 pass 46 ms,
     * not 0.8); at 1,091 bytecodes C1 compiles it and C2 follows.
     */
    private static void bcast6x4(int k, MemorySegment a, long aB, long arsB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c02 = zero, c03 = zero, c10 = zero, c11 = zero, c12 = zero, c13 = zero;
        FloatVector c20 = zero, c21 = zero, c22 = zero, c23 = zero, c30 = zero, c31 = zero, c32 = zero, c33 = zero;
        FloatVector c40 = zero, c41 = zero, c42 = zero, c43 = zero, c50 = zero, c51 = zero, c52 = zero, c53 = zero;
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB, a4 = a3 + arsB, a5 = a4 + arsB;
        for (int p = 0; p < k; p++) {
            long pb = bB + p * ldbB, pa = p * acsB;
            FloatVector v0 = FloatVector.fromMemorySegment(S, b, pb, BO);
            FloatVector v1 = FloatVector.fromMemorySegment(S, b, pb + VB, BO);
            FloatVector v2 = FloatVector.fromMemorySegment(S, b, pb + 2 * VB, BO);
            FloatVector v3 = FloatVector.fromMemorySegment(S, b, pb + 3 * VB, BO);
            FloatVector u = FloatVector.broadcast(S, a.get(F, aB + pa));
            c00 = v0.fma(u, c00); c01 = v1.fma(u, c01); c02 = v2.fma(u, c02); c03 = v3.fma(u, c03);
            u = FloatVector.broadcast(S, a.get(F, a1 + pa));
            c10 = v0.fma(u, c10); c11 = v1.fma(u, c11); c12 = v2.fma(u, c12); c13 = v3.fma(u, c13);
            u = FloatVector.broadcast(S, a.get(F, a2 + pa));
            c20 = v0.fma(u, c20); c21 = v1.fma(u, c21); c22 = v2.fma(u, c22); c23 = v3.fma(u, c23);
            u = FloatVector.broadcast(S, a.get(F, a3 + pa));
            c30 = v0.fma(u, c30); c31 = v1.fma(u, c31); c32 = v2.fma(u, c32); c33 = v3.fma(u, c33);
            u = FloatVector.broadcast(S, a.get(F, a4 + pa));
            c40 = v0.fma(u, c40); c41 = v1.fma(u, c41); c42 = v2.fma(u, c42); c43 = v3.fma(u, c43);
            u = FloatVector.broadcast(S, a.get(F, a5 + pa));
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
     * The swapped product's tile: {@link #SWAP_ROWS} rows by 2 vectors, each row summed as in
     * bcast4x4. A's rows are contiguous (the rows of B of the product asked for), and the loads
     * are addressed as such: with a stride passed in (p · acsB) NT 32x784x512 ran at 115
     * GFLOP/s, with 4p at 156 (MatmulReport, Zen 5). 8 rows, not 12: the same speed within
     * the noise (NT 32x784x512 140-199 µs against 139-166), and C2 compiles it sooner (at
     * 1,190 bytecodes, 0.75 s; ./vecmlp train's first epoch took 3.7 s, not 2.3-2.5).
     */
    /**
     * The tall tile: 12 rows x 2 vectors, 24 accumulators as in bcast6x4, but 2 vectors of the
     * panel loaded per step for 24 FMAs instead of 4 (see {@link #MR_WIDE}). Rows of A run along
     * p (a(i,p) at aB + i·arsB + 4p, as in bcast8x2): with a column stride in a register too, the
     * 12 row addresses and the loop's own outgrew the 16 general registers and NN 256x512x784 ran
     * at 91-97 GFLOP/s against 122-134 (Intel, cpu family 6), so TN keeps the 6x4 tile.
     */
    private static void bcast12x2(int k, MemorySegment a, long aB, long arsB,
                                  MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero, c40 = zero, c41 = zero, c50 = zero, c51 = zero;
        FloatVector c60 = zero, c61 = zero, c70 = zero, c71 = zero, c80 = zero, c81 = zero, c90 = zero, c91 = zero, c100 = zero, c101 = zero, c110 = zero, c111 = zero;
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB, a4 = a3 + arsB, a5 = a4 + arsB, a6 = a5 + arsB, a7 = a6 + arsB, a8 = a7 + arsB, a9 = a8 + arsB, a10 = a9 + arsB, a11 = a10 + arsB;
        for (int p = 0; p < k; p++) {
            long pb = bB + p * ldbB, pa = 4L * p;
            FloatVector v0 = FloatVector.fromMemorySegment(S, b, pb, BO);
            FloatVector v1 = FloatVector.fromMemorySegment(S, b, pb + VB, BO);
            FloatVector u;
            u = FloatVector.broadcast(S, a.get(F, aB + pa));
            c00 = v0.fma(u, c00); c01 = v1.fma(u, c01);
            u = FloatVector.broadcast(S, a.get(F, a1 + pa));
            c10 = v0.fma(u, c10); c11 = v1.fma(u, c11);
            u = FloatVector.broadcast(S, a.get(F, a2 + pa));
            c20 = v0.fma(u, c20); c21 = v1.fma(u, c21);
            u = FloatVector.broadcast(S, a.get(F, a3 + pa));
            c30 = v0.fma(u, c30); c31 = v1.fma(u, c31);
            u = FloatVector.broadcast(S, a.get(F, a4 + pa));
            c40 = v0.fma(u, c40); c41 = v1.fma(u, c41);
            u = FloatVector.broadcast(S, a.get(F, a5 + pa));
            c50 = v0.fma(u, c50); c51 = v1.fma(u, c51);
            u = FloatVector.broadcast(S, a.get(F, a6 + pa));
            c60 = v0.fma(u, c60); c61 = v1.fma(u, c61);
            u = FloatVector.broadcast(S, a.get(F, a7 + pa));
            c70 = v0.fma(u, c70); c71 = v1.fma(u, c71);
            u = FloatVector.broadcast(S, a.get(F, a8 + pa));
            c80 = v0.fma(u, c80); c81 = v1.fma(u, c81);
            u = FloatVector.broadcast(S, a.get(F, a9 + pa));
            c90 = v0.fma(u, c90); c91 = v1.fma(u, c91);
            u = FloatVector.broadcast(S, a.get(F, a10 + pa));
            c100 = v0.fma(u, c100); c101 = v1.fma(u, c101);
            u = FloatVector.broadcast(S, a.get(F, a11 + pa));
            c110 = v0.fma(u, c110); c111 = v1.fma(u, c111);
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
        r += ldcB;
        c100.intoMemorySegment(c, r, BO); c101.intoMemorySegment(c, r + VB, BO);
        r += ldcB;
        c110.intoMemorySegment(c, r, BO); c111.intoMemorySegment(c, r + VB, BO);
    }

    private static void bcast8x2(int k, MemorySegment a, long aB, long arsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero, c50 = zero, c51 = zero, c60 = zero, c61 = zero, c70 = zero, c71 = zero;
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB, a4 = a3 + arsB, a5 = a4 + arsB;
        long a6 = a5 + arsB, a7 = a6 + arsB;
        for (int p = 0; p < k; p++) {
            long pb = bB + p * ldbB, pa = 4L * p;
            FloatVector v0 = FloatVector.fromMemorySegment(S, b, pb, BO);
            FloatVector v1 = FloatVector.fromMemorySegment(S, b, pb + VB, BO);
            FloatVector u = FloatVector.broadcast(S, a.get(F, aB + pa));
            c00 = v0.fma(u, c00); c01 = v1.fma(u, c01);
            u = FloatVector.broadcast(S, a.get(F, a1 + pa));
            c10 = v0.fma(u, c10); c11 = v1.fma(u, c11);
            u = FloatVector.broadcast(S, a.get(F, a2 + pa));
            c20 = v0.fma(u, c20); c21 = v1.fma(u, c21);
            u = FloatVector.broadcast(S, a.get(F, a3 + pa));
            c30 = v0.fma(u, c30); c31 = v1.fma(u, c31);
            u = FloatVector.broadcast(S, a.get(F, a4 + pa));
            c40 = v0.fma(u, c40); c41 = v1.fma(u, c41);
            u = FloatVector.broadcast(S, a.get(F, a5 + pa));
            c50 = v0.fma(u, c50); c51 = v1.fma(u, c51);
            u = FloatVector.broadcast(S, a.get(F, a6 + pa));
            c60 = v0.fma(u, c60); c61 = v1.fma(u, c61);
            u = FloatVector.broadcast(S, a.get(F, a7 + pa));
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

    private static void bcast1x4(int k, MemorySegment a, long aB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB) {
        // Two accumulator sets over even and odd p: with the 4-cycle FMA latency, 4 chains could
        // issue at most one FMA a cycle; 8 leave room (a design choice, not measured alone).
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        FloatVector d0 = FloatVector.zero(S), d1 = FloatVector.zero(S), d2 = FloatVector.zero(S), d3 = FloatVector.zero(S);
        int p = 0;
        for (; p + 1 < k; p += 2) {
            long pb = bB + p * ldbB, qb = pb + ldbB;
            FloatVector u = FloatVector.broadcast(S, a.get(F, aB + p * acsB));
            FloatVector t = FloatVector.broadcast(S, a.get(F, aB + (p + 1) * acsB));
            c0 = FloatVector.fromMemorySegment(S, b, pb, BO).fma(u, c0);
            c1 = FloatVector.fromMemorySegment(S, b, pb + VB, BO).fma(u, c1);
            c2 = FloatVector.fromMemorySegment(S, b, pb + 2 * VB, BO).fma(u, c2);
            c3 = FloatVector.fromMemorySegment(S, b, pb + 3 * VB, BO).fma(u, c3);
            d0 = FloatVector.fromMemorySegment(S, b, qb, BO).fma(t, d0);
            d1 = FloatVector.fromMemorySegment(S, b, qb + VB, BO).fma(t, d1);
            d2 = FloatVector.fromMemorySegment(S, b, qb + 2 * VB, BO).fma(t, d2);
            d3 = FloatVector.fromMemorySegment(S, b, qb + 3 * VB, BO).fma(t, d3);
        }
        if (p < k) {
            long pb = bB + p * ldbB;
            FloatVector u = FloatVector.broadcast(S, a.get(F, aB + p * acsB));
            c0 = FloatVector.fromMemorySegment(S, b, pb, BO).fma(u, c0);
            c1 = FloatVector.fromMemorySegment(S, b, pb + VB, BO).fma(u, c1);
            c2 = FloatVector.fromMemorySegment(S, b, pb + 2 * VB, BO).fma(u, c2);
            c3 = FloatVector.fromMemorySegment(S, b, pb + 3 * VB, BO).fma(u, c3);
        }
        c0.add(d0).intoMemorySegment(c, cB, BO);
        c1.add(d1).intoMemorySegment(c, cB + VB, BO);
        c2.add(d2).intoMemorySegment(c, cB + 2 * VB, BO);
        c3.add(d3).intoMemorySegment(c, cB + 3 * VB, BO);
    }

    private static void bcast4x1(int k, MemorySegment a, long aB, long arsB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, long ldcB, int valid) {
        // Masks are made here from a count: a mask passed into a method that is not inlined is boxed.
        VectorMask<Float> mj = FloatVector.fromArray(S, IOTA, 0).compare(LT, valid);
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        long a1 = aB + arsB, a2 = a1 + arsB, a3 = a2 + arsB;
        for (int p = 0; p < k; p++) {
            long pa = p * acsB;
            FloatVector v = FloatVector.fromMemorySegment(S, b, bB + p * ldbB, BO, mj);
            c0 = v.fma(FloatVector.broadcast(S, a.get(F, aB + pa)), c0);
            c1 = v.fma(FloatVector.broadcast(S, a.get(F, a1 + pa)), c1);
            c2 = v.fma(FloatVector.broadcast(S, a.get(F, a2 + pa)), c2);
            c3 = v.fma(FloatVector.broadcast(S, a.get(F, a3 + pa)), c3);
        }
        c0.intoMemorySegment(c, cB, BO, mj);
        c1.intoMemorySegment(c, cB + ldcB, BO, mj);
        c2.intoMemorySegment(c, cB + 2 * ldcB, BO, mj);
        c3.intoMemorySegment(c, cB + 3 * ldcB, BO, mj);
    }

    private static void bcast1x1(int k, MemorySegment a, long aB, long acsB,
                                 MemorySegment b, long bB, long ldbB, MemorySegment c, long cB, int valid) {
        VectorMask<Float> mj = FloatVector.fromArray(S, IOTA, 0).compare(LT, valid);
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        int p = 0;
        for (; p + 1 < k; p += 2) {
            FloatVector v = FloatVector.fromMemorySegment(S, b, bB + p * ldbB, BO, mj);
            FloatVector w = FloatVector.fromMemorySegment(S, b, bB + (p + 1) * ldbB, BO, mj);
            c0 = v.fma(FloatVector.broadcast(S, a.get(F, aB + p * acsB)), c0);
            c1 = w.fma(FloatVector.broadcast(S, a.get(F, aB + (p + 1) * acsB)), c1);
        }
        if (p < k) {
            FloatVector v = FloatVector.fromMemorySegment(S, b, bB + p * ldbB, BO, mj);
            c0 = v.fma(FloatVector.broadcast(S, a.get(F, aB + p * acsB)), c0);
        }
        c0.add(c1).intoMemorySegment(c, cB, BO, mj);
    }

    /** C ∘= f'(Z, H) and/or C += lambda·W over a tile. */
    private static void epilogue(int rows, int width, MemorySegment c, long cB, long ldcB,
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
    private static void outerRow(int n, float xi, MemorySegment y, long yB, MemorySegment c, long cB) {
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

    private static void activate(Pointwise f, int rows, int cols, MemorySegment z, long zB, long ldzB,
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

    private static float rowMax(int n, MemorySegment z, long zB) {
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
    private static void expShiftedRow(int n, MemorySegment z, long zB, float shift, MemorySegment g, long gB) {
        int full = n - n % L;
        int j = 0;
        for (; j < full; j += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, z, zB + 4L * j, BO).sub(shift);
            // e = exp(-|v|) = 2^k (1 + q): see the expm1 note at the top.
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
            // e = exp(-|v|) = 2^k (1 + q): see the expm1 note at the top.
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

    private static double rowSum(int n, MemorySegment x, long xB) {
        double sum = 0.0;
        for (int j = 0; j < n; j++) {
            sum += x.get(F, xB + 4L * j);
        }
        return sum;
    }

    private static double rowDot(int n, MemorySegment x, long xB, MemorySegment y, long yB) {
        double sum = 0.0;
        for (int j = 0; j < n; j++) {
            sum += (double) x.get(F, xB + 4L * j) * y.get(F, yB + 4L * j);
        }
        return sum;
    }

    /** g = scale · (s · g / Σ − t): the softmax, from the e^(z − max) that g holds. */
    private static void softmaxGradientRow(int n, MemorySegment g, long gB, float inverseSum, float s,
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
    private static double rowSquaredDistance(int n, MemorySegment y, long yB, MemorySegment t, long tB) {
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

    private static void heavyBallStep(long n, float lr, float mu, float weightDecay,
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

    private static void nesterovStep(long n, float lr, float mu, float weightDecay,
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

    private static void adamMoment1(long n, float beta1, float weightDecay,
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

    private static void adamMoment2(long n, float beta2, float weightDecay,
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

    private static void adamUpdate(long n, float stepSize, float rootCorrection2, float eps,
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
