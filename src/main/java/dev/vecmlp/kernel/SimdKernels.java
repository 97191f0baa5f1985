package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;

import static dev.vecmlp.kernel.SimdBroadcast.epilogue;
import static dev.vecmlp.kernel.SimdPointwise.activateRow;
import static dev.vecmlp.kernel.SimdPointwise.axpyRow;
import static dev.vecmlp.kernel.SimdShape.BO;
import static dev.vecmlp.kernel.SimdShape.E2;
import static dev.vecmlp.kernel.SimdShape.E3;
import static dev.vecmlp.kernel.SimdShape.E4;
import static dev.vecmlp.kernel.SimdShape.E5;
import static dev.vecmlp.kernel.SimdShape.E6;
import static dev.vecmlp.kernel.SimdShape.E7;
import static dev.vecmlp.kernel.SimdShape.F;
import static dev.vecmlp.kernel.SimdShape.IOTA;
import static dev.vecmlp.kernel.SimdShape.LANES;
import static dev.vecmlp.kernel.SimdShape.LN2_HI;
import static dev.vecmlp.kernel.SimdShape.LN2_LO;
import static dev.vecmlp.kernel.SimdShape.LOG2E;
import static dev.vecmlp.kernel.SimdShape.MR;
import static dev.vecmlp.kernel.SimdShape.MR_WIDE;
import static dev.vecmlp.kernel.SimdShape.NR;
import static dev.vecmlp.kernel.SimdShape.ROUNDER;
import static dev.vecmlp.kernel.SimdShape.ROWS_6X4;
import static dev.vecmlp.kernel.SimdShape.SPECIES;
import static dev.vecmlp.kernel.SimdShape.STAGES;
import static dev.vecmlp.kernel.SimdShape.SWAP;
import static dev.vecmlp.kernel.SimdShape.TALL_ROWS;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.F2I;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.MAX;

/**
 * The kernels on the Vector API. Loaded only by {@link KernelProvider} after it has checked that
 * {@code jdk.incubator.vector} is readable, so nothing else may name this class.
 *
 * <p>This class implements {@link Kernels}: the products live in {@link SimdNT} (forward) and
 * {@link SimdBroadcast} (the broadcast tiles NN, TN and NT's packed and swapped forms use), the
 * activations and their derivatives in {@link SimdPointwise}, the losses, reductions and
 * optimizer steps here, and what all of them share (the vector shape, the tiles' sizes, the
 * rules every kernel obeys) in {@link SimdShape}, which depends on none of them.
 *
 * <h2>How the products are done</h2>
 * <ul>
 *   <li><b>NN and TN</b> (input and weight gradients): the right operand {@code B[k][n]} is
 *       row-major along the output columns, so a register tile of {@link SimdShape#MR} rows by {@link SimdShape#NR}
 *       vectors of C accumulates {@code a(i,p) · B[p][j..j+NR·L)}: one broadcast per row, one load
 *       per vector, no reductions. NN and TN differ only in how {@code a(i,p)} is addressed.
 *   <li><b>NT</b> (forward): both operands run along k, so one of them is transposed into
 *       panels in the caller's scratch (16x16 register transposes) and the product runs as a
 *       broadcast product. From {@link SimdNT#NT_PACK_MIN_ROWS} rows of A on, B (the weights) is
 *       transposed; from {@link SimdNT#NT_SWAP_MIN_ROWS} rows, where that would cost a third of the
 *       product, A (the batch) is, and the product is Cᵀ = B · Aᵀ, transposed back. Both sum a
 *       row in the same order, so a row has the same bits on either. Below 16 rows (batch 1),
 *       where even that copy does not pay, a tile is {@link SimdShape#MR} rows of A by {@link SimdShape#MR} rows
 *       of B: 16 vector accumulators of partial dot products, reduced at the end. Either way
 *       bias and activation run over finished rows, vectorized.
 * </ul>
 * Edges are done by smaller tiles of the same kind (1 row, 1 vector with a mask), never by masks
 * in the hot loop of the big tile.
 */
final class SimdKernels implements Kernels {
    SimdKernels() {
    }

