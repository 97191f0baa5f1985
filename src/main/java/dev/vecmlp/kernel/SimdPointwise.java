package dev.vecmlp.kernel;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;

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
import static dev.vecmlp.kernel.SimdShape.ROUNDER;
import static dev.vecmlp.kernel.SimdShape.SPECIES;
import static jdk.incubator.vector.VectorOperators.F2I;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;

/**
 * The pointwise rows of {@link SimdKernels}: the six activations, their derivatives, and
 * {@code y += alpha x}, one small method and one loop per function (see the note below on why
 * they are not one method). The scalar definitions in {@link Pointwise} are the reference;
 * {@link SimdTwin} has the same operations lane by lane.
 */
final class SimdPointwise {
    private SimdPointwise() {
    }

    // ---------------------------------------------------------------------------------------
    // Pointwise functions: one small method, one loop, per function; the scalar definitions in
    // Pointwise are the reference. No helper takes or returns a vector, and no method holds more
    // than one of these loops: with all six in one method (exp, log1p and tanh expand to large
    // graphs) C2 reached its node budget, left loads out of line and boxed 144-1,872 bytes per
    // row (measured per kernel with ThreadMXBean.getThreadAllocatedBytes).

    /** {@code h[j] = f(z[j])} for {@code j < n}; h may be z. */
    static void activateRow(Pointwise f, int n, MemorySegment z, long zB, MemorySegment h, long hB) {
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

    static void reluRow(int n, MemorySegment z, long zB, MemorySegment h, long hB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO).max(0f).intoMemorySegment(h, hB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO, m).max(0f).intoMemorySegment(h, hB + 4L * j, BO, m);
        }
    }

    static void softplusRow(int n, MemorySegment z, long zB, MemorySegment h, long hB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO);
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
            // log1p(e) with e = exp(-|z|) in (0, 1]: 2 atanh(s), s = e / (2 + e) <= 1/3, to s^15.
            FloatVector sv = e.div(e.add(2f));
            FloatVector s2 = sv.mul(sv);
            FloatVector series = s2.fma(1f / 15, 1f / 13).fma(s2, FloatVector.broadcast(SPECIES, 1f / 11))
                    .fma(s2, FloatVector.broadcast(SPECIES, 1f / 9)).fma(s2, FloatVector.broadcast(SPECIES, 1f / 7))
                    .fma(s2, FloatVector.broadcast(SPECIES, 1f / 5)).fma(s2, FloatVector.broadcast(SPECIES, 1f / 3))
                    .fma(s2, FloatVector.broadcast(SPECIES, 1f));
            v.max(0f).add(sv.add(sv).mul(series)).intoMemorySegment(h, hB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO, m);
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
            // log1p(e) with e = exp(-|z|) in (0, 1]: 2 atanh(s), s = e / (2 + e) <= 1/3, to s^15.
            FloatVector sv = e.div(e.add(2f));
            FloatVector s2 = sv.mul(sv);
            FloatVector series = s2.fma(1f / 15, 1f / 13).fma(s2, FloatVector.broadcast(SPECIES, 1f / 11))
                    .fma(s2, FloatVector.broadcast(SPECIES, 1f / 9)).fma(s2, FloatVector.broadcast(SPECIES, 1f / 7))
                    .fma(s2, FloatVector.broadcast(SPECIES, 1f / 5)).fma(s2, FloatVector.broadcast(SPECIES, 1f / 3))
                    .fma(s2, FloatVector.broadcast(SPECIES, 1f));
            v.max(0f).add(sv.add(sv).mul(series)).intoMemorySegment(h, hB + 4L * j, BO, m);
        }
    }

    static void stepRow(int n, MemorySegment z, long zB, MemorySegment h, long hB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            FloatVector.zero(SPECIES).blend(1f, FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO).compare(GT, 0f))
                    .intoMemorySegment(h, hB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            FloatVector.zero(SPECIES).blend(1f, FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO, m).compare(GT, 0f))
                    .intoMemorySegment(h, hB + 4L * j, BO, m);
        }
    }

    static void logisticRow(int n, MemorySegment z, long zB, MemorySegment h, long hB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO);
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
            // e = exp(-|z|): σ(z) = 1 / (1 + e) for z >= 0 and e / (1 + e) below, never overflowing.
            FloatVector.broadcast(SPECIES, 1f).blend(e, v.compare(LT, 0f)).div(e.add(1f)).intoMemorySegment(h, hB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO, m);
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
            // e = exp(-|z|): σ(z) = 1 / (1 + e) for z >= 0 and e / (1 + e) below, never overflowing.
            FloatVector.broadcast(SPECIES, 1f).blend(e, v.compare(LT, 0f)).div(e.add(1f))
                    .intoMemorySegment(h, hB + 4L * j, BO, m);
        }
    }

    static void tanhRow(int n, MemorySegment z, long zB, MemorySegment h, long hB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO);
            // y = expm1(-2|v|) = 2^k q + (2^k - 1) (SimdShape's exp note), written out as exp is above.
            FloatVector x0 = v.abs().mul(-2f);
            FloatVector x = x0.max(-104f);
            FloatVector k = x.fma(LOG2E, ROUNDER).sub(ROUNDER);
            FloatVector r = k.fma(FloatVector.broadcast(SPECIES, -LN2_HI), x);
            r = k.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
            FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(SPECIES, E5)).fma(r, FloatVector.broadcast(SPECIES, E4))
                    .fma(r, FloatVector.broadcast(SPECIES, E3)).fma(r, FloatVector.broadcast(SPECIES, E2));
            q = r.mul(r).fma(q, r);
            FloatVector two = ((IntVector) k.convert(F2I, 0)).add(127 + 32).lanewise(LSHL, 23).reinterpretAsFloats()
                    .mul(0x1p-32f);
            FloatVector y = two.fma(q, two.sub(1f));
            // tanh|z| = -y / (2 + y) with y = expm1(-2|z|): accurate near 0, where 1 - e^-2|z| cancels.
            FloatVector t = y.neg().div(y.add(2f));
            t.blend(t.neg(), v.compare(LT, 0f)).intoMemorySegment(h, hB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, z, zB + 4L * j, BO, m);
            // y = expm1(-2|v|) = 2^k q + (2^k - 1) (SimdShape's exp note), written out as exp is above.
            FloatVector x0 = v.abs().mul(-2f);
            FloatVector x = x0.max(-104f);
            FloatVector k = x.fma(LOG2E, ROUNDER).sub(ROUNDER);
            FloatVector r = k.fma(FloatVector.broadcast(SPECIES, -LN2_HI), x);
            r = k.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
            FloatVector q = r.fma(E7, E6).fma(r, FloatVector.broadcast(SPECIES, E5)).fma(r, FloatVector.broadcast(SPECIES, E4))
                    .fma(r, FloatVector.broadcast(SPECIES, E3)).fma(r, FloatVector.broadcast(SPECIES, E2));
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
    static void derivativeRow(Pointwise f, int n, MemorySegment g, long gB,
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
    static void reluDerivativeRow(int n, MemorySegment g, long gB, MemorySegment z, long zB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            long o = 4L * j;
            FloatVector zv = FloatVector.fromMemorySegment(SPECIES, z, zB + o, BO);
            FloatVector d = FloatVector.zero(SPECIES).blend(1f, zv.compare(GT, 0f));
            FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO).mul(d).intoMemorySegment(g, gB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector zv = FloatVector.fromMemorySegment(SPECIES, z, zB + o, BO, m);
            FloatVector d = FloatVector.zero(SPECIES).blend(1f, zv.compare(GT, 0f));
            FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO, m).mul(d).intoMemorySegment(g, gB + o, BO, m);
        }
    }

    /** g ∘= σ(z), from e = exp(-|z|) as in the logistic activation. */
    static void softplusDerivativeRow(int n, MemorySegment g, long gB, MemorySegment z, long zB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            long o = 4L * j;
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, z, zB + o, BO);
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
            FloatVector sigma = FloatVector.broadcast(SPECIES, 1f).blend(e, v.compare(LT, 0f)).div(e.add(1f));
            FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO).mul(sigma).intoMemorySegment(g, gB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector v = FloatVector.fromMemorySegment(SPECIES, z, zB + o, BO, m);
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
            FloatVector sigma = FloatVector.broadcast(SPECIES, 1f).blend(e, v.compare(LT, 0f)).div(e.add(1f));
            FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO, m).mul(sigma).intoMemorySegment(g, gB + o, BO, m);
        }
    }

    /** g ∘= 0 (a multiplication, so that NaN and infinities propagate as in the scalar twin). */
    static void stepDerivativeRow(int n, MemorySegment g, long gB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            FloatVector.fromMemorySegment(SPECIES, g, gB + 4L * j, BO).mul(0f).intoMemorySegment(g, gB + 4L * j, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            FloatVector.fromMemorySegment(SPECIES, g, gB + 4L * j, BO, m).mul(0f).intoMemorySegment(g, gB + 4L * j, BO, m);
        }
    }

    /** g ∘= h(1 − h). */
    static void logisticDerivativeRow(int n, MemorySegment g, long gB, MemorySegment h, long hB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            long o = 4L * j;
            FloatVector hv = FloatVector.fromMemorySegment(SPECIES, h, hB + o, BO);
            FloatVector gv = FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO);
            gv.mul(hv.mul(hv.neg().add(1f))).intoMemorySegment(g, gB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector hv = FloatVector.fromMemorySegment(SPECIES, h, hB + o, BO, m);
            FloatVector gv = FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO, m);
            gv.mul(hv.mul(hv.neg().add(1f))).intoMemorySegment(g, gB + o, BO, m);
        }
    }

    /** g ∘= 1 − h². */
    static void tanhDerivativeRow(int n, MemorySegment g, long gB, MemorySegment h, long hB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            long o = 4L * j;
            FloatVector hv = FloatVector.fromMemorySegment(SPECIES, h, hB + o, BO);
            FloatVector gv = FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO);
            gv.mul(hv.neg().fma(hv, FloatVector.broadcast(SPECIES, 1f))).intoMemorySegment(g, gB + o, BO);
        }
        if (j < n) {
            VectorMask<Float> m = FloatVector.fromArray(SPECIES, IOTA, 0).compare(LT, n - j);
            long o = 4L * j;
            FloatVector hv = FloatVector.fromMemorySegment(SPECIES, h, hB + o, BO, m);
            FloatVector gv = FloatVector.fromMemorySegment(SPECIES, g, gB + o, BO, m);
            gv.mul(hv.neg().fma(hv, FloatVector.broadcast(SPECIES, 1f))).intoMemorySegment(g, gB + o, BO, m);
        }
    }

    /**
     * {@code y[j] += alpha · x[j]} for {@code j < n}. The tail (fewer than L elements) is scalar
     * {@link Math#fma}, the same bits as a lane's FMA: called once per row for the bias of a narrow
     * layer (network A's 10 outputs: all tail), its masked vector form allocated 96 B a call (one
     * boxed FMA result, from {@code FloatVector.lanewiseTemplate}) in 2 of 4 JMH forks of predict
     * at batch 256, where C2's last compile of this method left the masked FMA out of line
     * (24.6 KB a call; JFR allocation samples, JDK 25.0.3).
     */
    static void axpyRow(int n, float alpha, MemorySegment x, long xB, MemorySegment y, long yB) {
        int full = n - n % LANES;
        int j = 0;
        for (; j < full; j += LANES) {
            long o = 4L * j;
            FloatVector xv = FloatVector.fromMemorySegment(SPECIES, x, xB + o, BO);
            FloatVector yv = FloatVector.fromMemorySegment(SPECIES, y, yB + o, BO);
            xv.fma(FloatVector.broadcast(SPECIES, alpha), yv).intoMemorySegment(y, yB + o, BO);
        }
        for (; j < n; j++) {
            long o = 4L * j;
            y.set(F, yB + o, Math.fma(x.get(F, xB + o), alpha, y.get(F, yB + o)));
        }
    }

    /** Z += bias (when there is one), H = f(Z), over a block of rows. */
    static void biasActivate(Pointwise f, int rows, int cols, MemorySegment z, long zB, long ldzB,
                                     MemorySegment bias, long biasB, MemorySegment h, long hB, long ldhB) {
        for (int r = 0; r < rows; r++) {
            if (bias != null) {
                axpyRow(cols, 1f, bias, biasB, z, zB + r * ldzB);
            }
            activateRow(f, cols, z, zB + r * ldzB, h, hB + r * ldhB);
        }
    }
}
