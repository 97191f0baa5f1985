package dev.vecmlp.perf;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's fp32 FMA peak as the JIT reaches it: {@value #CHAINS} independent chains of
 * vector FMAs at the preferred species (512-bit), nothing loaded or stored in the loop.
 * A chain is one FMA every 4 cycles (its latency) and a core issues 2 a cycle, so 8 chains fill
 * it; 12 leave slack. Run with JMH's {@code -t 2} for both cores.
 *
 * <p>Score: ns per inner iteration; GFLOP/s = {@link #flopsPerIteration()} / score.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PeakBench {
    /** Independent accumulator chains. */
    public static final int CHAINS = 12;
    /** FMAs per chain per benchmark call. */
    public static final int ITERATIONS = 4096;

    /**
     * A constant: the Vector API compiles to SIMD only when C2 sees the species as a constant.
     * Read from an instance field it is not one, every vector is boxed, and the benchmark
     * measured 4 GFLOP/s instead of the machine's peak.
     */
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private float[] seed;

    /** Lanes of the preferred species: 16 at 512 bits. */
    public static int lanes() {
        return FloatVector.SPECIES_PREFERRED.length();
    }

    /** FLOPs of one iteration: a fused multiply-add is 2 FLOPs per lane, per chain. */
    public static double flopsPerIteration() {
        return 2.0 * CHAINS * FloatVector.SPECIES_PREFERRED.length();
    }

    @Setup
    public void setUp() {
        seed = new float[SPECIES.length() * (CHAINS + 2)];
        for (int i = 0; i < seed.length; i++) {
            seed[i] = 0.5f + i * 1e-3f;
        }
        JitWarmUp.until(this::fma);
    }

    /**
     * a_i = a_i · m + c, twelve times an iteration: the values converge to c / (1 − m), so
     * nothing overflows or turns subnormal however long it runs.
     */
    @Benchmark
    @OperationsPerInvocation(ITERATIONS)
    public float fma() {
        int n = SPECIES.length();
        FloatVector m = FloatVector.broadcast(SPECIES, 0.999f);
        FloatVector c = FloatVector.fromArray(SPECIES, seed, CHAINS * n);
        FloatVector a0 = FloatVector.fromArray(SPECIES, seed, 0);
        FloatVector a1 = FloatVector.fromArray(SPECIES, seed, n);
        FloatVector a2 = FloatVector.fromArray(SPECIES, seed, 2 * n);
        FloatVector a3 = FloatVector.fromArray(SPECIES, seed, 3 * n);
        FloatVector a4 = FloatVector.fromArray(SPECIES, seed, 4 * n);
        FloatVector a5 = FloatVector.fromArray(SPECIES, seed, 5 * n);
        FloatVector a6 = FloatVector.fromArray(SPECIES, seed, 6 * n);
        FloatVector a7 = FloatVector.fromArray(SPECIES, seed, 7 * n);
        FloatVector a8 = FloatVector.fromArray(SPECIES, seed, 8 * n);
        FloatVector a9 = FloatVector.fromArray(SPECIES, seed, 9 * n);
        FloatVector a10 = FloatVector.fromArray(SPECIES, seed, 10 * n);
        FloatVector a11 = FloatVector.fromArray(SPECIES, seed, 11 * n);
        for (int i = 0; i < ITERATIONS; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .lane(0);
    }
}
