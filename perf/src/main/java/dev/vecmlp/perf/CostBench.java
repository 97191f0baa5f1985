package dev.vecmlp.perf;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.vecmlp.memory.Slab;
import dev.vecmlp.nn.WorkerPool;

/**
 * The machine's own figures that {@link CostModel} needs besides {@link CalibrationBench}'s:
 * {@code probe} is one of
 * <ul>
 *   <li>{@code read:BYTES}: {@link #read} of a buffer of BYTES, again and again, so the buffer
 *       lives in the cache level that holds BYTES (or in DRAM): that level's read bandwidth,
 *       BYTES / score;
 *   <li>{@code write:BYTES}: {@link #write} of a buffer of BYTES, again and again: the write
 *       bandwidth, which a cache pays twice for data it must first own (read, then write back);
 *   <li>{@code handover:BYTES}: this thread writes BYTES, then the other thread of a 2-thread
 *       {@link WorkerPool} reads them (as a 2-thread pass's gradient sum reads what the other
 *       core wrote), and {@code local:BYTES}: the same written and read on this thread. Their
 *       difference, less the pool's hand-out, is what moving BYTES between the cores costs.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class CostBench {
    /**
     * The read and write probes' buffer sizes, 16 KB to 256 MB by factors of 4: inside L1, L2 and L3 on
     * every x86 core of these years, and beyond every L3 (DRAM). The sizes are probed, not read
     * from the system: a virtual machine can report caches it does not have (this one's glibc
     * says a 508 MB L3).
     */
    static final long[] BUFFER_BYTES = {16L << 10, 64L << 10, 256L << 10, 1L << 20, 4L << 20, 16L << 20, 64L << 20,
        256L << 20};

    /** The handover probes' sizes: where a 2-thread pass's gradients lie, 256 KB to 16 MB. */
    static final long[] HANDOVER_BYTES = {256L << 10, 1L << 20, 4L << 20, 16L << 20};

    @Param({"read:16384", "read:262144", "read:4194304", "read:268435456", "write:16384", "write:4194304",
        "local:1048576", "handover:1048576"})
    public String probe;

    private Slab slab;
    private WorkerPool pool;
    private volatile float sink;
    private DoubleSupplier op;

    /** A constant, so that C2 compiles the read loop to SIMD (see {@link PeakBench}). */
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int UNROLL = 4;

    /**
     * Reads {@code bytes} (a multiple of {@value #UNROLL} vectors) as floats and adds them up in
     * {@value #UNROLL} independent sums: the loads, not the adds' latency, set the pace. The
     * engine's own reductions keep one or two sums and run at half this speed from L1.
     */
    static float read(MemorySegment m, long bytes) {
        long step = (long) UNROLL * SPECIES.vectorByteSize(), v = SPECIES.vectorByteSize();
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        for (long i = 0; i < bytes; i += step) {
            a0 = a0.add(FloatVector.fromMemorySegment(SPECIES, m, i, ByteOrder.nativeOrder()));
            a1 = a1.add(FloatVector.fromMemorySegment(SPECIES, m, i + v, ByteOrder.nativeOrder()));
            a2 = a2.add(FloatVector.fromMemorySegment(SPECIES, m, i + 2 * v, ByteOrder.nativeOrder()));
            a3 = a3.add(FloatVector.fromMemorySegment(SPECIES, m, i + 3 * v, ByteOrder.nativeOrder()));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    /** Writes {@code bytes} (a multiple of a vector) with {@code value}, one vector store at a time. */
    static float write(MemorySegment m, long bytes, float value) {
        FloatVector v = FloatVector.broadcast(SPECIES, value);
        for (long i = 0; i < bytes; i += SPECIES.vectorByteSize()) {
            v.intoMemorySegment(m, i, ByteOrder.nativeOrder());
        }
        return value;
    }

    @Setup(Level.Trial)
    public void setUp() {
        int colon = probe.indexOf(':');
        String kind = colon < 0 ? probe : probe.substring(0, colon);
        String arg = colon < 0 ? "" : probe.substring(colon + 1);
        switch (kind) {
            case "read", "write", "local", "handover" -> {
                long bytes = Long.parseLong(arg);
                if (bytes < 1024 || bytes % 1024 != 0) {
                    throw new IllegalArgumentException("probe " + probe + ": expected a multiple of 1024 bytes, found " + arg);
                }
                slab = Slab.allocate(kind + " probe", bytes / Float.BYTES);
                slab.segment().fill((byte) 0x3c);
                MemorySegment m = slab.segment();
                op = switch (kind) {
                    case "read" -> () -> read(m, bytes);
                    case "write" -> () -> write(m, bytes, 0.5f);
                    case "local" -> () -> write(m, bytes, 0.5f) + read(m, bytes);
                    default -> {
                        // The worker reads what this thread wrote, as a 2-thread pass's gradient sum does.
                        pool = new WorkerPool(2, "costbench");
                        WorkerPool.Job readOnWorker = (part, parts) -> {
                            if (part == 1) {
                                sink = read(m, bytes);
                            }
                        };
                        yield () -> {
                            write(m, bytes, 0.5f);
                            pool.run(readOnWorker, 2);
                            return sink;
                        };
                    }
                };
            }
            default -> throw new IllegalArgumentException("probe: expected read:BYTES, write:BYTES, local:BYTES or"
                    + " handover:BYTES, found '" + probe + "'");
        }
        JitWarmUp.until(op::getAsDouble);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (pool != null) {
            pool.close();
        }
        if (slab != null) {
            slab.close();
        }
    }

    @Benchmark
    public double run() {
        return op.getAsDouble();
    }
}
