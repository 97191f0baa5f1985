package dev.vecmlp.kernel;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * What every Vector API kernel shares: the vector shape ({@link #SPECIES}, {@link #LANES} lanes), the
 * register tiles' sizes (chosen per CPU: {@link #MR_WIDE}), the lane tables of the tail masks
 * and of the sum across lanes, the constants of exp, and the rules learned the hard way that
 * every kernel obeys (the notes below). The kernels themselves are in {@link SimdKernels},
 * {@link SimdNT}, {@link SimdBroadcast} and {@link SimdPointwise}; this class depends on none
 * of them.
 */
final class SimdShape {
    private SimdShape() {
    }

    /** Vector shape: the platform's preferred one (at most 512 bits), or {@code -Dvecmlp.vectorBits=64|128|256|512}. */
    static final VectorSpecies<Float> SPECIES = chooseSpecies();
    /** Lanes per vector. */
    static final int LANES = SPECIES.length();
    static final long VB = (long) LANES * Float.BYTES;
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
    /** Vectors (of {@link #LANES} floats) across the register tile of the broadcast products. */
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
    static final int STAGES = Integer.numberOfTrailingZeros(LANES);

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

    static float[] swapIndex() {
        float[] index = new float[4 * LANES];
        for (int stage = 0; stage < 4; stage++) {
            int d = LANES >> (stage + 1);
            for (int l = 0; l < LANES; l++) {
                index[stage * LANES + l] = d > 0 ? l ^ d : l;
            }
        }
        return index;
    }

    static float[] iota() {
        float[] lanes = new float[LANES];
        for (int i = 0; i < LANES; i++) {
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
        return LANES == 16 ? rows : MR;
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
}