    @Override
    public String name() {
        return "simd-" + SPECIES.vectorBitSize();
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
    public ForwardKernels forwardTwin() {
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
        FloatVector s = FloatVector.broadcast(SPECIES, xi);
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            long o = 4L * j;
            FloatVector.fromMemorySegment(SPECIES, y, yB + o, BO).mul(s).intoMemorySegment(c, cB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> mj = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector.fromMemorySegment(SPECIES, y, yB + o, BO, mj).mul(s).intoMemorySegment(c, cB + o, BO, mj);
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
        for (int j = 0; j < n; j += LANES) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            FloatVector zv = FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO, m);
            FloatVector v = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY).blend(zv, m);
            max = Math.max(max, v.reduceLanes(MAX));
        }
        return max;
    }

    /** {@code g[j] = exp(z[j] − shift)} for {@code j < n}, with {@code shift} the row's maximum. */
    static void expShiftedRow(int n, MemorySegment z, long zB, float shift, MemorySegment g, long gB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO).sub(shift);
            // e = exp(-|v|) = 2^k (1 + q) (SimdShape's exp note), written out at each use: SimdShape says why not a helper.
            FloatVector x0 = v.abs().neg();
            FloatVector x = x0.max(-104f);
            FloatVector k = x.fma(LOG2E, ROUNDER).sub(ROUNDER);
            FloatVector r = k.fma(FloatVector.broadcast(SPECIES, -LN2_HI), x);
            r = k.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
            FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(SPECIES, E5)).fma(r, FloatVector.broadcast(SPECIES, E4))
                    .fma(r, FloatVector.broadcast(SPECIES, E3)).fma(r, FloatVector.broadcast(SPECIES, E2));
            q = r.mul(r).fma(q, r);
            FloatVector two = ((IntVector) k.convert(F2I, 0)).add(127 + 32).lanewise(LSHL, 23).reinterpretAsFloats()
                    .mul(0x1p-32f);
            // Below -104, e^x rounds to 0 (the smallest subnormal float is e^-103.3).
            FloatVector e = two.fma(q, two).blend(0f, x0.compare(LT, -104f));
            e.intoMemorySegment(g, gB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO, m).sub(shift);
            // e = exp(-|v|) = 2^k (1 + q) (SimdShape's exp note), written out at each use: SimdShape says why not a helper.
            FloatVector x0 = v.abs().neg();
            FloatVector x = x0.max(-104f);
            FloatVector k = x.fma(LOG2E, ROUNDER).sub(ROUNDER);
            FloatVector r = k.fma(FloatVector.broadcast(SPECIES, -LN2_HI), x);
            r = k.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
            FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(SPECIES, E5)).fma(r, FloatVector.broadcast(SPECIES, E4))
                    .fma(r, FloatVector.broadcast(SPECIES, E3)).fma(r, FloatVector.broadcast(SPECIES, E2));
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
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            long o = 4L * j;
            FloatVector tv = FloatVector.fromMemorySegment(SPECIES, t, tB + o, BO);
            FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO).mul(inverseSum).mul(s).sub(tv).mul(scale)
                    .intoMemorySegment(g, gB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector tv = FloatVector.fromMemorySegment(SPECIES, t, tB + o, BO, m);
            FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO, m).mul(inverseSum).mul(s).sub(tv).mul(scale)
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
            for (int j = 0; j < cols; j += LANES) {
                VectorMask<Float> mj = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, cols - j);
                FloatVector tv = FloatVector.fromMemorySegment(SPECIES, t, tr + 4L * j, BO, mj);
                FloatVector.fromMemorySegment(SPECIES, y, yr + 4L * j, BO, mj).sub(tv).mul(scale)
                        .intoMemorySegment(g, gr + 4L * j, BO, mj);
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
        for (int j = 0; j < cols; j += LANES) {
            VectorMask<Float> mj = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, cols - j);
            long o = 4L * j;
            FloatVector s0 = FloatVector.zero(SPECIES), s1 = FloatVector.zero(SPECIES);
            int i = 0;
            for (; i + 1 < rows; i += 2) {
                s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, a, aB + i * ldaB + o, BO, mj));
                s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, a, aB + (i + 1) * ldaB + o, BO, mj));
            }
            if (i < rows) {
                s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, a, aB + i * ldaB + o, BO, mj));
            }
            s0.add(s1).intoMemorySegment(out, 4L * outOff + o, BO, mj);
        }
    }

    @Override
    public void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long xB = 4L * xOff, yB = 4L * yOff;
        long full = n - n % LANES;
        for (long i = 0; i < full; i += LANES) {
            long o = 4L * i;
            FloatVector xv = FloatVector.fromMemorySegment(SPECIES, x, xB + o, BO);
            FloatVector yv = FloatVector.fromMemorySegment(SPECIES, y, yB + o, BO);
            xv.fma(FloatVector.broadcast(SPECIES, alpha), yv).intoMemorySegment(y, yB + o, BO);
        }
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            y.set(F, yB + o, Math.fma(alpha, x.get(F, xB + o), y.get(F, yB + o)));
        }
    }

    @Override
    public void scale(long n, float alpha, MemorySegment x, long xOff) {
        long xB = 4L * xOff;
        long full = n - n % LANES;
        for (long i = 0; i < full; i += LANES) {
            long o = 4L * i;
            FloatVector.fromMemorySegment(SPECIES, x, xB + o, BO).mul(alpha).intoMemorySegment(x, xB + o, BO);
        }
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            x.set(F, xB + o, alpha * x.get(F, xB + o));
        }
    }

    @Override
    public double sumOfSquares(long n, MemorySegment x, long xOff) {
        long xB = 4L * xOff;
        long full = n - n % LANES;
        FloatVector w0 = FloatVector.fromArray(SPECIES, SWAP, 0), w1 = FloatVector.fromArray(SPECIES, SWAP, LANES);
        FloatVector w2 = FloatVector.fromArray(SPECIES, SWAP, 2 * LANES), w3 = FloatVector.fromArray(SPECIES, SWAP, 3 * LANES);
        FloatVector s = FloatVector.zero(SPECIES);
        double total = 0.0;
        // Flush the float accumulator into double every 4096 vectors so long slabs keep precision.
        long flushEvery = 4096L * LANES;
        for (long i = 0; i < full; i += LANES) {
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, x, xB + 4L * i, BO);
            s = v.fma(v, s);
            if ((i + LANES) % flushEvery == 0) {
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
                s = FloatVector.zero(SPECIES);
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
        long full = n - n % LANES;
        // r − r is 0 for a finite r and NaN for ±∞ or NaN, so the sum of them says whether all were finite.
        FloatVector bad = FloatVector.zero(SPECIES);
        for (long i = 0; i < full; i += LANES) {
            long o = 4L * i;
            FloatVector r = FloatVector.fromMemorySegment(SPECIES, y, yB + o, BO)
                    .add(FloatVector.fromMemorySegment(SPECIES, x, xB + o, BO));
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
        long full = n - n % LANES;
        FloatVector bad = FloatVector.zero(SPECIES);
        for (long i = 0; i < full; i += LANES) {
            FloatVector r = FloatVector.fromMemorySegment(SPECIES, x, xB + 4L * i, BO);
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
        long full = n - n % LANES;
        for (long i = 0; i < full; i += LANES) {
            long o = 4L * i;
            FloatVector w = FloatVector.fromMemorySegment(SPECIES, p, pB + o, BO);
            FloatVector d = w.fma(FloatVector.broadcast(SPECIES, weightDecay),
                    FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO));
            d.fma(FloatVector.broadcast(SPECIES, -lr), w).intoMemorySegment(p, pB + o, BO);
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
        long full = n - n % LANES;
        for (long i = 0; i < full; i += LANES) {
            long o = 4L * i;
            FloatVector w = FloatVector.fromMemorySegment(SPECIES, p, pB + o, BO);
            FloatVector d = w.fma(FloatVector.broadcast(SPECIES, weightDecay),
                    FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO));
            FloatVector vel = FloatVector.fromMemorySegment(SPECIES, v, vB + o, BO).fma(FloatVector.broadcast(SPECIES, mu), d);
            vel.intoMemorySegment(v, vB + o, BO);
            vel.fma(FloatVector.broadcast(SPECIES, -lr), w).intoMemorySegment(p, pB + o, BO);
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
        long full = n - n % LANES;
        for (long i = 0; i < full; i += LANES) {
            long o = 4L * i;
            FloatVector w = FloatVector.fromMemorySegment(SPECIES, p, pB + o, BO);
            FloatVector d = w.fma(FloatVector.broadcast(SPECIES, weightDecay),
                    FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO));
            FloatVector vel = FloatVector.fromMemorySegment(SPECIES, v, vB + o, BO).fma(FloatVector.broadcast(SPECIES, mu), d);
            vel.intoMemorySegment(v, vB + o, BO);
            vel.fma(FloatVector.broadcast(SPECIES, mu), d).fma(FloatVector.broadcast(SPECIES, -lr), w)
                    .intoMemorySegment(p, pB + o, BO);
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
        long full = n - n % LANES;
        for (long i = 0; i < full; i += LANES) {
            long o = 4L * i;
            FloatVector w = FloatVector.fromMemorySegment(SPECIES, p, pB + o, BO);
            FloatVector d = w.fma(FloatVector.broadcast(SPECIES, weightDecay),
                    FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO));
            FloatVector.fromMemorySegment(SPECIES, m, mB + o, BO).fma(FloatVector.broadcast(SPECIES, beta1), d.mul(c1))
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
        long full = n - n % LANES;
        for (long i = 0; i < full; i += LANES) {
            long o = 4L * i;
            FloatVector w = FloatVector.fromMemorySegment(SPECIES, p, pB + o, BO);
            FloatVector d = w.fma(FloatVector.broadcast(SPECIES, weightDecay),
                    FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO));
            FloatVector.fromMemorySegment(SPECIES, v, vB + o, BO).fma(FloatVector.broadcast(SPECIES, beta2), d.mul(d).mul(c2))
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
        long full = n - n % LANES;
        for (long i = 0; i < full; i += LANES) {
            long o = 4L * i;
            FloatVector denom = FloatVector.fromMemorySegment(SPECIES, v, vB + o, BO).sqrt()
                    .fma(FloatVector.broadcast(SPECIES, rootCorrection2), FloatVector.broadcast(SPECIES, eps));
            FloatVector.fromMemorySegment(SPECIES, m, mB + o, BO).div(denom)
                    .fma(FloatVector.broadcast(SPECIES, -stepSize), FloatVector.fromMemorySegment(SPECIES, p, pB + o, BO))
                    .intoMemorySegment(p, pB + o, BO);
        }
        for (long i = full; i < n; i++) {
            long o = 4L * i;
            float denom = Math.fma((float) Math.sqrt(v.get(F, vB + o)), rootCorrection2, eps);
            p.set(F, pB + o, Math.fma(m.get(F, mB + o) / denom, -stepSize, p.get(F, pB + o)));
        }
    }
}
